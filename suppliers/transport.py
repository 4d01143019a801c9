"""HTTP to a supplier without trusting its transport: no redirects (a supplier could point us at an internal
address), a streamed read that stops at ``max_bytes`` (never the whole body first), and one deadline for the whole
call — connect, headers and body — so a supplier dripping a byte at a time can't hold a pool thread past it.

Read timeouts in ``requests`` apply per socket read, so a drip never trips them: here a timer shuts down the
call's socket when the deadline passes, which ends whatever read is waiting. The socket is registered when
urllib3 starts reading the response (``getresponse``), for new and pooled connections alike."""

import socket
import threading
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError as Urllib3Error

CHUNK_BYTES = 64 * 1024
_calls = threading.local()


class TransportError(Exception):
    """The supplier's answer could not be had: unreachable, redirected, too large or too slow."""


class _Call:
    def __init__(self):
        self.sockets: list[socket.socket] = []
        self.expired = False
        self.lock = threading.Lock()

    def watch(self, sock) -> None:
        with self.lock:
            self.sockets.append(sock)
            expired = self.expired
        if expired:
            _shut(sock)

    def expire(self) -> None:
        with self.lock:
            self.expired = True
            sockets = list(self.sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


class _Watched:
    def getresponse(self, *args, **kwargs):
        call = getattr(_calls, "current", None)
        if call is not None and self.sock is not None:
            call.watch(self.sock)
        return super().getresponse(*args, **kwargs)


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """An adapter whose connections can be cut by :func:`fetch`'s deadline."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes


def fetch(session: requests.Session, method: str, url: str, *, deadline: float, max_bytes: int, **kwargs) -> Answer:
    """One request, its whole answer read within ``deadline`` seconds and ``max_bytes``; raises
    :class:`TransportError` otherwise (a redirect included: it is never followed)."""
    call = _Call()
    timer = threading.Timer(deadline, call.expire)
    timer.daemon = True
    _calls.current = call
    timer.start()
    response, complete = None, False
    try:
        response = session.request(method, url, stream=True, allow_redirects=False, **kwargs)
        if 300 <= response.status_code < 400:
            raise TransportError(f"HTTP {response.status_code} redirect to elsewhere: not followed")
        declared = response.headers.get("Content-Length", "")
        if declared.isdecimal() and int(declared) > max_bytes:
            raise TransportError(f"answer of {declared} bytes, over the {max_bytes} limit")
        body = bytearray()
        for chunk in response.iter_content(CHUNK_BYTES):
            body += chunk
            if len(body) > max_bytes:
                raise TransportError(f"answer over the {max_bytes} bytes limit")
            if call.expired:
                break
        if call.expired:
            raise TransportError(f"no complete answer within {deadline:.1f} s")
        complete = True
        return Answer(status=response.status_code, headers=dict(response.headers), body=bytes(body))
    except (requests.RequestException, Urllib3Error, OSError) as exc:
        if call.expired:
            raise TransportError(f"no complete answer within {deadline:.1f} s") from exc
        raise TransportError(f"{type(exc).__name__}: {str(exc)[:150]}") from exc
    finally:
        timer.cancel()
        _calls.current = None
        if response is not None and not complete:
            response.close()  # the rest of the body is never read: the connection can't be reused
