"""Start the sandbox bank as a real subprocess on a free port, for tests and benchmarks.

with run_sandbox_bank(hang_seconds=2) as bank:
    gateway = SandboxBankGateway(base_url=bank.url, api_key=bank.api_key, webhook_secret=bank.webhook_secret)
"""

import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 15


@dataclass
class RunningBank:
    url: str  # e.g. "http://127.0.0.1:54321"
    api_key: str
    webhook_secret: str
    process: subprocess.Popen
    log_path: str  # the bank's stderr (its request log), readable until the context exits

    def log_text(self) -> str:
        return Path(self.log_path).read_text(errors="replace")

    def received(self, method: str, path: str) -> int:
        """How many ``method`` requests for exactly ``path`` the bank has received so far (answered or not)."""
        return self.log_text().count(f"received {method} {path}\n")


def free_port() -> int:
    """A port free right now on 127.0.0.1 (for servers that can't be told to pick one themselves)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_listening(process: subprocess.Popen, log_path: str) -> str:
    """The bank is started on port 0 and says which port it got; wait for that line, then for /healthz."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    url = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the sandbox bank exited at start:\n{Path(log_path).read_text(errors='replace')}")
        if url is None:
            match = re.search(r"listening on (http://\S+)", Path(log_path).read_text(errors="replace"))
            url = match.group(1) if match else None
        if url is not None:
            try:
                # Bandit B310 (urlopen): a loopback health check of the bank we just started.
                with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:  # nosec B310
                    if response.status == 200:
                        return url
            except OSError:
                pass
        time.sleep(0.05)
    raise RuntimeError(f"the sandbox bank did not answer within {START_TIMEOUT_SECONDS}s")


@contextlib.contextmanager
def run_sandbox_bank(
    *,
    api_key: str = "sandbox-test-key",
    webhook_secret: str = "sandbox-test-secret",
    hang_seconds: float = 5.0,
    state_file: str | None = None,
):
    """Run ``python -m payments.sandbox_bank`` on a free port of 127.0.0.1 until the block exits.

    Yields a :class:`RunningBank`. Raises ``RuntimeError`` (with the bank's log) if it does not come up."""
    args = [sys.executable, "-m", "payments.sandbox_bank", "--host", "127.0.0.1", "--port", "0"]
    args += ["--api-key", api_key, "--webhook-secret", webhook_secret, "--hang-seconds", str(hang_seconds)]
    if state_file:
        args += ["--state-file", str(state_file)]
    fd, log_path = tempfile.mkstemp(prefix="sandbox-bank-", suffix=".log")
    with os.fdopen(fd, "wb") as log:
        process = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = _wait_until_listening(process, log_path)
        yield RunningBank(url=url, api_key=api_key, webhook_secret=webhook_secret, process=process, log_path=log_path)
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        os.unlink(log_path)


def submit_card(
    pay_url: str,
    card_number: str,
    *,
    expiry: str = "12/39",
    cvc: str = "123",
    name: str = "Ada Lovelace",
    action: str = "pay",
):
    """What a customer's browser does on the card page: POST the form, don't follow the redirect.

    Returns the ``requests`` response: a 303 whose ``Location`` is the merchant's return URL when the form was
    accepted, or a 422 page with the error message."""
    import requests

    return requests.post(
        pay_url,
        data={"card_number": card_number, "expiry": expiry, "cvc": cvc, "name": name, "action": action},
        allow_redirects=False,
        timeout=10,
    )
