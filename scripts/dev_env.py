"""Write a development checkout's ``.env`` on the first ``make run``: ``DEBUG=1`` and a generated development
``SECRET_KEY``, so ``manage.py createsuperuser`` and friends just work without a ``DEBUG=1`` prefix.

An existing ``.env`` is never touched (the file is opened for exclusive creation). ``.env`` is git-ignored; the
key is for this checkout only, and production never reads this file's defaults (see docs/deploy.md)."""

import secrets
import sys
from pathlib import Path

CONTENT = """# Written by `make run` for this development checkout (git-ignored). Every variable: .env.example.
DEBUG=1
SECRET_KEY={key}
"""


def dev_env_write(path: Path) -> bool:
    """Create ``path`` unless it exists; True when it was written."""
    try:
        with path.open("x") as env_file:
            env_file.write(CONTENT.format(key=secrets.token_urlsafe(50)))
    except FileExistsError:
        return False
    return True


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / ".env"
    if dev_env_write(target):
        print(f"Wrote {target} (DEBUG=1 and a development SECRET_KEY) for this checkout.")
