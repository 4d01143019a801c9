"""Every payment after the checkout (a balance, a fee, a change's difference) and every refund gets its own PDF
receipt: issued through the outbox, attached to its e-mail, in the booking's language, on the booking page."""

import re
import shutil
from decimal import Decimal

import pytest
from django.core import mail
from django.test import TestCase
from django.urls import reverse

from bookings import workflow
from bookings.services import booking_hold
from payments.models import PaymentReceipt, ScheduledCharge
from payments.services import payment_start
from tests.factories import UserFactory, future
from tests.invoices.test_unicode_pdf import pdf_text, words
from tests.payments.test_payment_terms import GUEST, deposit_room, pay_at_bank, room, run_charges, stay

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("audited"),
    pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils is not installed"),
]


def booked_by(customer, rt, *, language="en", first_name=None):
    guest = (
        GUEST
        if first_name is None
        else GUEST.__class__(first_name=first_name, last_name="Παπαδοπούλου", email=GUEST.email)
    )
    booking = booking_hold(room_type=rt, stay=stay(), guest=guest, customer=customer)
    booking.language = language
    booking.save(update_fields=["language"])
    payment = payment_start(booking=booking, return_url="http://testserver/r", webhook_url=None)
    pay_at_bank(payment.bank_redirect_url)
    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow.payment_sync(payment=payment)
    booking.refresh_from_db()
    return booking


def attachment(message):
    [(name, content, mimetype)] = message.attachments
    assert mimetype == "application/pdf" and name.endswith(".pdf")
    return content


def test_a_balance_charged_later_gets_a_pdf_receipt_by_email_and_on_the_booking_page(client, bank, tmp_path):
    customer = UserFactory()
    booking = booked_by(customer, deposit_room(), first_name="Ελένη")
    run_charges(at=ScheduledCharge.objects.get().due_at)
    balance = booking.payments.get(kind="balance")
    receipt = PaymentReceipt.objects.get(payment=balance)
    [message] = [m for m in mail.outbox if "your card was charged" in m.subject]
    pdf = attachment(message)
    assert pdf == bytes(receipt.pdf) and receipt.number in message.body
    text = words(pdf_text(pdf, tmp_path, "balance"))
    assert receipt.number in text and "Balance" in text and "252.00" in text and "Ελένη" in text
    assert balance.bank_transaction_id in text

    client.force_login(customer)
    page = client.get(booking.get_absolute_url()).content.decode()
    url = reverse("payments:payment_receipt_pdf", kwargs={"reference": booking.reference, "number": receipt.number})
    assert url in page
    download = client.get(url)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download.content == bytes(receipt.pdf)
    client.force_login(UserFactory())  # someone else's booking: no such page
    assert client.get(url).status_code == 404


def test_a_refund_gets_a_pdf_receipt_in_the_guests_language(client, bank, tmp_path):
    rt = deposit_room()  # cancelled while it is free: the whole deposit comes back
    customer = UserFactory()
    booking = booked_by(customer, rt, language="fr")
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow.booking_cancel(booking=booking, actor_kind="customer")
    refund = booking.payments.get(kind="deposit").refunds.get()
    assert refund.status == "succeeded"
    receipt = PaymentReceipt.objects.get(refund=refund)
    [message] = [m for m in mail.outbox if "remboursement" in m.subject]
    assert "108,00" in message.body and receipt.number in message.body
    text = words(pdf_text(attachment(message), tmp_path, "refund"))
    assert "Reçu de remboursement" in text and receipt.number in text and "108,00" in text

    client.force_login(customer)
    page = re.sub(r"\s+", " ", client.get(booking.get_absolute_url()).content.decode())
    assert receipt.number in page


def test_a_no_show_fee_receipt_is_attached_to_the_charge_email(bank, tmp_path):
    booking = booked_by(UserFactory(), room(payment_terms="guarantee"))
    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow.booking_no_show(booking=booking)
    fee = booking.payments.get(kind="no_show_fee")
    [message] = [m for m in mail.outbox if "your card was charged" in m.subject]
    text = words(pdf_text(attachment(message), tmp_path, "fee"))
    assert "No-show fee" in text and "120.00" in text
    assert PaymentReceipt.objects.filter(payment=fee).count() == 1
    assert fee.amount == Decimal("120.00")


def test_a_changes_difference_paid_later_gets_its_pdf_receipt_by_email(bank, tmp_path):
    from tests.bookings.test_modify import WEB, pay_change, sell, two_types

    double, twin = two_types()
    booking = sell(double, twin)
    mail.outbox.clear()
    change = workflow.booking_modify(booking=booking, check_out=future(13), **WEB)
    payment = pay_change(change)
    assert (payment.kind, payment.status, payment.amount) == ("change_difference", "paid", Decimal("180.00"))
    receipt = PaymentReceipt.objects.get(payment=payment)
    [message] = [m for m in mail.outbox if "Receipt for your payment" in m.subject]
    assert message.to == ["ada@example.com"] and receipt.number in message.body
    text = words(pdf_text(attachment(message), tmp_path, "change"))
    assert "Change difference" in text and "180.00" in text and receipt.number in text
