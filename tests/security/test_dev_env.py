"""Finding 15: a development checkout just works: the first ``make run`` writes a git-ignored ``.env`` with
DEBUG=1 and a generated development SECRET_KEY, and never touches an existing one."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.secret_checks import secret_key_problem
from scripts.dev_env import dev_env_write

ROOT = Path(__file__).resolve().parents[2]


def test_the_first_run_writes_debug_and_a_generated_key(tmp_path):
    env_file = tmp_path / ".env"
    assert dev_env_write(env_file)
    values = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if line and not line.startswith("#"))
    assert values["DEBUG"] == "1"
    assert secret_key_problem("SECRET_KEY", values["SECRET_KEY"]) is None
    other = tmp_path / "other.env"
    dev_env_write(other)
    assert other.read_text() != env_file.read_text()  # generated per checkout


def test_an_existing_env_is_never_touched(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=0\nSECRET_KEY=mine\n")
    assert not dev_env_write(env_file)
    assert env_file.read_text() == "DEBUG=0\nSECRET_KEY=mine\n"


def test_make_run_writes_it_before_migrating():
    makefile = (ROOT / "Makefile").read_text()
    assert "\n.env:\n\t$(PYTHON) scripts/dev_env.py .env\n" in makefile
    assert "migrate: install .env" in makefile
    assert ".env" in (ROOT / ".gitignore").read_text().split()


@pytest.mark.slow
def test_manage_py_works_with_only_the_written_env(tmp_path):
    """What the written .env holds is all manage.py needs (the settings read .env into the environment; the
    checkout's own .env is left alone here, so its values are passed as the environment instead)."""
    env_file = tmp_path / ".env"
    dev_env_write(env_file)
    environment = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "PAYMENT_SANDBOX")}
    environment.update(
        dict(
            line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line and not line.startswith("#")
        )
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-1500:]
