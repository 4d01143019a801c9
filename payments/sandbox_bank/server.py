"""HTTP front of the sandbox bank: JSON API for the merchant, hosted card page for the customer."""

import hashlib
import hmac
import json
import logging
import re
import threading
import time
import urllib.request
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

from . import pages
from .store import BankError, BankStore, luhn_ok, public_session

log = logging.getLogger("sandbox_bank")
MAX_BODY = 64 * 1024


class BankConfig:
    def __init__(self, *, api_key: str, webhook_secret: str, hang_seconds: float, store: BankStore):
        self.api_key, self.webhook_secret, self.hang_seconds, self.store = api_key, webhook_secret, hang_seconds, store


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def deliver_webhook(config: BankConfig, session: dict, attempts: int = 4) -> None:
    """POST the signed event to the merchant, retrying with backoff, in a background thread."""
    if not session.get("webhook_url"):
        return
    event = {
        "id": "evt_" + session["id"][3:],
        "type": f"payment.{'succeeded' if session['status'] == 'paid' else 'failed'}",
        "created": int(time.time()),
        "data": public_session(session),
    }
    body = json.dumps(event).encode()

    def run():
        for attempt in range(attempts):
            request = urllib.request.Request(
                session["webhook_url"],
                data=body,
                method="POST",
                headers={  # noqa: S310
                    "Content-Type": "application/json",
                    "Bank-Signature": sign(config.webhook_secret, body, int(time.time())),
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - http(s) checked at creation  # nosec B310 - webhook_url was checked to be http(s) when the session was created
                    if 200 <= response.status < 300:
                        return
            except Exception as exc:  # noqa: BLE001 - any failure is retried
                log.info("webhook attempt %s for %s failed: %s", attempt + 1, session["id"], type(exc).__name__)
            time.sleep(0.5 * 2**attempt)

    threading.Thread(target=run, daemon=True).start()


def _with_session_id(url: str, session_id: str) -> str:
    parts = urlparse(url)
    query = parse_qs(parts.query)
    query["session_id"] = [session_id]
    return urlunparse(parts._replace(query=urlencode(query, doseq=True)))


def _expiry_ok(value: str) -> bool:
    match = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{2})\s*", value)
    if not match:
        return False
    month, year = int(match.group(1)), 2000 + int(match.group(2))
    today = date.today()
    return 1 <= month <= 12 and (year, month) >= (today.year, today.month)


class Handler(BaseHTTPRequestHandler):
    server_version = "SandboxBank/1.0"
    config: BankConfig

    def log_message(self, fmt, *args):  # the path only: never a form body, so never a card number
        log.info("%s %s", self.command, self.path.split("?")[0])

    def _send(self, status: int, body: bytes, content_type: str = "application/json", headers: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: dict):
        self._send(status, json.dumps(data).encode())

    def _error(self, exc: BankError):
        self._json(exc.status, {"error": {"code": exc.code, "message": exc.message}})

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise BankError(413, "too_large", "request body too large")
        return self.rfile.read(length) if length else b""

    def _authorized(self) -> bool:
        given = self.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {self.config.api_key}".encode())

    def _base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{self.headers.get('Host') or f'{host}:{port}'}"

    def do_GET(self):  # noqa: N802
        path = urlparse(self.path).path
        store = self.config.store
        try:
            if path == "/healthz":
                return self._send(200, b"ok", "text/plain")
            if path.startswith("/pay/"):
                session = store.session_get(path[5:])
                if session["status"] != "open":
                    return self._send(
                        200,
                        pages.already_done(session, _with_session_id(session["return_url"], session["id"])),
                        "text/html",
                    )
                return self._send(200, pages.card_form(session), "text/html; charset=utf-8")
            if path.startswith("/api/v1/sessions/"):
                if not self._authorized():
                    raise BankError(401, "unauthorized", "bad API key")
                session_id = path.rsplit("/", 1)[-1]
                session = store.session_get(session_id)
                behaviour = store.behaviour.get(session_id)
                if behaviour == "hang":
                    time.sleep(self.config.hang_seconds)
                elif behaviour == "garbage":
                    return self._send(200, b"<html>502 upstream garbage", "text/html")
                return self._json(200, public_session(session))
            raise BankError(404, "not_found", "no such endpoint")
        except BankError as exc:
            self._error(exc)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_POST(self):  # noqa: N802
        path = urlparse(self.path).path
        store = self.config.store
        try:
            body = self._body()
            if path.startswith("/pay/"):
                return self._pay(path[5:], body)
            if not self._authorized():
                raise BankError(401, "unauthorized", "bad API key")
            try:
                data = json.loads(body or b"null")
            except (ValueError, UnicodeDecodeError):
                raise BankError(400, "invalid_json", "body must be JSON") from None
            key = self.headers.get("Idempotency-Key", "")
            if path == "/api/v1/sessions":
                session, _ = store.session_create(data, key, self._base_url())
                return self._json(201, public_session(session))
            if path == "/api/v1/refunds":
                refund, _ = store.refund_create(data, key)
                return self._json(201, refund)
            raise BankError(404, "not_found", "no such endpoint")
        except BankError as exc:
            self._error(exc)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _pay(self, session_id: str, body: bytes):
        store = self.config.store
        session = store.session_get(session_id)
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        back = _with_session_id(session["return_url"], session_id)
        if session["status"] != "open":
            return self._send(303, b"", "text/plain", {"Location": back})
        if form.get("action") == "cancel":
            store.session_cancel(session_id)
            deliver_webhook(self.config, store.session_get(session_id))
            return self._send(303, b"", "text/plain", {"Location": back})
        number = re.sub(r"[\s-]", "", form.get("card_number", ""))
        error = ""
        if not number.isdigit() or not 12 <= len(number) <= 19 or not luhn_ok(number):
            error = "That card number is not valid."
        elif not _expiry_ok(form.get("expiry", "")):
            error = "The expiry date must be a future month, as MM/YY."
        elif not re.fullmatch(r"\d{3,4}", form.get("cvc", "")):
            error = "The CVC is the 3 or 4 digits on the back of the card."
        if error:
            safe = {"name": form.get("name", "")[:100], "expiry": form.get("expiry", "")[:7]}
            return self._send(422, pages.card_form(session, error, safe), "text/html; charset=utf-8")
        session = store.session_pay(session_id, number)
        if store.behaviour.get(session_id) != "hang":
            deliver_webhook(self.config, session)
        return self._send(303, b"", "text/plain", {"Location": back})


def make_server(host: str, port: int, config: BankConfig) -> ThreadingHTTPServer:
    handler = type("BoundHandler", (Handler,), {"config": config})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
