"""A booking paid offline at the desk (cash), then changed or one of its rooms cancelled.

The change is applied at once (there is no card payment to wait for or refund through), so the booking's total
moves while the cash recorded stays: 105.00 more was owed, or cash was owed back, and nothing in the books said so
(the audit found nothing). FIXED: the audit's ``offline_payment`` check reports the difference until the desk
settles it (``bookings.settlement``: collected, or paid back, with method and reference, and its ledger entry).
The last step records the cash through the desk's service instead of a bare row (a bare row has no ledger entry,
which the audit rightly reports)."""

from datetime import timedelta

import pytest
from django.test import TestCase

from bookings import workflow
from bookings.audit import books_findings
from bookings.models import Booking, OfflinePayment
from bookings.services import Actor
from bookings.settlement import offline_settlement_record
from tests.staff.conftest import front_desk_a, hotel_today, two_hotels  # noqa: F401
from tests.staff.test_staff_booking import NEW, form, line, rooms_a  # noqa: F401

pytestmark = [pytest.mark.django_db]


def test_a_dearer_change_of_a_cash_booking_is_a_finding_until_settled(client, two_hotels, rooms_a, front_desk_a):  # noqa: F811
    alpha = two_hotels[0]
    double, family = rooms_a
    client.force_login(front_desk_a)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(NEW, form(alpha, [line(double, guest_name="Paula Phone")]))
    booking = Booking.objects.get(guest_email="paula@example.com")
    assert books_findings() == []
    cash = OfflinePayment.objects.get(booking=booking)
    change = workflow.booking_modify(
        booking=booking,
        check_out=hotel_today(alpha) + timedelta(days=8),
        actor_kind=Actor.STAFF,
        channel=Booking.Source.STAFF,
    )
    booking.refresh_from_db()
    assert change.status == "applied" and booking.total == cash.amount + change.difference
    [finding] = books_findings()
    assert (finding.check, finding.subject) == ("offline_payment", booking.reference)

    offline_settlement_record(
        booking=booking,
        direction=OfflinePayment.Direction.COLLECTED,
        method="cash",
        reference="CASH-0043",
        amount=change.difference,
        actor=front_desk_a,
    )
    assert books_findings() == []
