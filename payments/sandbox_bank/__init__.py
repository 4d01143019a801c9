"""A sandbox bank: a small standalone web service (stdlib only) that speaks the same protocol as the real bank.

Run it with ``python -m payments.sandbox_bank --port 8001``. It stores only card brand and last four digits.
"""
