"""``python -m payments.sandbox_bank --port 8001 [--host H] [--api-key K] [--webhook-secret S] [--state-file F]
[--hang-seconds N] [--public-url URL]``; the key and secret may also come from SANDBOX_BANK_API_KEY and
SANDBOX_BANK_WEBHOOK_SECRET. Logs go to stderr; the first line says where it listens (``--port 0``: any free port).
"""

import argparse
import logging
import os

from .server import BankConfig, make_server
from .store import BankStore


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m payments.sandbox_bank", description="Staybook sandbox bank")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001, help="0 picks a free port")
    parser.add_argument("--api-key", default=os.environ.get("SANDBOX_BANK_API_KEY") or "sandbox-key")
    parser.add_argument(
        "--webhook-secret", default=os.environ.get("SANDBOX_BANK_WEBHOOK_SECRET") or "sandbox-webhook-secret"
    )
    parser.add_argument("--state-file", default=None, help="JSON file that keeps sessions across restarts")
    parser.add_argument(
        "--hang-seconds", type=float, default=30.0, help="how long the status API stalls for the 0119 card"
    )
    parser.add_argument(
        "--public-url",
        default=os.environ.get("SANDBOX_BANK_PUBLIC_URL") or None,
        help="base URL customers' browsers use for the card page (default: the Host the API was called on)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s sandbox-bank %(message)s")
    config = BankConfig(
        api_key=args.api_key,
        webhook_secret=args.webhook_secret,
        hang_seconds=args.hang_seconds,
        store=BankStore(args.state_file),
        public_url=args.public_url,
    )
    server = make_server(args.host, args.port, config)
    logging.info("listening on http://%s:%s", args.host, server.server_address[1])
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
