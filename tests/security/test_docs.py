"""Findings 12 and 15, and the house rule "every variable in .env.example": the deploy guide's security table names
every secret and warns that Redis holds pickled values; README commands need no DEBUG=1 prefix."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECRETS = [
    "SECRET_KEY",
    "SECRET_KEY_FALLBACKS",
    "PAYMENT_BANK_URL",
    "PAYMENT_BANK_API_KEY",
    "PAYMENT_WEBHOOK_SECRET",
    "EMAIL_HOST_PASSWORD",
    "DATABASE_URL",
    "CACHE_URL",
    "TRUSTED_PROXIES",
]


def test_the_security_table_names_every_secret_and_the_redis_warning():
    guide = (ROOT / "docs/deploy.md").read_text()
    table = guide.split("## Security settings", 1)[1].split("\n## ", 1)[0]
    for name in SECRETS:
        assert f"`{name}" in table, name
    assert "pickle" in guide and "requirepass" in guide


def test_every_variable_the_settings_read_is_in_env_example():
    settings_source = (ROOT / "config/settings.py").read_text()
    read = set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z_]+)\"", settings_source))
    listed = set(re.findall(r"^#?\s*([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert read - listed == set()


def test_readme_commands_need_no_debug_prefix():
    assert "DEBUG=1 " not in (ROOT / "README.md").read_text()
