"""Start the sandbox bank as a real subprocess on a free port, for tests and benchmarks."""

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path


@dataclass
class RunningBank:
    url: str
    api_key: str
    webhook_secret: str
    process: subprocess.Popen
    log_path: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def run_sandbox_bank(
    *,
    api_key="sandbox-test-key",
    webhook_secret="sandbox-test-secret",
    hang_seconds=5.0,  # noqa: S107
    state_file: str | None = None,
):
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "payments.sandbox_bank",
        "--port",
        str(port),
        "--api-key",
        api_key,
        "--webhook-secret",
        webhook_secret,
        "--hang-seconds",
        str(hang_seconds),
    ]
    if state_file:
        args += ["--state-file", state_file]
    log = tempfile.NamedTemporaryFile(prefix="sandbox-bank-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        args,
        cwd=Path(__file__).resolve().parents[2],
        stdout=log,  # noqa: S603
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1):  # noqa: S310 - loopback  # nosec B310 - loopback health check of the bank we just started
                    break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(Path(log.name).read_text()) from None
                time.sleep(0.05)
        yield RunningBank(url=url, api_key=api_key, webhook_secret=webhook_secret, process=process, log_path=log.name)
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
