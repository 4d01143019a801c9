"""Receipts, invoices and credit notes print names in any script: Greek, Chinese and Arabic guests, read back
from the PDF's text (pdftotext) and rendered to PNG (pdftoppm) for a person to look at (``UNICODE_PDF_DIR``)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bookings import workflow
from bookings.services import Actor
from payments.invoices import billing_details_save, invoice_documents_sync
from payments.receipts import receipt_issue

from .conftest import held, on_commit, pay

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("audited"),
    pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext, pdftoppm) is not installed"),
]

GUESTS = [("Ελένη", "Παπαδοπούλου"), ("小龍", "李"), ("سارة", "العلي")]


def pdf_text(pdf: bytes, tmp_path: Path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    looked_at = os.environ.get("UNICODE_PDF_DIR")
    if looked_at:  # keep a PNG of each page to look at
        Path(looked_at).mkdir(parents=True, exist_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", "80", str(path), str(Path(looked_at) / name)], check=True)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(("first", "last"), GUESTS)
def test_receipt_invoice_and_credit_note_print_the_guest_in_their_own_script(bank, tmp_path, first, last):
    booking = held(first_name=first, last_name=last)
    pay(booking)
    billing_details_save(
        booking=booking, company_name=f"{last} {first} A.E.", address=f"{first} 7\n{last}", vat_id="EL123"
    )
    tag = booking.reference
    receipt = pdf_text(bytes(receipt_issue(booking=booking).pdf), tmp_path, f"{tag}-receipt")
    (invoice, *_) = booking.invoices.all()
    # the invoice of the confirmation was issued before the company details: ask for one with them
    credit, reissued = invoice_documents_sync(booking=booking, reissue=True)
    with on_commit():
        workflow.booking_cancel(booking=booking, actor_kind=Actor.CUSTOMER)
    texts = {
        "invoice": pdf_text(bytes(invoice.pdf), tmp_path, f"{tag}-invoice"),
        "reissued": pdf_text(bytes(reissued.pdf), tmp_path, f"{tag}-reissued"),
        "credit": pdf_text(bytes(booking.invoices.filter(kind="credit_note").last().pdf), tmp_path, f"{tag}-credit"),
    }
    for text in [receipt, *texts.values()]:
        assert "\ufffd" not in text
    # pdftotext gives Arabic in reading order as drawn, letter by letter: compare without spaces and joining forms
    for name in (first, last):
        for label, text in [("receipt", receipt), ("invoice", texts["invoice"])]:
            assert _plain(name) in _plain(text), (label, name, text)
        assert _plain(name) in _plain(texts["reissued"]) and "A.E." in texts["reissued"]  # the company's name
        assert _plain(name) in _plain(texts["credit"])
    assert credit.kind == "credit_note" and credit.corrects == invoice


def _plain(text: str) -> str:
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", text).split())
