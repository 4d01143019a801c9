"""A deposit or guarantee booking's pages show what is still to be charged (amount, date, card ending), and the
API's bookings carry their payment terms with the balance due from the ledger."""

import re
from datetime import datetime

import pytest
from django.urls import reverse

from bookings import workflow
from payments.models import ScheduledCharge
from tests.api.conftest import book
from tests.factories import UserFactory, future
from tests.payments.test_payment_terms import ARRIVAL, deposit_room, run_charges
from tests.payments.test_payment_terms import room as terms_room
from tests.terms.test_later_receipts import booked_by

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]


def page(client, url) -> str:
    return re.sub(r"\s+", " ", client.get(url).content.decode())


def test_a_deposit_bookings_pages_show_the_balance_its_date_and_the_card(client, bank):
    customer = UserFactory()
    rt = deposit_room()
    booking = booked_by(customer, rt)
    due = datetime.combine(future(ARRIVAL - 7), rt.hotel.check_in_time).replace(tzinfo=rt.hotel.tzinfo)
    client.force_login(customer)
    detail = page(client, booking.get_absolute_url())
    assert f"The balance of €252.00 will be charged to your card Visa •••• 4242 on {due:%-d %B %Y}." in detail
    assert f"Payment terms: Pay 108.00 EUR now, 252.00 EUR on {due:%-d %B %Y}" in detail

    cancel = page(client, reverse("bookings:cancel", kwargs={"reference": booking.reference}))
    assert "Paid</span><span>€108.00" in cancel and "Total</span><span>€360.00" in cancel
    assert "The balance of €252.00 that was to be charged to your card Visa •••• 4242" in cancel

    run_charges(at=ScheduledCharge.objects.get().due_at)  # charged: nothing more is announced
    assert "will be charged to your card" not in page(client, booking.get_absolute_url())


def test_a_guarantee_bookings_cancel_page_says_the_late_fee_is_charged_to_the_card(client, bank):
    customer = UserFactory()
    booking = booked_by(customer, terms_room(payment_terms="guarantee", free_cancellation_days=None))
    client.force_login(customer)
    cancel = page(client, reverse("bookings:cancel", kwargs={"reference": booking.reference}))
    assert "Charged to your card Visa •••• 4242</span><span>€360.00" in cancel
    assert "Paid</span><span>€0.00" in cancel
    detail = page(client, booking.get_absolute_url())
    assert "Payment terms: Pay at the hotel · your card is only kept as a guarantee" in detail
    workflow.booking_cancel(booking=booking, actor_kind="customer")  # the fee is charged after the commit


def test_api_bookings_carry_their_payment_terms_and_the_balance_due_from_the_ledger(api, room):
    response = book(api, room)
    assert response.status_code == 201, response.json()
    terms = response.json()["payment_terms"]
    assert terms == {
        "kind": "prepay",
        "currency": "EUR",
        "total": "208.00",
        "due_now": "208.00",
        "due_later": "0.00",
        "due_later_at": None,
        "due_later_by": "",
        "card_saved": False,
        "due_later_card": "0.00",
        "due_at_hotel": "0.00",
        "paid": "0.00",
        "balance_due": "208.00",  # on the partner's account: settled with the partner, not through the ledger
        "upcoming_charges": [],
    }
    reference = response.json()["reference"]
    assert api.get(f"/api/v1/bookings/{reference}/").json()["payment_terms"] == terms
    [listed] = api.get("/api/v1/bookings/").json()["results"]
    assert listed["payment_terms"]["balance_due"] == "208.00"


def test_the_schema_documents_the_bookings_payment_terms(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    terms = schema["components"]["schemas"]["BookingPaymentTerms"]["properties"]
    assert {"due_now", "due_later", "due_later_at", "balance_due", "upcoming_charges"} <= set(terms)
    assert schema["components"]["schemas"]["Booking"]["properties"]["payment_terms"]["allOf"][0]["$ref"].endswith(
        "/BookingPaymentTerms"
    )


def test_a_held_deposit_bookings_page_asks_for_the_deposit(client, bank):
    from bookings.services import booking_hold
    from tests.payments.test_payment_terms import GUEST, stay

    customer = UserFactory()
    booking = booking_hold(room_type=deposit_room(), stay=stay(), guest=GUEST, customer=customer)
    client.force_login(customer)
    detail = page(client, booking.get_absolute_url())
    assert "Pay €108.00" in detail and "Pay €360.00" not in detail
