"""Staff's "Run again now" on a partner webhook the outbox gave up on: ``effect_retry_now`` resets the effect's
``attempts`` to 0, and the handler numbers the webhook attempt after ``effect.attempts``; attempts 1…7 of that event
are already recorded (``WebhookDelivery`` unique on event id + attempt), so ``webhook_deliver`` returns the old,
failed attempts without sending anything, and the effect ends ``failed`` again without one request to the partner."""

import json
from datetime import timedelta

import pytest
from django.conf import settings

from bookings.models import BookingEffect
from bookings.outbox import effects_sweep
from partners.webhooks import RETRY_SCHEDULE
from tests.api.conftest import WebhookReceiver, book, client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_run_again_on_a_failed_partner_webhook_sends_it_again(
    partner, room, client, django_capture_on_commit_callbacks
):
    receiver = WebhookReceiver(statuses=[503] * (len(RETRY_SCHEDULE) + 1))  # down for a day, then back
    partner.webhook_url = receiver.url
    partner.save()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            book(client_for(partner), room)
        effect = BookingEffect.objects.get(kind="partner_webhook")
        while effect.status == "pending":
            with django_capture_on_commit_callbacks(execute=True):
                effects_sweep(now=effect.next_attempt_at + timedelta(seconds=1))
            effect.refresh_from_db()
        assert effect.status == "failed" and len(receiver.calls) == len(RETRY_SCHEDULE) + 1

        # The partner's endpoint is back; staff press "Run again now" in the admin.
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
        with django_capture_on_commit_callbacks(execute=True):
            answer = client.post(
                f"/{settings.ADMIN_URL}bookings/bookingeffect/",
                {"action": "run_again", "_selected_action": [effect.pk]},
            )
        assert answer.status_code == 302
        effect.refresh_from_db()
        for _ in range(10):  # and beat keeps running whatever is due
            if effect.status != "pending":
                break
            with django_capture_on_commit_callbacks(execute=True):
                effects_sweep(now=effect.next_attempt_at + timedelta(seconds=1))
            effect.refresh_from_db()
    finally:
        receiver.close()
    sent_after_run_again = receiver.calls[len(RETRY_SCHEDULE) + 1 :]
    assert effect.status == "done" and len(sent_after_run_again) == 1, (
        f"after 'Run again now' the effect is {effect.status!r} ({effect.last_error!r}) and the partner got "
        f"{len(sent_after_run_again)} request(s)"
    )
    assert json.loads(sent_after_run_again[0][1])["type"] == "booking.confirmed"
