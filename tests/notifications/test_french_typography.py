"""French typography in what a French guest receives: every label's colon follows a non-breaking space
("Total : 120,00 €", U+00A0), in the e-mails' lines, subjects and PDF documents; the English text is unchanged."""

import re
import shutil
import subprocess

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from bookings import workflow
from bookings.services import Actor
from hotels.models import LegalEntity
from payments.invoices import legal_entity_for
from tests.invoices.conftest import held, on_commit, pay

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("audited"),
    pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) is not installed"),
]

# A colon in running text that is neither a URL's nor a time's (14:00) must follow U+00A0 (or U+202F). A PDF's
# extracted text shows a no-break space as a plain one (the font draws both with one glyph): there, a space.
BARE_COLON = re.compile(r"(?<![\u00a0\u202f]):(?!//|\d)")
PDF_BARE_COLON = re.compile(r"(?<![ \u00a0\u202f]):(?!//|\d)")


def bare_colons(text: str, pattern=BARE_COLON) -> list[str]:
    return [text[max(0, m.start() - 40) : m.end() + 15] for m in pattern.finditer(text)]


def pdf_text(pdf: bytes, tmp_path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(bytes(pdf))
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def a_stay_with_every_kind_of_line(language: str, client):
    """Two rooms, an included VAT and a city tax, a company's VAT id and the hotel's tax id on the invoice;
    paid, then cancelled (the confirmation with its receipt, the cancellation and the refund's receipt)."""
    with translation.override(language):
        booking = held(rooms=2)
    LegalEntity.objects.filter(pk=legal_entity_for(booking.hotel).pk).update(tax_id="FR00123")
    pay(booking)
    client.force_login(booking.customer)
    answer = client.post(
        reverse("payments:billing_details", kwargs={"reference": booking.reference}),
        {"company_name": "Analytical Engines Ltd", "address": "12 St James's Square\nLondon", "vat_id": "GB123"},
    )
    assert answer.status_code == 302
    with on_commit(), translation.override("en"):  # staff cancel, in English: the guest still reads French
        workflow.booking_cancel(booking=booking, actor_kind=Actor.STAFF, waive_penalty=True)
    return booking


def test_a_french_guests_emails_and_documents_put_a_non_breaking_space_before_every_colon(client, bank, tmp_path):
    booking = a_stay_with_every_kind_of_line("fr", client)
    mails = [m for m in mail.outbox if m.to == ["guest@example.com"]]
    kinds = " ".join(m.subject for m in mails)
    assert all(word in kinds for word in ("confirmé", "annulée", "remboursement")), kinds
    for message in mails:
        assert bare_colons(message.subject) == [], message.subject
        assert bare_colons(message.body) == [], message.body
    confirmation = next(m for m in mails if "confirmé" in m.subject)
    for label in (
        "Total\u00a0: ",
        "City tax\u00a0: ",
        "VAT 10% (inclus)\u00a0: ",
        "Chambre 1\u00a0:",
        "Arrivée\u00a0:",
    ):
        assert label in confirmation.body, label
    refund = next(m for m in mails if "remboursement" in m.subject)
    assert "Montant\u00a0:" in refund.body and "Votre réservation\u00a0:" in refund.body
    assert "Chambre 1, Nuit du" not in confirmation.body  # the room line's colon is the room line's own
    assert re.search(r"Chambre 1\u00a0: .*\u00a0: [\d\u202f\u00a0]+,\d\d\u00a0€", confirmation.body), confirmation.body

    documents = [(f"receipt-{i}", pdf) for m in mails for i, (_name, pdf, _type) in enumerate(m.attachments)]
    documents += [(invoice.number, invoice.pdf) for invoice in booking.invoices.all()]
    assert len(documents) >= 4  # the receipt, two invoices and the credit notes
    for name, pdf in documents:
        text = pdf_text(pdf, tmp_path, name)
        assert bare_colons(text, PDF_BARE_COLON) == [], (name, text)
    invoice = pdf_text(booking.invoices.exclude(buyer__vat_id="").get(kind="invoice").pdf, tmp_path, "company")
    assert "N° de TVA : GB123" in invoice and "Client : Ada Lovelace" in invoice
    assert "identifiant fiscal : FR00123" in invoice


def test_an_english_guests_emails_keep_their_plain_colons(client, bank, tmp_path):
    booking = a_stay_with_every_kind_of_line("en", client)
    mails = [m for m in mail.outbox if m.to == ["guest@example.com"]]
    confirmation = next(m for m in mails if "confirmed" in m.subject)
    for label in ("  Total: ", "  City tax: ", "  VAT 10% (included): ", "Room 1:    ", "Check-in: "):
        assert label in confirmation.body, label
    assert "\u00a0:" not in "".join(m.body for m in mails)
    invoice = pdf_text(booking.invoices.exclude(buyer__vat_id="").get(kind="invoice").pdf, tmp_path, "company")
    assert "VAT id: GB123" in invoice and "Guest: Ada Lovelace" in invoice and "VAT / tax id: FR00123" in invoice
    refund = next(m for m in mails if "refund" in m.subject.lower())
    assert "  Amount:     " in refund.body and "\nYour booking: http" in refund.body


def test_the_french_catalogue_writes_a_no_break_space_before_every_colon():
    """Pages and e-mails share the catalogue: one rule for all of it (HTTP headers and time formats aside)."""
    from babel.messages.pofile import read_po

    from tests.i18n.test_languages import ROOT

    with (ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po").open("rb") as f:
        catalogue = read_po(f)
    bare = []
    for message in catalogue:
        if not message.id:  # the header
            continue
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        for text in strings:
            text = text.replace("Authorization: Api-Key", "")
            bare += [(message.id, found) for found in bare_colons(text) if not re.search(r"\bH:i", found)]
    assert bare == []
