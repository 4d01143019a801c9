"""Finding 12: the exchange-rate XML is parsed with defusedxml (no entity expansion, no DTD tricks) and read
streamed, abandoned past its size cap."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from display.currency import MAX_ANSWER_BYTES, EcbProvider, RatesUnavailable
from tests.payments.test_currency import ECB_XML

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
<Cube><Cube time="2026-01-02"><Cube currency="&lol3;" rate="1.1"/></Cube></Cube></gesmes:Envelope>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY ext SYSTEM "file:///etc/passwd">]>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
<Cube><Cube time="2026-01-02"><Cube currency="&ext;" rate="1.1"/></Cube></Cube></gesmes:Envelope>"""


@pytest.fixture
def ecb():
    """An ECB look-alike: ``answer`` is its body; ``endless`` streams with no length until the client hangs up."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            if server.endless:
                self.end_headers()
                try:
                    for _ in range(2000):
                        self.wfile.write(b"<!-- padding -->" * 4096)
                        server.sent += 16 * 4096
                except OSError:
                    pass
                return
            self.send_header("Content-Length", str(len(server.answer)))
            self.end_headers()
            self.wfile.write(server.answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.answer, server.endless, server.sent = ECB_XML, False, 0
    server.url = f"http://127.0.0.1:{server.server_port}/eurofxref-daily.xml"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def test_the_real_shape_still_parses(ecb):
    assert EcbProvider(url=ecb.url, timeout=2).fetch().rates


@pytest.mark.parametrize("body", [LAUGHS, EXTERNAL], ids=["entity-expansion", "external-entity"])
def test_entities_are_refused(ecb, body):
    ecb.answer = body
    with pytest.raises(RatesUnavailable, match="not understood"):
        EcbProvider(url=ecb.url, timeout=2).fetch()


def test_an_endless_answer_is_abandoned_at_the_cap(ecb):
    ecb.endless = True
    with pytest.raises(RatesUnavailable, match="too large"):
        EcbProvider(url=ecb.url, timeout=2).fetch()
    assert ecb.sent < 100 * MAX_ANSWER_BYTES  # 130 MB on offer
