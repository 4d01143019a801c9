"""HTTP front of the sandbox bank: a JSON API for the merchant's server, a hosted card page for the customer.

Routes::

    GET  /healthz                  "ok"
    POST /api/v1/sessions          open a payment session (Bearer API key, Idempotency-Key)
    GET  /api/v1/sessions/<id>     a session's outcome (Bearer API key)
    POST /api/v1/refunds           refund part or all of a transaction (Bearer API key, Idempotency-Key)
    POST /api/v1/charges           charge a saved card (token) without the guest (Bearer API key, Idempotency-Key)
    POST /api/v1/captures          capture an authorised transaction (Bearer API key, Idempotency-Key)
    POST /api/v1/payment_links     a hosted page for an amount, to send by e-mail (Bearer API key, Idempotency-Key)
    GET  /api/v1/refunds?transaction_id=<id>   the refunds made on a transaction (Bearer API key)

Refund faults, chosen per payment by the card it was paid with (see ``store.TEST_CARDS``), hit the first request
of each refund's Idempotency-Key: answered after the client's timeout, HTTP 500 after processing, connection reset
after processing, connection reset before processing; or every answer slow but in time.
    GET  /pay/<id>                 the card page
    POST /pay/<id>                 the card form: pay or cancel, then 303 back to the merchant's return_url

The request log shows method, path and status only: never a query string or a body, so never a card number.
"""

import hmac
import json
import logging
import re
import socket
import struct
import time
import traceback
from dataclasses import dataclass
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, parse_qsl, urlencode, urlparse, urlunparse

from . import pages
from .store import BankError, BankStore, luhn_ok, public_session
from .webhooks import deliver_webhook

log = logging.getLogger("sandbox_bank")
MAX_BODY = 64 * 1024
MAX_DRAIN = 1024 * 1024
ID_RE = r"[A-Za-z0-9_-]{1,64}"
SESSION_API_RE = re.compile(rf"/api/v1/sessions/({ID_RE})")
PAY_RE = re.compile(rf"/pay/({ID_RE})")
MERCHANT_POSTS = ("/api/v1/sessions", "/api/v1/refunds", "/api/v1/charges", "/api/v1/captures", "/api/v1/payment_links")
HOST_RE = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")
HTML = "text/html; charset=utf-8"
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # No form-action: the card form posts to this page, and its answer redirects to the merchant.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
}


class ConnectionDropped(Exception):
    """The handler reset the connection on purpose (a fault): nothing more is written."""


SLOW_REFUND_SECONDS = 1.0


@dataclass(kw_only=True)
class BankConfig:
    api_key: str
    webhook_secret: str
    hang_seconds: float
    store: BankStore
    public_url: str | None = None  # where customers reach the bank; by default, the Host the API was called on


def with_session_id(url: str, session_id: str) -> str:
    """``url`` with ``session_id=<id>`` added to its query string, keeping the merchant's own parameters."""
    parts = urlparse(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "session_id"]
    query.append(("session_id", session_id))
    return urlunparse(parts._replace(query=urlencode(query)))


def expiry_ok(value: str, today: date | None = None) -> bool:
    """MM/YY, this month or later (a card is valid until the end of its expiry month)."""
    match = re.fullmatch(r"\s*([0-9]{1,2})\s*/\s*([0-9]{2})\s*", value)
    if not match:
        return False
    month, year = int(match.group(1)), 2000 + int(match.group(2))
    today = today or date.today()
    return 1 <= month <= 12 and (year, month) >= (today.year, today.month)


def card_form_error(form: dict) -> str:
    """The first problem with the submitted card, as a message for the customer ("" when it is acceptable)."""
    number = re.sub(r"[\s-]", "", form.get("card_number", ""))
    if not re.fullmatch(r"[0-9]{12,19}", number) or not luhn_ok(number):
        return "That card number is not valid: please check the digits."
    if not expiry_ok(form.get("expiry", "")):
        return "The expiry date must be this month or later, written MM/YY."
    if not re.fullmatch(r"[0-9]{3,4}", form.get("cvc", "").strip()):
        return "The CVC is the 3 or 4 digits on the back of the card."
    return ""


class Handler(BaseHTTPRequestHandler):
    server_version = "SandboxBank/1.0"
    timeout = 30  # seconds a client may take to send its request; a stalled one doesn't hold a thread forever
    config: BankConfig  # set on the subclass make_server() builds

    # --- logging: method, path and status; never the query string, never the body ---------------------------
    def log_request(self, code="-", size="-"):
        path = (getattr(self, "path", None) or "").split("?", 1)[0][:200]
        log.info("%s %s %s", getattr(self, "command", None) or "-", path, getattr(code, "value", code))

    def log_error(self, format, *args):  # noqa: A002 - the base class's signature
        log.info("bad request: %s", args[0] if args and isinstance(args[0], int) else "-")

    def log_message(self, format, *args):  # noqa: A002
        log.info("%s", format.split("%", 1)[0].strip() or "message")

    # --- responses ---------------------------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: dict, headers: dict | None = None):
        self._send(
            status, json.dumps(data).encode(), "application/json", {"Cache-Control": "no-store", **(headers or {})}
        )

    def _html(self, status: int, body: bytes):
        self._send(status, body, HTML, PAGE_HEADERS)

    def _redirect(self, location: str):
        self._send(303, b"", "text/plain", {"Location": location, "Cache-Control": "no-store"})

    # --- request helpers ---------------------------------------------------------------------------------------
    def _body(self) -> bytes:
        raw = self.headers.get("Content-Length") or "0"
        if not raw.strip().isdigit() or not raw.strip().isascii():
            raise BankError(400, "invalid_request", "bad Content-Length")
        length = int(raw)
        if length > MAX_BODY:
            # Drain (a bounded amount) before refusing: closing on unread data would reset the connection and
            # the client would never see the 413.
            remaining = min(length, MAX_DRAIN)
            while remaining > 0 and (chunk := self.rfile.read(min(remaining, 65536))):
                remaining -= len(chunk)
            raise BankError(413, "too_large", "request body too large")
        return self.rfile.read(length) if length else b""

    def _json_body(self):
        try:
            return json.loads(self.request_body or b"null")
        except (ValueError, RecursionError):
            raise BankError(400, "invalid_json", "the body must be a JSON object") from None

    def _require_api_key(self):
        given = self.headers.get("Authorization", "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, f"Bearer {self.config.api_key}".encode()):
            raise BankError(401, "unauthorized", "missing or wrong API key")

    def _base_url(self) -> str:
        if self.config.public_url:
            return self.config.public_url.rstrip("/")
        host = self.headers.get("Host", "")
        if not HOST_RE.fullmatch(host):
            address, port = self.server.server_address[:2]
            host = f"{address}:{port}"
        return f"http://{host}"

    # --- dispatch ----------------------------------------------------------------------------------------------
    def _dispatch(self):
        path = urlparse(self.path).path
        log.info("received %s %s", self.command, path[:200])  # before any answer: tests count attempts by it
        try:
            self.request_body = self._body()  # read before answering, even a refusal: no reset on close
            self._route(self.command, path)
        except BankError as exc:
            if path.startswith("/pay/"):  # the customer's browser gets a page, the merchant's server JSON
                self._html(exc.status, pages.message_page(exc.message))
            else:
                self._json(exc.status, {"error": {"code": exc.code, "message": exc.message}})
        except (BrokenPipeError, ConnectionResetError, ConnectionDropped):
            pass
        except TimeoutError:
            log.info("%s %s: client too slow, connection dropped", self.command, path)
        except Exception as exc:  # noqa: BLE001 - a bug answers 500 and leaves the server up
            # The frames and the exception's type, not its message: a message could quote what the client sent.
            trace = "".join(traceback.format_tb(exc.__traceback__))
            log.error("internal error on %s %s: %s\n%s", self.command, path, type(exc).__name__, trace)
            self._json(500, {"error": {"code": "internal_error", "message": "the bank had a problem"}})

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch  # noqa: N815 - http.server's naming

    def _route(self, method: str, path: str):
        if path == "/healthz":
            self._only(method, "GET")
            return self._send(200, b"ok", "text/plain")
        if path == "/api/v1/refunds" and method == "GET":
            self._require_api_key()
            transaction_id = parse_qs(urlparse(self.path).query).get("transaction_id", [""])[0]
            return self._json(200, {"data": self.config.store.refunds_of(transaction_id)})
        if path in MERCHANT_POSTS:
            self._only(method, "POST")
            self._require_api_key()
            body, key = self._json_body(), self.headers.get("Idempotency-Key", "")
            store = self.config.store
            if path in ("/api/v1/sessions", "/api/v1/payment_links"):
                mode = "link" if path == "/api/v1/payment_links" else None
                session, _ = store.session_create(body, key, self._base_url(), mode=mode)
                return self._json(201, public_session(session))
            if path == "/api/v1/charges":
                return self._charge(body, key)
            if path == "/api/v1/captures":
                obj, _ = store.capture(body, key)
                return self._json(201, public_session(obj) if "mode" in obj else obj)
            return self._refund(body, key)
        if match := SESSION_API_RE.fullmatch(path):
            self._only(method, "GET")
            self._require_api_key()
            return self._session_status(match.group(1))
        if match := PAY_RE.fullmatch(path):
            self._only(method, "GET", "POST")
            if method == "POST":
                return self._pay(match.group(1))
            return self._card_page(match.group(1))
        raise BankError(404, "not_found", "no such page")

    def _only(self, method: str, *allowed: str):
        if method not in allowed:
            raise BankError(405, "method_not_allowed", f"use {' or '.join(allowed)}")

    # --- the merchant's API ------------------------------------------------------------------------------------
    def _charge(self, body, key: str):
        fault = self.config.store.charge_fault(body, key)
        charge, _ = self.config.store.charge_create(body, key)
        if fault == "hang":
            time.sleep(self.config.hang_seconds)  # made, but the client has given up: its outcome is unknown
        return self._json(201, charge)

    def _refund(self, body, key: str):
        fault = self.config.store.refund_fault(body, key)
        if fault:
            log.info("refund fault met: %s", fault)
        if fault == "refund_dropped":
            self._reset_connection()
        refund, _ = self.config.store.refund_create(body, key)
        if fault == "refund_late":
            time.sleep(self.config.hang_seconds)  # the client has given up by now; the refund stands
        elif fault == "refund_500":
            return self._json(500, {"error": {"code": "internal_error", "message": "the bank had a problem"}})
        elif fault == "refund_reset":
            self._reset_connection()
        elif fault == "refund_slow":
            time.sleep(SLOW_REFUND_SECONDS)
        return self._json(201, refund)

    def _reset_connection(self):
        """Close with a TCP RST, as a dying load balancer does: the client reads "connection reset by peer"."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True
        raise ConnectionDropped

    def _session_status(self, session_id: str):
        session = self.config.store.session_get(session_id)
        behaviour = self.config.store.behaviour.get(session_id)
        if behaviour == "hang":
            time.sleep(self.config.hang_seconds)
        elif behaviour == "garbage":
            return self._send(200, b"<html><body>upstream timeout\x00\xff", "text/html")
        return self._json(200, public_session(session))

    # --- the customer's card page ------------------------------------------------------------------------------
    def _card_page(self, session_id: str):
        session = self.config.store.session_get(session_id)
        if session["status"] != "open":
            back = with_session_id(session["return_url"], session_id)
            return self._html(200, pages.already_done(session, back))
        return self._html(200, pages.card_form(session))

    def _pay(self, session_id: str):
        store = self.config.store
        session = store.session_get(session_id)
        try:
            form = {
                k: v[0] for k, v in parse_qs(self.request_body.decode("utf-8", "replace"), max_num_fields=20).items()
            }
        except ValueError:
            raise BankError(400, "invalid_request", "bad form") from None
        back = with_session_id(session["return_url"], session_id)
        if session["status"] != "open":
            return self._html(200, pages.already_done(session, back))
        if form.get("action") == "cancel":
            session, changed = store.session_cancel(session_id)
        else:
            error = card_form_error(form)
            if error:
                kept = {"name": form.get("name", "")[:100], "expiry": form.get("expiry", "")[:7]}
                return self._html(422, pages.card_form(session, error, kept))
            number = re.sub(r"[\s-]", "", form["card_number"])
            session, changed = store.session_pay(session_id, number)
        if not changed:  # settled meanwhile by another request: nothing charged now
            return self._html(200, pages.already_done(session, back))
        if store.behaviour.get(session_id) != "hang":  # the "never answers" card sends no webhook either
            deliver_webhook(session, secret=self.config.webhook_secret)
        return self._redirect(back)


class BankHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops connections when a few customers pay at the same moment


def make_server(host: str, port: int, config: BankConfig) -> BankHTTPServer:
    """A threaded HTTP server bound to (host, port); port 0 picks a free one (see ``server.server_address``)."""
    handler = type("BoundHandler", (Handler,), {"config": config})
    return BankHTTPServer((host, port), handler)
