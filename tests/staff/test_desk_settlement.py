"""A booking paid at the desk (cash, a bank transfer), then changed: the difference is due or owed back in the
ledger, shown on the booking's admin page, and settled there (collected, or paid back, with method and
reference), never through the bank. The same for a change the guest makes on the website."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from django.test import TestCase
from django.urls import reverse

from accounts.guest_links import guest_link_url
from bookings.audit import books_findings
from bookings.models import Booking, OfflinePayment
from payments.ledger import booking_balance
from payments.models import Payment

from .conftest import hotel_today, messages_of
from .test_staff_booking import NEW, desk_booking, form, line, rooms_a  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]


def settle(client, booking, **data):
    return client.post(reverse("admin:bookings_booking_settle", args=[booking.pk]), data, follow=True)


def test_a_cancelled_room_of_a_cash_booking_is_paid_back_at_the_desk(
    client,
    two_hotels,
    rooms_a,  # noqa: F811
    manager_a,
    front_desk_a,
):
    alpha = two_hotels[0]
    double, family = rooms_a
    client.force_login(manager_a)
    booking = desk_booking(client, alpha, double, family)
    cash = OfflinePayment.objects.get(booking=booking)
    family_line = booking.lines.get(room_type=family)
    url = reverse("admin:bookings_booking_staff_change", args=[booking.pk])
    penalty = {x.pk: p for x, p, token in client.get(url).context["cancel_quotes"]}[family_line.pk]
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(url, {"cancel_line": family_line.pk, "quoted_penalty": str(penalty)})
    booking.refresh_from_db()
    owed_back = cash.amount - booking.total
    assert owed_back > 0
    assert [(f.check, f.subject) for f in books_findings()] == [("offline_payment", booking.reference)]
    assert booking_balance(booking).due == -owed_back  # the ledger says the guest is owed it

    page = client.get(reverse("admin:bookings_booking_change", args=[booking.pk]))
    assert page.context["desk_settlement"].to_pay_back == owed_back
    assert "To pay back to the guest" in page.content.decode() and str(owed_back) in page.content.decode()

    # front desk doesn't see prices: no block, and the form is refused
    client.force_login(front_desk_a)
    assert "desk_settlement" not in client.get(reverse("admin:bookings_booking_change", args=[booking.pk])).context
    assert settle(client, booking, direction="paid_back", method="cash", amount="1", reference="X").status_code == 403

    client.force_login(manager_a)
    too_much = settle(client, booking, direction="paid_back", method="cash", amount=str(owed_back + 1), reference="R1")
    assert f"more than the {owed_back} EUR left to settle" in messages_of(too_much)
    promise = settle(client, booking, direction="paid_back", method="pay_at_hotel", amount="1", reference="R1")
    assert "paid back in cash or by bank transfer" in messages_of(promise)
    wrong_way = settle(client, booking, direction="collected", method="cash", amount="1", reference="R1")
    assert "Nothing is left to collect" in messages_of(wrong_way)
    garbage = settle(client, booking, direction="paid_back", method="cash", amount="lots", reference="")
    assert garbage.status_code == 200 and "Enter a number" in messages_of(garbage)
    assert OfflinePayment.objects.filter(booking=booking).count() == 1

    done = settle(
        client, booking, direction="paid_back", method="bank_transfer", amount=str(owed_back), reference="TR-991"
    )
    assert f"{owed_back} EUR paid back to the guest (TR-991)" in messages_of(done)
    assert done.context["desk_settlement"].settled
    entry = booking.ledger_entries.get(kind="refund")
    assert (entry.amount, entry.bank_reference, entry.actor) == (owed_back, "TR-991", manager_a)
    assert booking_balance(booking).due == 0
    again = settle(client, booking, direction="paid_back", method="cash", amount="1", reference="TR-992")
    assert "Nothing is owed back" in messages_of(again)
    assert not Payment.objects.filter(booking=booking).exists()  # never the bank


def test_a_guest_changes_a_cash_booking_on_the_website_and_pays_the_difference_at_the_hotel(
    client,
    two_hotels,
    rooms_a,  # noqa: F811
    manager_a,
):
    alpha = two_hotels[0]
    double, _family = rooms_a
    client.force_login(manager_a)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(NEW, form(alpha, [line(double, guest_name="Paula Phone")]))
    booking = Booking.objects.get(guest_email="paula@example.com")
    client.logout()
    client.get(urlparse(guest_link_url(booking)).path)
    url = reverse("bookings:change_dates", kwargs={"reference": booking.reference})
    dates = {"check_in": booking.check_in.isoformat(), "check_out": (booking.check_out + timedelta(days=1)).isoformat()}
    quote = client.post(url, dates)
    html = quote.content.decode()
    assert "To pay at the hotel" in html and "Confirm and pay" not in html and "settles the difference" in html
    new_total = quote.context["quote"].new_total
    with TestCase.captureOnCommitCallbacks(execute=True):
        done = client.post(url, {**dates, "expected_total": str(new_total), "confirm": "1"}, follow=True)
    booking.refresh_from_db()
    difference = new_total - Decimal(OfflinePayment.objects.get(booking=booking).amount)
    assert booking.total == new_total and booking.check_out == hotel_today(alpha) + timedelta(days=8)
    assert f"Please pay the difference of {difference} EUR at the hotel." in messages_of(done)
    assert not Payment.objects.filter(booking=booking).exists()
    assert booking_balance(booking).due == difference

    client.force_login(manager_a)
    collected = settle(
        client, booking, direction="collected", method="cash", amount=str(difference), reference="CASH-0044"
    )
    assert f"{difference} EUR collected from the guest (CASH-0044)" in messages_of(collected)
    assert booking_balance(booking).due == 0


def test_a_guest_cancels_one_room_of_a_cash_booking_and_the_desk_pays_it_back(
    client,
    two_hotels,
    rooms_a,  # noqa: F811
    manager_a,
):
    alpha = two_hotels[0]
    double, family = rooms_a
    client.force_login(manager_a)
    booking = desk_booking(client, alpha, double, family)
    family_line = booking.lines.get(room_type=family)
    client.logout()
    client.get(urlparse(guest_link_url(booking)).path)
    url = reverse("bookings:cancel_room", kwargs={"reference": booking.reference, "position": family_line.position})
    page = client.get(url)
    back = page.context["refund"]
    assert back == family_line.total - page.context["penalty"] > 0
    assert "The hotel pays you back" in page.content.decode() and "Refund to your card" not in page.content.decode()
    with TestCase.captureOnCommitCallbacks(execute=True):
        done = client.post(url, {"quoted_penalty": str(page.context["penalty"])}, follow=True)
    assert f"The hotel will pay you back {back} EUR." in " | ".join(str(m) for m in done.context["messages"])

    client.force_login(manager_a)
    assert (
        client.get(reverse("admin:bookings_booking_change", args=[booking.pk])).context["desk_settlement"].to_pay_back
        == back
    )
    settle(client, booking, direction="paid_back", method="cash", amount=str(back), reference="CASH-BACK-1")
    assert not Payment.objects.filter(booking=booking).exists()


def test_staff_are_told_to_collect_the_difference_of_a_cash_booking(
    client,
    two_hotels,
    rooms_a,  # noqa: F811
    manager_a,
):
    alpha = two_hotels[0]
    double, family = rooms_a
    client.force_login(manager_a)
    booking = desk_booking(client, alpha, double, family)
    url = reverse("admin:bookings_booking_staff_change", args=[booking.pk])
    lines = list(booking.lines.order_by("position"))
    data = {
        "check_in": booking.check_in.isoformat(),
        "check_out": (booking.check_out + timedelta(days=1)).isoformat(),
        "room-TOTAL_FORMS": 2,
        "room-INITIAL_FORMS": 2,
        **{f"room-{i}-rate_plan": x.rate_plan_id for i, x in enumerate(lines)},
        **{f"room-{i}-adults": x.adults for i, x in enumerate(lines)},
        "room-1-children_ages": "7",
    }
    quote = client.post(url, data).context["quote"]
    with TestCase.captureOnCommitCallbacks(execute=True):
        done = client.post(url, {**data, "expected_total": str(quote.new_total), "confirm": "1"}, follow=True)
    assert f"collect {quote.difference} EUR from the guest" in messages_of(done)
    assert done.context["desk_settlement"].to_collect == quote.difference
    assert "Record as collected" in done.content.decode()
    settle(client, booking, direction="collected", method="cash", amount=str(quote.difference), reference="C-77")
