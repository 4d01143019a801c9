"""What every bench section shares: result rows with targets, percentiles, the site under gunicorn, an HTTP load.

A section is a module with ``run(options)`` (or ``run()``) returning a list of rows: ``Row`` or plain
``(measure, value, target)`` tuples. A row whose ``ok`` is False is printed again as "TARGET MISSED" (full runs
only); a row whose ``error`` is True (a load run answered non-2xx, say) fails the run in every mode.
"""

import contextlib
import http.client
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


class Row(NamedTuple):
    measure: str
    value: str
    target: str = ""
    ok: bool | None = None  # None: nothing to compare; False: printed as "TARGET MISSED"
    error: bool = False  # the measure is of failures (non-2xx answers...): the bench exits non-zero


def percentile(values, pct):
    """Nearest-rank percentile of ``values`` (no interpolation)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server(str):
    """The base URL of a running gunicorn (a ``str``), with what :func:`server_cpu` needs to find its processes."""

    master_pid: int
    app_name: str
    replica_urls: list[str]


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by process ``pid`` (0 when it is gone or on another host)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def server_cpu(server: Server) -> dict[str, float]:
    """CPU seconds used so far by the gunicorn workers and by their PostgreSQL backends on the primary and on any
    replica (Linux /proc, found through ``application_name``), so a figure can be split into Python and database
    time per request and read even when other work shares the machine. Backends on another host are not counted."""
    import psycopg
    from django.db import connection

    children = Path(f"/proc/{server.master_pid}/task/{server.master_pid}/children")
    workers = [int(pid) for pid in children.read_text().split()] if children.exists() else []
    backends_sql = "SELECT pid FROM pg_stat_activity WHERE application_name = %s"
    with connection.cursor() as cursor:
        cursor.execute(backends_sql, [server.app_name])
        backends = [pid for (pid,) in cursor.fetchall()]
    replica_backends = []
    for url in server.replica_urls:
        with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as replica:
            replica_backends += [pid for (pid,) in replica.execute(backends_sql, [server.app_name]).fetchall()]
    return {
        **{f"worker {pid}": process_cpu_seconds(pid) for pid in workers},
        **{f"postgres {pid}": process_cpu_seconds(pid) for pid in backends},
        **{f"replica {pid}": process_cpu_seconds(pid) for pid in replica_backends},
    }


def _own_cpu() -> float:
    """CPU seconds of this process and its finished children (wrk), for the load tool's share."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def load_run(url_file: str, server: Server, *, seconds: int, **wrk_options) -> dict:
    """:func:`wrk` on ``server`` plus what it cost: ``cpu_ms`` (CPU milliseconds per answered request of the
    gunicorn workers, their PostgreSQL backends and the load tool) and ``capacity`` (requests/s this machine's
    CPUs could serve at that cost), so a figure taken on a busy machine still says what idle cores would do."""
    before, client_before = server_cpu(server), _own_cpu()
    result = wrk(url_file, server, seconds=seconds, **wrk_options)
    used = {**cpu_used(before, server_cpu(server)), "client": _own_cpu() - client_before}
    if server.replica_urls:
        used.setdefault("replica", 0.0)
    requests = max(result["requests"], 1)
    result["cpu_ms"] = {name: seconds * 1000 / requests for name, seconds in used.items()}
    result["capacity"] = (os.cpu_count() or 1) * 1000 / max(sum(result["cpu_ms"].values()), 1e-9)
    return result


def load_rows(result: dict, *, served: str = "req/s") -> list[Row]:
    """The rows every load run prints below its throughput row: latency, CPU per request, what the CPUs could
    serve, and failed requests (non-2xx or socket errors: an error row, which fails the bench)."""
    failed = result["non2xx"] + result["socket_errors"]
    cpu = result["cpu_ms"]
    parts = ["worker", "postgres", *(["replica"] if "replica" in cpu else []), "client"]
    names = {"worker": "workers", "postgres": "postgres", "replica": "replica", "client": "load tool"}
    return [
        Row("  p50 / p95 latency (ms)", f"{result['p50_ms']:.0f} / {result['p95_ms']:.0f}"),
        Row(
            f"  CPU ms per request: {' / '.join(names[p] for p in parts)}",
            " / ".join(f"{cpu[p]:.1f}" for p in parts),
        ),
        Row(f"  {served} the {os.cpu_count()} CPUs could serve at that CPU cost", f"{result['capacity']:.0f}"),
        Row(
            "  non-2xx answers / socket errors",
            f"{result['non2xx']} / {result['socket_errors']}",
            "0 / 0",
            failed == 0,
            error=failed > 0,
        ),
    ]


def cpu_used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds of the workers, of the primary PostgreSQL (and of replicas, when any) between two
    :func:`server_cpu` readings."""
    used = {"worker": 0.0, "postgres": 0.0}
    for name, seconds in after.items():
        used.setdefault(name.split()[0], 0.0)
        used[name.split()[0]] += seconds - before.get(name, 0.0)
    return used


_collected = False


def _collectstatic(env):
    """Once per bench run: with DEBUG=0 the manifest storage needs the collected files for ``{% static %}``."""
    global _collected
    if not _collected:
        command = [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"]
        subprocess.run(command, cwd=ROOT, env={**env, "LOG_LEVEL": "WARNING"}, check=True)
        _collected = True


@contextlib.contextmanager
def gunicorn(workers: int = 2, extra_env: dict | None = None):
    """The site under gunicorn on a free loopback port, with the bench database; always stopped on exit.

    Production settings (DEBUG=0, request log at INFO, written to a temporary file) except for the HTTPS redirect.
    """
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "INFO",
        "PGAPPNAME": f"bench-gunicorn-{port}",  # libpq: lets server_cpu() find this server's database backends
        **(extra_env or {}),
    }
    _collectstatic(env)
    log = tempfile.NamedTemporaryFile("w+", prefix="bench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
    command = [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "-w", str(workers)]
    process = subprocess.Popen(  # noqa: S603
        [*command, "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = Server(f"http://127.0.0.1:{port}")
    url.master_pid, url.app_name = process.pid, env["PGAPPNAME"]
    url.replica_urls = [u for u in env.get("DATABASE_REPLICA_URLS", "").split(",") if u]
    try:
        deadline = time.monotonic() + 120  # a busy shared machine starts slowly
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}; log: {log.name}")
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not answer /healthz in 120 s; log: {log.name}") from None
                time.sleep(0.1)
        yield url
    except BaseException:
        print(f"gunicorn's log is kept in {log.name}", file=sys.stderr)
        raise
    else:
        os.unlink(log.name)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


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
    """Drive ``base`` for ``seconds``, rotating through the paths in ``url_file`` (one per line).

    Uses wrk when installed (``apt-get install wrk``), else :func:`python_load` (slower: the client shares the
    GIL and the two cores, so it understates the server). Returns ``rps``, ``p50``/``p95`` ("12.3ms"),
    ``p50_ms``/``p95_ms``, ``requests``, ``non2xx`` (status >= 400 — wrk counts 3xx as success too),
    ``socket_errors`` and ``tool``.
    """
    if shutil.which("wrk") is None:
        paths = Path(url_file).read_text().split()
        return python_load(
            paths, base, seconds=seconds, connections=connections, headers=headers, method=method, body=body
        )
    env = {
        **os.environ,
        "BENCH_PATHS": url_file,
        "BENCH_METHOD": method,
        "BENCH_BODY": body or "",
        "BENCH_HEADERS": "\n".join(f"{k}: {v}" for k, v in (headers or {}).items()),
    }
    script = ROOT / "bench" / "rotate.lua"
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "-s", str(script), base]
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=True, timeout=seconds + 60).stdout
    stats = {}
    for line in out.splitlines():
        parts = line.split()
        if parts[:1] == ["STAT"] and len(parts) == 3:
            stats[parts[1]] = float(parts[2])
    if "requests" not in stats:
        raise RuntimeError(f"wrk printed no statistics:\n{out}")
    return _result(
        requests=int(stats["requests"]),
        elapsed=stats["duration_us"] / 1e6,
        p50_ms=stats["p50_ms"],
        p95_ms=stats["p95_ms"],
        non2xx=int(stats["non2xx"]),
        socket_errors=int(stats["socket_errors"]),
        tool=f"wrk -t {threads} -c {connections}",
        raw=out,
    )


def _result(*, requests, elapsed, p50_ms, p95_ms, non2xx, socket_errors, tool, raw=""):
    return {
        "rps": requests / elapsed if elapsed else 0.0,
        "requests": requests,
        "p50_ms": p50_ms,
        "p95_ms": p95_ms,
        "p50": f"{p50_ms:.1f}ms",
        "p95": f"{p95_ms:.1f}ms",
        "non2xx": non2xx,
        "socket_errors": socket_errors,
        "tool": tool,
        "raw": raw,
    }


def python_load(
    paths: list[str],
    base: str,
    *,
    seconds: int = 15,
    connections: int = 8,
    headers: dict | None = None,
    method: str = "GET",
    body: str | None = None,
    max_requests: int = 200_000,
) -> dict:
    """A bounded load generator for machines without wrk: ``connections`` threads, one keep-alive connection
    each, rotating through ``paths``; stops after ``seconds`` or ``max_requests``, loopback only."""
    target = urlsplit(base)
    if target.hostname not in ("127.0.0.1", "localhost"):
        raise ValueError("the load generator only drives loopback servers")
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    latencies, failures = [], {"status": 0, "socket": 0}
    counter = iter(range(max_requests))
    payload = body.encode() if body else None

    def worker(offset):
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        mine, status_errors, socket_errors = [], 0, 0
        n = offset
        while time.monotonic() < deadline:
            with lock:
                if next(counter, None) is None:
                    break
            n += 1
            request_headers = dict(headers or {})
            if method == "POST":
                request_headers.setdefault("Content-Type", "application/json")
                request_headers["Idempotency-Key"] = f"bench-{offset}-{n}-{time.monotonic_ns()}"
            started = time.perf_counter()
            try:
                conn.request(method, paths[n % len(paths)], body=payload, headers=request_headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                socket_errors += 1
                conn.close()
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                continue
            mine.append((time.perf_counter() - started) * 1000)
            status_errors += response.status >= 400
        conn.close()
        with lock:
            latencies.extend(mine)
            failures["status"] += status_errors
            failures["socket"] += socket_errors

    started = time.monotonic()
    workers = [threading.Thread(target=worker, args=(i * 7919,)) for i in range(connections)]
    for thread in workers:
        thread.start()
    for thread in workers:  # a request times out after 30 s, so every thread ends by deadline + 30 s
        thread.join(max(0.1, deadline + 40 - time.monotonic()))
        if thread.is_alive():
            raise WorkerFailed(f"a load thread still runs {seconds + 40} s after the start")
    elapsed = time.monotonic() - started
    return _result(
        requests=len(latencies),
        elapsed=elapsed,
        p50_ms=percentile(latencies, 50) if latencies else 0.0,
        p95_ms=percentile(latencies, 95) if latencies else 0.0,
        non2xx=failures["status"],
        socket_errors=failures["socket"],
        tool=f"python threads x {connections} (wrk not installed)",
    )


class WorkerFailed(RuntimeError):
    """A bench worker process crashed, or did not report in time."""


def collect(queue, processes, *, deadline: float) -> list[tuple]:
    """One message from each of ``processes`` (``("ok", *result)`` or ``("error", traceback)``), read with a
    timeout until ``deadline`` (``time.monotonic()``); raises :class:`WorkerFailed` on the first error, on a
    process that died without a word, or when the deadline passes. The caller stops the processes."""
    import queue as queue_module

    results = []
    while len(results) < len(processes):
        try:
            message = queue.get(timeout=1)
        except queue_module.Empty:
            dead = [p for p in processes if p.exitcode not in (None, 0)]
            if dead:
                raise WorkerFailed(f"worker {dead[0].pid} exited with {dead[0].exitcode} without reporting") from None
            if time.monotonic() > deadline:
                raise WorkerFailed(f"{len(processes) - len(results)} of {len(processes)} workers silent") from None
            continue
        if message[0] != "ok":
            raise WorkerFailed(f"a worker failed:\n{message[1]}")
        results.append(message[1:])
    return results


def stop(processes, timeout: float = 10) -> None:
    """Join ``processes`` within ``timeout`` seconds in all; terminate, then kill, those still running."""
    deadline = time.monotonic() + timeout
    for process in processes:
        process.join(max(0.1, deadline - time.monotonic()))
    for process in processes:
        if process.is_alive():
            process.terminate()
            process.join(5)
        if process.is_alive():
            process.kill()
            process.join(5)
