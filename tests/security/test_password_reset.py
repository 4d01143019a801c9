"""Finding 9: the per-address password-reset limit counts an address however it is spelled, and the link is built
on the configured SITE_URL, whatever Host header the request came with."""

import pytest
from django.core import mail

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_one_address_spelled_many_ways_shares_one_budget(client):
    UserFactory(email="ada@example.com")
    for spelling in ["ada@example.com", "Ada@Example.com", " ADA@EXAMPLE.COM "]:
        assert client.post("/accounts/password-reset/", {"email": spelling}).status_code == 302
    assert client.post("/accounts/password-reset/", {"email": "aDa@example.COM"}).status_code == 429
    assert len(mail.outbox) == 3


def test_the_link_uses_the_site_url_not_the_host_header(client, settings):
    settings.SITE_URL = "https://staybook.example"
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]
    UserFactory(email="ada@example.com")
    client.post("/accounts/password-reset/", {"email": "ada@example.com"}, HTTP_HOST="evil.example")
    [message] = mail.outbox
    assert "https://staybook.example/accounts/reset/" in message.body
    assert "evil.example" not in message.body and "evil.example" not in message.alternatives[0][0]
