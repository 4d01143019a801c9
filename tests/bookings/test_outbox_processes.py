"""The outbox with real Celery worker processes on the configured broker (filesystem, or Redis in CI's second run):
a broker that is down when a booking commits, and a worker killed with SIGKILL in the middle of a side effect.
Either way every side effect happens exactly once."""

import json
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.verification import email_verify
from bookings.models import Booking, BookingEffect
from bookings.outbox import effects_sweep
from notifications.models import OutboundEmail
from notifications.services import QUEUED_GRACE, SENDING_GRACE, emails_retry_failed
from partners.models import Partner, WebhookDelivery
from payments.models import Receipt
from payments.sandbox_bank.testing import free_port
from tests.api.conftest import WebhookReceiver, book, client_for
from tests.bookings.test_flow import APPROVE, come_back, pay_at_bank, to_review
from tests.factories import RoomTypeFactory, TaxFactory, future, open_nights
from tests.notifications.test_worker import _reset_broker_connections, workers  # noqa: F401 - the fixture

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def room():
    rt = RoomTypeFactory(name="Garden Double")
    TaxFactory(hotel=rt.hotel, amount=Decimal("2.00"))
    open_nights(rt, future(10), 3, price="120.00", rooms=3)
    return rt


def everything_done() -> bool:
    effects_left = BookingEffect.objects.exclude(status="done").exists()
    return not effects_left and not OutboundEmail.objects.exclude(status="sent").exists()


def sweep():
    """What beat does every minute (effects) and every ten (e-mails), run as if their grace periods were over."""
    later = timezone.now() + max(QUEUED_GRACE, SENDING_GRACE) + timedelta(minutes=1)
    return effects_sweep(now=later) + emails_retry_failed(now=later)


def test_a_broker_down_at_commit_delays_side_effects_and_loses_none(workers, settings, client, bank, room):  # noqa: F811
    real_broker = settings.CELERY_BROKER_URL
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    _reset_broker_connections()
    receiver = WebhookReceiver()
    try:
        # A guest signs up in the booking flow, pays and comes back: the booking page, never a 500.
        pay = client.post(to_review(client, room), {"expected_total": "248.00"})
        back = come_back(client, pay_at_bank(pay["Location"], APPROVE))
        assert back.status_code == 302
        page = client.get(back["Location"])
        assert page.status_code == 200 and "Confirmed" in page.content.decode()
        # A partner books over the API, with a webhook URL.
        partner = Partner.objects.create(name="Hooked", webhook_url=receiver.url)
        assert book(client_for(partner), room).status_code == 201
        assert not OutboundEmail.objects.filter(status="sent").exists() and not Receipt.objects.exists()
        assert receiver.calls == []
        # The guest confirms the address their account was made with: the confirmation held for it is queued,
        # into the same dead broker.
        email_verify(User.objects.get(email="grace@example.com"))
        assert OutboundEmail.objects.get(kind="booking_confirmed_guest").status == "queued"

        settings.CELERY_BROKER_URL = real_broker  # the broker is back, and a worker runs
        _reset_broker_connections()
        workers.start()
        assert sweep() > 0
        assert workers.wait_for(everything_done), workers.logs()
        time.sleep(1)  # room for a duplicate, which must find everything done
        guest, partner_booking = Booking.objects.order_by("created_at")
        assert sorted(OutboundEmail.objects.values_list("kind", flat=True)) == [
            "booking_confirmed_guest",
            "booking_confirmed_hotel",
            "booking_confirmed_hotel",
            "welcome",
        ]
        assert set(OutboundEmail.objects.values_list("attempts", flat=True)) == {1}
        assert len(workers.sent_files()) == 4
        assert (
            Receipt.objects.filter(booking=guest).count()
            == 1
            == Receipt.objects.filter(booking=partner_booking).count()
        )
        assert len(receiver.calls) == 1 and WebhookDelivery.objects.filter(delivered=True).count() == 1
    finally:
        receiver.close()


def test_a_worker_killed_in_the_middle_of_a_side_effect_loses_nothing_and_repeats_nothing(workers, room):  # noqa: F811
    receiver = WebhookReceiver(delays=[60])  # the partner's server hangs on the first delivery
    try:
        partner = Partner.objects.create(name="Hooked", webhook_url=receiver.url)
        first = workers.start()
        assert book(client_for(partner), room).status_code == 201
        assert workers.wait_for(lambda: receiver.calls), workers.logs()
        workers.kill(first)  # SIGKILL in the middle of the webhook's delivery
        effect = BookingEffect.objects.get(kind="partner_webhook")
        assert effect.status == "pending" and effect.attempts == 1  # counted; its work rolled back with the worker

        workers.start()
        sweep()
        assert workers.wait_for(everything_done), workers.logs()
        time.sleep(1)
        event_ids = {json.loads(data)["id"] for _, data in receiver.calls}
        assert len(receiver.calls) == 2 and len(event_ids) == 1  # the same event again: the partner dedupes by id
        assert list(WebhookDelivery.objects.values_list("delivered", flat=True)) == [True]
        assert Receipt.objects.count() == 1 and OutboundEmail.objects.get().status == "sent"
        assert len(workers.sent_files()) == 1
    finally:
        receiver.close()
