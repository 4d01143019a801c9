"""The ledger and the documents where people read them: the guest's booking page (balance, downloads, company
details), the staff console (ledger and invoices of a booking, read-only, scoped to the staff member's hotels, and
the hotel's legal entity), the partner API's ``balance``, and the migration that built the ledger of existing
bookings."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse

from bookings.audit import books_findings
from bookings.models import Booking
from bookings.services import Actor
from bookings.workflow import booking_cancel
from hotels.models import HotelStaff, LegalEntity
from payments.invoices import legal_entity_for
from payments.ledger import booking_balance
from payments.models import Invoice, LedgerEntry
from tests.api.conftest import book
from tests.factories import UserFactory
from tests.staff.conftest import paid_booking_at, staff

from .conftest import held, on_commit, pay

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]


def test_the_guest_sees_the_balance_and_downloads_their_invoice(client, paid_booking):
    booking = paid_booking
    client.force_login(booking.customer)
    page = client.get(booking.get_absolute_url())
    invoice = booking.invoices.get()
    assert page.status_code == 200
    assert 'data-balance-due="0.00"' in page.content.decode()
    url = reverse("payments:invoice_pdf", kwargs={"reference": booking.reference, "number": invoice.number})
    assert url in page.content.decode()
    pdf = client.get(url)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content if pdf.streaming else [pdf.content]) == bytes(invoice.pdf)
    # another customer can't tell that the booking or its invoice exists
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404


def test_company_details_after_the_stay_credit_the_invoice_and_issue_it_again(client, paid_booking):
    booking = paid_booking
    first = booking.invoices.get()
    client.force_login(booking.customer)
    answer = client.post(
        reverse("payments:billing_details", kwargs={"reference": booking.reference}),
        {"company_name": "Analytical Engines Ltd", "address": "12 St James's Square\nLondon", "vat_id": "GB123456789"},
    )
    assert answer.status_code == 302
    credit = booking.invoices.get(kind="credit_note")
    second = booking.invoices.filter(kind="invoice").exclude(pk=first.pk).get()
    assert credit.corrects == first and credit.total == first.total and credit.buyer == first.buyer
    assert second.buyer["company_name"] == "Analytical Engines Ltd" and second.buyer["vat_id"] == "GB123456789"
    assert second.total == booking_balance(booking).charged
    # the same details again: nothing new is issued
    client.post(
        reverse("payments:billing_details", kwargs={"reference": booking.reference}),
        {"company_name": "Analytical Engines Ltd", "address": "12 St James's Square\nLondon", "vat_id": "GB123456789"},
    )
    assert booking.invoices.count() == 3


def test_company_details_without_a_name_are_refused_with_a_message(client, paid_booking):
    client.force_login(paid_booking.customer)
    answer = client.post(
        reverse("payments:billing_details", kwargs={"reference": paid_booking.reference}),
        {"company_name": "", "address": "x" * 600},
    )
    assert answer.status_code == 400
    assert answer.context["form"].errors.keys() == {"company_name", "address"}
    assert paid_booking.invoices.count() == 1


def test_company_details_before_the_stay_is_paid_are_on_its_first_invoice(client, bank):
    booking = held()
    client.force_login(booking.customer)
    client.post(
        reverse("payments:billing_details", kwargs={"reference": booking.reference}),
        {"company_name": "Ελληνική Εταιρεία Α.Ε.", "address": "Οδός Ερμού 1\nΑθήνα", "vat_id": "EL999"},
    )
    assert not booking.invoices.exists()  # nothing paid, nothing invoiced
    pay(booking)
    assert booking.invoices.get().buyer["company_name"] == "Ελληνική Εταιρεία Α.Ε."


def test_staff_see_the_ledger_and_download_invoices_of_their_hotels_only(client, bank, two_hotels):
    alpha, beta, *_ = two_hotels
    with on_commit():
        a = paid_booking_at(alpha)
    with on_commit():
        b = paid_booking_at(beta, email="other@example.com")
    manager = staff(alpha, HotelStaff.Role.MANAGER, "boss@alpha.example")
    client.force_login(manager)
    page = client.get(reverse("admin:bookings_booking_change", args=[a.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Ledger" in text and a.invoices.get().number in text
    pdf = client.get(reverse("admin:payments_invoice_pdf", args=[a.invoices.get().pk]))
    assert pdf.status_code == 200 and pdf.content == bytes(a.invoices.get().pdf)
    assert client.get(reverse("admin:payments_invoice_pdf", args=[b.invoices.get().pk])).status_code == 404
    # issued invoices are read-only in the console
    invoice = a.invoices.get()
    change = client.post(reverse("admin:payments_invoice_change", args=[invoice.pk]), {"total": "1.00"})
    assert change.status_code == 403
    assert client.post(reverse("admin:payments_invoice_delete", args=[invoice.pk]), {"post": "yes"}).status_code == 403
    assert Invoice.objects.get(pk=invoice.pk).total == a.total
    # the front desk sees neither the ledger nor the invoices
    client.force_login(staff(alpha, HotelStaff.Role.FRONT_DESK, "desk@alpha.example"))
    text = client.get(reverse("admin:bookings_booking_change", args=[a.pk])).content.decode()
    assert a.invoices.get().number not in text


def test_a_manager_edits_the_legal_entity_of_their_hotel_and_new_invoices_print_it(client, bank, two_hotels):
    alpha, beta, *_ = two_hotels
    manager = staff(alpha, HotelStaff.Role.MANAGER, "boss@alpha.example")
    client.force_login(manager)
    entity = legal_entity_for(alpha)
    answer = client.post(
        reverse("admin:hotels_legalentity_change", args=[entity.pk]),
        {
            "company_name": "Alpha Hospitality SAS",
            "address": "1 rue X\nParis",
            "tax_id": "FR00123",
            "invoice_footer": "RCS Paris",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert client.get(reverse("admin:hotels_legalentity_change", args=[legal_entity_for(beta).pk])).status_code in (
        302,
        404,
    )
    with on_commit():
        booking = paid_booking_at(alpha)
    invoice = booking.invoices.get()
    assert invoice.seller["company_name"] == "Alpha Hospitality SAS" and invoice.seller["tax_id"] == "FR00123"
    LegalEntity.objects.filter(pk=entity.pk).update(company_name="Renamed")
    invoice.refresh_from_db()
    assert invoice.seller["company_name"] == "Alpha Hospitality SAS"  # an issued invoice keeps what it printed


def test_the_partner_api_shows_the_balance_from_the_ledger(partner, api, room):
    created = book(api, room)
    assert created.status_code == 201, created.content
    reference = created.json()["reference"]
    # on the partner's account: charged, nothing paid here
    assert created.json()["balance"] == {
        "currency": "EUR",
        "charged": "208.00",
        "paid": "0.00",
        "refunded": "0.00",
        "due": "208.00",
    }
    listed = api.get("/api/v1/bookings/").json()["results"]
    assert [b["balance"]["charged"] for b in listed if b["reference"] == reference] == ["208.00"]
    cancelled = api.post(f"/api/v1/bookings/{reference}/cancel/", format="json")
    penalty = cancelled.json()["cancellation_penalty"]
    assert cancelled.json()["balance"]["charged"] == penalty == "0.00"  # free cancellation: nothing charged in the end


def test_the_migration_builds_the_ledger_of_existing_bookings_without_changing_a_total(paid_booking, bank):
    kept = paid_booking
    with on_commit():
        booking_cancel(booking=kept, actor_kind=Actor.CUSTOMER)
    other = held()
    pay(other)
    before = {b.pk: (b.total, b.refunded_amount, booking_balance(b)) for b in Booking.objects.all()}
    entries = sorted(LedgerEntry.objects.values_list("key", "kind", "amount"))
    LedgerEntry.objects.all().delete()  # as before the migration
    importlib.import_module("payments.migrations.0006_ledger_backfill_invoice_lock").backfill(apps, None)
    after = {b.pk: (b.total, b.refunded_amount, booking_balance(b)) for b in Booking.objects.all()}
    assert after == before
    assert sorted(LedgerEntry.objects.values_list("key", "kind", "amount")) == entries
    assert books_findings() == []
    assert Decimal(0) == booking_balance(kept).due


@pytest.mark.parametrize(("method", "paid"), [("cash", True), ("pay_at_hotel", False)])
def test_money_taken_at_the_desk_is_a_payment_in_the_ledger_and_is_invoiced(client, two_hotels, method, paid):
    from django.test import TestCase

    from bookings.models import OfflinePayment
    from tests.staff.test_staff_booking import NEW, form, line

    alpha = two_hotels[0]
    desk = staff(alpha, HotelStaff.Role.FRONT_DESK, "desk@alpha.example")
    client.force_login(desk)
    with TestCase.captureOnCommitCallbacks(execute=True):
        answer = client.post(NEW, form(alpha, [line(alpha.room_types.first())], method=method, reference="DESK-7"))
    assert answer.status_code == 302
    booking = Booking.objects.get(guest_email="paula@example.com")
    balance = booking_balance(booking)
    assert balance.charged == booking.total
    if paid:  # cash: received, with its reference and who took it; the invoice follows
        entry = booking.ledger_entries.get(kind="payment")
        assert entry.offline_payment == OfflinePayment.objects.get(booking=booking)
        assert (entry.amount, entry.bank_reference, entry.actor, entry.channel) == (
            booking.total,
            "DESK-7",
            desk,
            "admin",
        )
        assert balance.due == 0 and booking.invoices.get().total == booking.total
    else:  # a promise to pay at the hotel: nothing received, nothing invoiced yet
        assert not booking.ledger_entries.filter(kind="payment").exists()
        assert balance.due == booking.total and not booking.invoices.exists()
