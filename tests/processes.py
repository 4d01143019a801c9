"""Helpers for tests that start real processes (workers, web servers) on the test database."""

import os

from django.conf import settings


def database_env_for_children(**extra) -> dict:
    """Environment for a child process that must use this test run's database."""
    env = {**os.environ, "LOG_LEVEL": "WARNING", "SECURE_SSL_REDIRECT": "0", **extra}
    db = settings.DATABASES["default"]
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    else:
        env["EMBEDDED_PG_NAME"] = db["NAME"]
    return env
