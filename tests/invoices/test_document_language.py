"""Invoices, credit notes and the ledger in the booking's language: a French booking's invoice lines are French
(dates and amounts the French way), a German booking's credit note German, whoever issues them; the books stay in
the site's language for staff, and an issued document keeps the words it was issued with."""

import re
import shutil
import subprocess

import pytest
from django.utils import translation

from bookings import workflow
from bookings.services import Actor

from .conftest import held, on_commit, pay

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("audited"),
    pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) is not installed"),
]


def pdf_text(pdf: bytes, tmp_path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(bytes(pdf))
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True)
    return " ".join(out.stdout.split())


def booked_in(language: str):
    with translation.override(language):
        booking = held()
    assert booking.language == language
    return booking


def test_a_french_bookings_invoice_has_french_line_descriptions(bank, tmp_path):
    booking = booked_in("fr")
    pay(booking)
    invoice = booking.invoices.get(kind="invoice")
    nights = [line["description"] for line in invoice.lines if line["category"] == "stay"]
    assert nights and all(d.startswith("Nuit du ") for d in nights), nights
    assert "100,00" in nights[0] and "€" in nights[0] and not re.search(r"\d{4}-\d\d-\d\d", nights[0]), nights[0]
    text = pdf_text(invoice.pdf, tmp_path, "fr-invoice")
    assert "Facture" in text and "Nuit du" in text
    assert "Night of" not in text and "Invoice" not in text
    # the books are kept in English for staff; the guest's page reads French
    entry = booking.ledger_entries.filter(category="stay").first()
    assert entry.description.startswith("Night of")
    with translation.override("fr"):
        assert entry.text.startswith("Nuit du")


def test_a_german_credit_note_has_german_line_descriptions(bank, tmp_path):
    booking = booked_in("de")
    pay(booking)
    with on_commit(), translation.override("en"):  # whoever cancels, in whatever language
        workflow.booking_cancel(booking=booking, actor_kind=Actor.STAFF)
    note = booking.invoices.get(kind="credit_note")
    descriptions = [line["description"] for line in note.lines]
    assert "Aufenthalt storniert" in descriptions, descriptions
    text = pdf_text(note.pdf, tmp_path, "de-credit-note")
    assert "Gutschrift" in text and "Aufenthalt storniert" in text
    assert "Stay cancelled" not in text and "Credit note" not in text


def test_an_issued_invoice_keeps_its_words(bank):
    booking = booked_in("fr")
    pay(booking)
    invoice = booking.invoices.get(kind="invoice")
    before = [line["description"] for line in invoice.lines]
    with translation.override("de"):
        invoice.refresh_from_db()
        assert [line["description"] for line in invoice.lines] == before


def test_the_booking_page_shows_ledger_entries_in_the_pages_language(bank, client):
    booking = booked_in("fr")
    pay(booking)
    client.force_login(booking.customer)
    with translation.override("en"):  # the request activates German: don't leave it active for the next test
        page = client.get(f"/de/bookings/{booking.reference}/").content.decode()
    assert "Nacht vom" in page and "Night of" not in page
