"""The website's "Change rooms" page adds a room: quoted first (old and new total, the difference), then made
through the same ``booking_modify`` as the API's and the admin's, its difference paid on the bank's page."""

from decimal import Decimal

import pytest
from django.test import TestCase
from django.urls import reverse

from bookings.models import Booking

from .test_flow import APPROVE, come_back, pay_at_bank
from .test_rooms_flow import paid_two_rooms, sold, two_types  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]


def rooms_form(booking, **add):
    lines = list(booking.lines.order_by("position"))
    form = {"room-TOTAL_FORMS": len(lines), "room-INITIAL_FORMS": len(lines)}
    for i, line in enumerate(lines):
        form[f"room-{i}-rate_plan"] = line.rate_plan_id
        form[f"room-{i}-adults"] = line.adults
        form[f"room-{i}-children_ages"] = ", ".join(str(a) for a in line.children_ages)
        form[f"room-{i}-guest_name"] = line.guest_name
    form.update({f"add-{key}": value for key, value in add.items()})
    return form


def test_a_room_added_on_the_website_is_quoted_first_then_paid_at_the_bank(client, bank, two_types):  # noqa: F811
    double, family = two_types
    booking = paid_two_rooms(client, double, family)
    url = reverse("bookings:change_rooms", kwargs={"reference": booking.reference})
    page = client.get(url).content.decode()
    assert "Add a room" in page and 'name="add-rate_plan"' in page
    form = rooms_form(booking, rate_plan=double.rate_plans.get().pk, adults=1, guest_name="Ada Lovelace")
    quote = client.post(url, form)
    html = quote.content.decode()
    # a Garden Double for one adult: 2 × 100 + 2.00 tax × 1 guest × 2 nights = 204.00
    assert quote.status_code == 200, html
    assert "€516.00" in html and "€720.00" in html and "€204.00" in html and "To pay now" in html
    booking.refresh_from_db()
    assert booking.rooms == 2 and sold(double) == [1, 1, 0, 0]  # only priced

    with TestCase.captureOnCommitCallbacks(execute=True):
        confirm = client.post(url, {**form, "expected_total": "720.00", "confirm": "1"})
    assert confirm.status_code == 302 and confirm["Location"].startswith(bank.url)
    change = booking.changes.get()
    assert change.status == "pending_payment" and change.difference == Decimal("204.00")
    with TestCase.captureOnCommitCallbacks(execute=True):
        come_back(client, pay_at_bank(confirm["Location"], APPROVE))
    booking.refresh_from_db()
    change.refresh_from_db()
    assert change.status == "applied" and change.channel == "website"
    assert booking.rooms == 3 and booking.total == Decimal("720.00") and sold(double) == [2, 2, 0, 0]
    added = booking.lines.get(position=3)
    assert (added.room_type, added.adults, added.guest_name) == (double, 1, "Ada Lovelace")


def test_a_room_added_for_five_or_without_adults_gets_a_form_message(client, bank, two_types):  # noqa: F811
    double, family = two_types
    booking = paid_two_rooms(client, double, family)
    url = reverse("bookings:change_rooms", kwargs={"reference": booking.reference})
    five = client.post(url, rooms_form(booking, rate_plan=double.rate_plans.get().pk, adults=5))
    assert five.status_code == 400 and "A Garden Double hosts at most 2 adults." in five.content.decode()
    nobody = client.post(url, rooms_form(booking, rate_plan=double.rate_plans.get().pk, adults=""))
    assert nobody.status_code == 400 and "Each room needs at least one adult." in nobody.content.decode()
    no_room = client.post(url, rooms_form(booking, adults=2, guest_name="Someone"))
    assert no_room.status_code == 400 and "Choose the room and rate to add" in no_room.content.decode()
    ages = client.post(url, rooms_form(booking, rate_plan=family.rate_plans.get().pk, adults=1, children_ages="x"))
    assert ages.status_code == 400
    # the family suite has one room and this booking holds it: sold out, said on the form
    full = client.post(url, rooms_form(booking, rate_plan=family.rate_plans.get().pk, adults=1))
    assert full.status_code == 400 and "no longer available" in full.content.decode()
    booking.refresh_from_db()
    assert booking.rooms == 2 and not booking.changes.exists() and Booking.objects.count() == 1
