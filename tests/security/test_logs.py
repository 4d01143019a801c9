"""Finding 8: a password-reset link's token never reaches a log: the request log names the route, and gunicorn
writes no access log of its own (the request log is the one line per request)."""

import json
import logging
import re
from pathlib import Path

import pytest
from django.core import mail

from config.logs import JsonFormatter
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_the_reset_link_is_logged_by_its_route(client, caplog):
    UserFactory(email="ada@example.com")
    client.post("/accounts/password-reset/", {"email": "ada@example.com"})
    link = re.search(r"https?://\S+/accounts/reset/\S+/", mail.outbox[0].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    token = path.strip("/").split("/")[-1]
    caplog.set_level(logging.INFO, logger="staybook.request")
    caplog.clear()
    assert client.get("/" + path).status_code == 302  # to the set-password page, the token now in the session
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "staybook.request"]
    assert lines and lines[0]["path"] == "/accounts/reset/<uidb64>/<token>/"
    assert token not in caplog.text and token not in json.dumps(lines)


def test_secret_query_parameters_are_blanked(client, caplog):
    caplog.set_level(logging.INFO, logger="staybook.request")
    client.get("/payments/return/HB-ZZZZZZ/", {"t": "1abc:s3cret", "session_id": "cs_x", "code": "123456", "page": "2"})
    [line] = [JsonFormatter().format(r) for r in caplog.records if r.name == "staybook.request"]
    assert "s3cret" not in line and "cs_x" not in line and "123456" not in line
    assert "page=2" in json.loads(line)["path"]  # the rest of the query is kept


def test_gunicorn_writes_no_access_log_with_paths():
    procfile = (ROOT / "Procfile.prod").read_text()
    assert "--access-logfile" not in procfile
