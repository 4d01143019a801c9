import threading
import time
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rest_framework.test import APIClient

from partners.models import Partner
from partners.services import partner_key_issue
from tests.factories import HotelFactory, RoomTypeFactory, TaxFactory, future, open_nights


@pytest.fixture
def room(db):
    """A room type in Paris with 2 rooms a night for 5 nights from ``future(10)`` at 100.00, plus a city tax of
    2.00 per person-night: two nights for two adults cost 208.00."""
    rt = RoomTypeFactory(hotel=HotelFactory(name="Hôtel Lumière", city="Paris"))
    TaxFactory(hotel=rt.hotel, amount=Decimal("2.00"))
    open_nights(rt, future(10), 5, price="100.00", rooms=2)
    return rt


def client_for(partner) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {partner_key_issue(partner=partner)}")
    return client


@pytest.fixture
def partner(db):
    return Partner.objects.create(name="Agency One")


@pytest.fixture
def api(partner):
    return client_for(partner)


def body(rt, **over) -> dict:
    data = {
        "room_type": rt.pk,
        "check_in": future(10).isoformat(),
        "check_out": future(12).isoformat(),
        "adults": 2,
        "children": 0,
        "rooms": 1,
        "guest": {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com", "phone": "+1 555 0100"},
    }
    data.update(over)
    return data


def book(api, rt, key=None, **over):
    return api.post("/api/v1/bookings/", body(rt, **over), format="json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()))


def run_together(calls) -> list:
    """Run the callables in threads released at the same moment; their results, in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        from django.db import connection

        barrier.wait()
        try:
            results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


class WebhookReceiver:
    """A partner's webhook endpoint on a local port, answering the statuses in ``statuses`` in turn (then 200),
    each after the number of seconds in ``delays`` (then at once)."""

    def __init__(self, statuses=(), delays=()):
        self.calls, self.statuses, self.delays = [], list(statuses), list(delays)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                data = self.rfile.read(int(self.headers["Content-Length"]))
                outer.calls.append((dict(self.headers), data))
                if outer.delays:
                    time.sleep(outer.delays.pop(0))
                self.send_response(outer.statuses.pop(0) if outer.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    hook = WebhookReceiver()
    yield hook
    hook.close()
