import argparse
import logging
import os

from .server import BankConfig, make_server
from .store import BankStore


def main():
    parser = argparse.ArgumentParser(description="Staybook sandbox bank")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--api-key", default=os.environ.get("SANDBOX_BANK_API_KEY", "sandbox-key"))
    parser.add_argument(
        "--webhook-secret", default=os.environ.get("SANDBOX_BANK_WEBHOOK_SECRET", "sandbox-webhook-secret")
    )
    parser.add_argument("--state-file", default=None)
    parser.add_argument("--hang-seconds", type=float, default=30.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s sandbox-bank %(message)s")
    config = BankConfig(
        api_key=args.api_key,
        webhook_secret=args.webhook_secret,
        hang_seconds=args.hang_seconds,
        store=BankStore(args.state_file),
    )
    server = make_server(args.host, args.port, config)
    logging.info("listening on http://%s:%s", args.host, server.server_address[1])
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
