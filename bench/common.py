import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(workers: int = 2, extra_env: dict | None = None):
    """The site under gunicorn on a free loopback port, with the bench database; stopped on exit."""
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    process = subprocess.Popen(  # noqa: S603
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=1)  # noqa: S310 - loopback
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def wrk(
    url_file: str,
    base: str,
    *,
    seconds: int = 15,
    connections: int = 8,
    threads: int = 2,
    headers: dict | None = None,
    method: str = "GET",
    body: str | None = None,
) -> dict:
    """Drive ``base`` with wrk, rotating through the paths in ``url_file``; returns rps, p50, p95, non-2xx."""
    script = ROOT / "bench" / "rotate.lua"
    env = {
        **os.environ,
        "BENCH_PATHS": url_file,
        "BENCH_METHOD": method,
        "BENCH_BODY": body or "",
        "BENCH_HEADERS": "\n".join(f"{k}: {v}" for k, v in (headers or {}).items()),
    }
    out = subprocess.run(
        [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--latency",  # noqa: S603, S607
            "-s",
            str(script),
            base,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    result = {"rps": 0.0, "p50": "?", "p95": "?", "non2xx": 0, "raw": out}
    for line in out.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec:"):
            result["rps"] = float(parts[1])
        elif parts[:1] == ["50%"]:
            result["p50"] = parts[1]
        elif line.strip().startswith("Non-2xx"):
            result["non2xx"] = int(parts[-1])
        elif line.strip().startswith("STAT p95"):
            result["p95"] = parts[-1]
    return result
