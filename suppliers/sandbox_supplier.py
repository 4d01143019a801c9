"""The sandbox supplier: another hotel site, on its own port with its own small catalogue, speaking our partner API
protocol (availability, bookings with Idempotency-Key, retrieve, cancel). ``make run`` starts it on port 8002;
tests start it on a free port and switch its behaviour to rehearse faults.

    python -m suppliers.sandbox_supplier --port 8002 [--mode ok|slow|hang|error|garbage|currency|many|refuse]

Modes: ``slow`` answers availability after ``--delay`` seconds; ``hang`` never answers it (until the client gives
up); ``error`` answers 500; ``garbage`` answers bytes that aren't JSON; ``currency`` prices offers in another
currency than the hotel's; ``many`` returns 5,000 hotels; ``refuse`` answers every new booking 409 sold_out.
Hostile transports (issue 15): ``redirect`` sends availability to ``redirect_to``; ``huge`` streams 60 MB with no
length; ``drip`` sends a byte every 0.2 s for ``--delay`` seconds; ``deep`` answers JSON nested 100,000 deep;
``busy`` answers 429 with Retry-After; ``badtz`` gives its hotels a time zone that doesn't exist.
Standard library only, so it runs anywhere the site runs.
"""

import argparse
import json
import secrets
import threading
import time
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

API_KEY = "sandbox-supplier-key"  # the key the demo Supplier row is given (make run)
CITIES = {
    "Paris": ("France", "EUR", "Europe/Paris"),
    "London": ("United Kingdom", "GBP", "Europe/London"),
    "Berlin": ("Germany", "EUR", "Europe/Berlin"),
    "Rome": ("Italy", "EUR", "Europe/Rome"),
    "New York": ("United States", "USD", "America/New_York"),
}
NAMES = ["Partner Inn", "Harbour Lodge", "Maison des Amis"]


def catalogue() -> dict[int, dict]:
    hotels, next_id = {}, 9001
    for city, (country, currency, tz) in CITIES.items():
        for n, name in enumerate(NAMES):
            hotels[next_id] = {
                "id": next_id,
                "name": f"{name} {city}",
                "slug": f"{name}-{city}".lower().replace(" ", "-"),
                "city": city,
                "country": country,
                "address": f"{10 + n} Partner Street, {city}",
                "latitude": None,
                "longitude": None,
                "stars": 3 + n % 2,
                "currency": currency,
                "timezone": tz,
                "check_in_time": "15:00",
                "check_out_time": "11:00",
                "amenities": ["wifi"],
                "nightly": Decimal(90 + 25 * n),
            }
            next_id += 1
    return hotels


class SandboxSupplier(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, *, mode="ok", delay=2.0, api_key=API_KEY):
        super().__init__(address, Handler)
        self.mode, self.delay, self.api_key = mode, delay, api_key
        self.hotels = catalogue()
        self.bookings: dict[str, dict] = {}
        self.by_key: dict[str, str] = {}
        self.lock = threading.Lock()
        self.requests: list[str] = []  # "GET /api/v1/availability/" ... for tests
        self.redirect_to = ""  # mode redirect: where availability is sent
        self.bytes_sent = 0  # mode huge: how much of the 60 MB the client took

    @property
    def url(self) -> str:
        return f"http://{self.server_address[0]}:{self.server_address[1]}"

    def offer(self, hotel: dict, room: int, check_in: date, check_out: date, adults: int, rooms: int) -> dict:
        nights = (check_out - check_in).days
        price = hotel["nightly"] + 40 * room
        lines = [
            {
                "date": date.fromordinal(check_in.toordinal() + i).isoformat(),
                "unit_price": f"{price:.2f}",
                "rooms": rooms,
                "amount": f"{price * rooms:.2f}",
            }
            for i in range(nights)
        ]
        tax = Decimal("2.00") * adults * nights
        total = price * rooms * nights + tax
        currency = "CHF" if self.mode == "currency" else hotel["currency"]
        return {
            "room_type": {
                "id": hotel["id"] * 10 + room,
                "name": ["Classic Double", "Deluxe Double"][room],
                "description": "",
                "max_adults": 2,
                "max_children": 1,
                "max_occupancy": 3,
                "beds": "1 double bed",
                "size_m2": 20 + 6 * room,
                "total_rooms": 10,
            },
            "rate_plan": {"id": hotel["id"] * 100 + room, "name": "Partner saver", "meal_plan": "room_only"},
            "rooms_available": 5,
            "currency": currency,
            "nights": lines,
            "adjustments": [],
            "extras": [],
            "taxes": [{"name": "City tax", "amount": f"{tax:.2f}", "included": False}],
            "total": f"{total:.2f}",
            "cancellation_policy": {
                "free_until": None,
                "timezone": hotel["timezone"],
                "penalty": "full_stay",
                "penalty_percent": "100.00",
                "summary": "Non-refundable: the full stay is charged if you cancel.",
            },
        }


class Handler(BaseHTTPRequestHandler):
    server: SandboxSupplier

    def log_message(self, *args):
        pass

    def _send(self, status: int, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status, code, message):
        self._send(status, {"error": {"code": code, "message": message}})

    def _authorized(self) -> bool:
        if self.headers.get("Authorization") != f"Api-Key {self.server.api_key}":
            self._error(401, "invalid_api_key", "Unknown API key.")
            return False
        return True

    def do_GET(self):
        url = urlparse(self.path)
        self.server.requests.append(f"GET {url.path}")
        if not self._authorized():
            return
        if url.path == "/api/v1/availability/":
            return self._availability(parse_qs(url.query))
        if url.path.startswith("/api/v1/bookings/"):
            booking = self.server.bookings.get(url.path.split("/")[4])
            return self._send(200, booking) if booking else self._error(404, "not_found", "No such booking.")
        self._error(404, "not_found", "Not found.")

    def _availability(self, query):
        mode = self.server.mode
        if mode == "hang":
            time.sleep(60)
            return
        if mode == "slow":
            time.sleep(self.server.delay)
        if mode == "error":
            return self._error(500, "server_error", "Something broke.")
        if mode == "garbage":
            return self._send(200, b"\x00<html>not json", "text/html")
        if mode in ("redirect", "huge", "drip", "deep", "busy"):
            return self._hostile(mode)
        try:
            city = query.get("city", [""])[0]
            hotel_id = int(query["hotel"][0]) if "hotel" in query else None
            check_in = date.fromisoformat(query["check_in"][0])
            check_out = date.fromisoformat(query["check_out"][0])
            adults = int(query.get("adults", ["2"])[0])
            rooms = int(query.get("rooms", ["1"])[0])
        except (KeyError, ValueError):
            return self._error(400, "invalid", "Bad query.")
        if hotel_id is not None:
            hotels = [self.server.hotels[hotel_id]] if hotel_id in self.server.hotels else []
        else:
            hotels = [h for h in self.server.hotels.values() if h["city"].casefold() == city.casefold()]
        if mode == "many":
            base = hotels[0] if hotels else next(iter(self.server.hotels.values()))
            hotels = [{**base, "id": 100000 + i, "name": f"Bulk Hotel {i}", "city": city} for i in range(5000)]
        if mode == "badtz":
            hotels = [{**h, "timezone": "Mars/Olympus_Mons"} for h in hotels]
        results = [
            {
                "hotel": {k: v for k, v in h.items() if k != "nightly"},
                "offers": [self.server.offer(h, room, check_in, check_out, adults, rooms) for room in (0, 1)],
            }
            for h in hotels
        ]
        self._send(200, {"count": len(results), "page": 1, "pages": 1, "results": results})

    def _hostile(self, mode):
        if mode == "deep":
            return self._send(200, b"[" * 100_000 + b"]" * 100_000)
        if mode == "busy":
            self.send_response(429)
            self.send_header("Retry-After", "120")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if mode == "redirect":
            self.send_response(302)
            self.send_header("Location", self.server.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()  # no Content-Length: the body ends when the connection closes
        self.close_connection = True
        try:
            if mode == "huge":
                chunk = b" " * 65536
                for _ in range(60_000_000 // len(chunk)):
                    self.wfile.write(chunk)
                    self.server.bytes_sent += len(chunk)
            else:  # drip
                self.wfile.write(b'{"results": [')
                until = time.monotonic() + self.server.delay
                while time.monotonic() < until:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.2)
        except OSError:
            pass  # the client hung up, as it should
        return None

    def do_POST(self):
        url = urlparse(self.path)
        self.server.requests.append(f"POST {url.path}")
        if not self._authorized():
            return
        length = min(int(self.headers.get("Content-Length") or 0), 100_000)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return self._error(400, "invalid_json", "Send JSON.")
        if url.path == "/api/v1/bookings/":
            return self._book(body)
        parts = url.path.strip("/").split("/")
        if len(parts) == 5 and parts[:3] == ["api", "v1", "bookings"] and parts[4] == "cancel":
            with self.server.lock:
                booking = self.server.bookings.get(parts[3])
                if booking is None:
                    return self._error(404, "not_found", "No such booking.")
                booking["status"] = "cancelled"
            return self._send(200, booking)
        self._error(404, "not_found", "Not found.")

    def _book(self, body):
        key = self.headers.get("Idempotency-Key", "")
        if not key:
            return self._error(400, "idempotency_key_required", "Send an Idempotency-Key.")
        with self.server.lock:
            if key in self.server.by_key:
                return self._send(201, self.server.bookings[self.server.by_key[key]])
            if self.server.mode == "refuse":
                return self._error(409, "sold_out", "This room was just sold out at the hotel.")
            reference = "SP-" + secrets.token_hex(3).upper()
            booking = {"reference": reference, "status": "confirmed", "request": body, "idempotency_key": key}
            self.server.bookings[reference] = booking
            self.server.by_key[key] = reference
        self._send(201, booking)


def run_sandbox_supplier(port=0, **options) -> SandboxSupplier:
    """Start one in a background thread (tests); ``.shutdown()`` stops it."""
    server = SandboxSupplier(("127.0.0.1", port), **options)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8002)
    parser.add_argument("--mode", default="ok")
    parser.add_argument("--delay", type=float, default=2.0)
    args = parser.parse_args()
    server = SandboxSupplier(("127.0.0.1", args.port), mode=args.mode, delay=args.delay)
    print(f"Sandbox supplier on {server.url} (mode {args.mode}, API key {API_KEY})", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
