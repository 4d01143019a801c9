"""A sandbox bank: a small standalone web service (stdlib only, no Django) that speaks the bank's protocol.

Run it with ``python -m payments.sandbox_bank --port 8001`` (see ``__main__`` for the options); tests start it
with :func:`payments.sandbox_bank.testing.run_sandbox_bank`. Modules: ``store`` (state, rules, test cards),
``server`` (HTTP routes), ``pages`` (the card page), ``webhooks`` (signed deliveries).

Test cards (any future expiry, any 3-4 digit CVC): 4242 4242 4242 4242 and 5555 5555 5555 4444 approve;
4000 0000 0000 0002 declines (``card_declined``); 4000 0000 0000 9995 declines (``insufficient_funds``);
4000 0000 0000 0119 approves but the status API then stalls ``--hang-seconds`` and no webhook is sent;
4000 0000 0000 0259 approves but the status API answers garbage. Any other Luhn-valid number approves.

It keeps only a card's brand and last four digits, and logs method, path and status: never a card number.
"""
