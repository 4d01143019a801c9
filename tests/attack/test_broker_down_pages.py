"""Pages that queue work with the broker down (the issue: "no page may depend on the broker being up")."""

import pytest
from django.conf import settings
from django.test import Client

from partners import tasks
from partners.models import Partner
from partners.webhooks import webhook_deliver
from tests.api.conftest import WebhookReceiver
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_redeliver_a_partner_webhook_with_the_broker_down_is_not_a_500(monkeypatch):
    from kombu.exceptions import OperationalError

    receiver = WebhookReceiver(statuses=[500])
    try:
        partner = Partner.objects.create(name="Agency", webhook_url=receiver.url)
        event = {"id": "evt_down", "type": "booking.cancelled", "created": 1, "booking": {}}
        failed = webhook_deliver(partner_id=partner.pk, event=event, attempt=1)

        def broker_down(*args, **kwargs):
            raise OperationalError("[Errno 111] Connection refused")

        monkeypatch.setattr(tasks.deliver_webhook, "delay", broker_down)
        admin = Client(raise_request_exception=False)
        admin.force_login(UserFactory(is_staff=True, is_superuser=True))
        answer = admin.post(
            f"/{settings.ADMIN_URL}partners/webhookdelivery/",
            {"action": "redeliver", "_selected_action": [failed.pk]},
        )
    finally:
        receiver.close()
    assert answer.status_code == 302, f"'Redeliver now' with the broker down answered {answer.status_code}"
