"""Fail closed on secrets: outside ``DEBUG`` the site refuses to start with a placeholder ``SECRET_KEY`` or with the
payment gateway on sandbox values it was not explicitly told to use (``PAYMENT_SANDBOX=1``).

Called from ``config/settings.py`` before anything else is set up, so gunicorn, Celery, ``manage.py`` (and with it
``check --deploy``) all stop with the same list of what to fix. Only the names of the settings are printed, never
their values."""

# Values that ship in this repository (.env.example, the sandbox bank, Makefile targets, Django's own template):
# anyone can read them, so they sign nothing in production.
KNOWN_SECRET_KEYS = {
    "change-me",
    "changeme",
    "secret",
    "insecure-dev-key-only-for-debug",
    "test-only-not-secret",
    "bench-only",
}
SANDBOX_BANK_API_KEYS = {"sandbox-key", "sandbox-test-key"}
SANDBOX_WEBHOOK_SECRETS = {"sandbox-webhook-secret", "sandbox-test-secret"}
SECRET_KEY_MIN_LENGTH = 50


def secret_key_problem(name: str, key: str) -> str | None:
    """Why ``key`` can't sign sessions, password-reset links and CSRF tokens in production, or None."""
    if not key:
        return f"{name} is not set."
    lowered = key.lower()
    if lowered in KNOWN_SECRET_KEYS or lowered.startswith("django-insecure") or "change-me" in lowered:
        return f"{name} is a published placeholder; generate one (docs/deploy.md, security settings)."
    if len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < 5:
        return f"{name} is shorter than {SECRET_KEY_MIN_LENGTH} characters or too repetitive."
    return None


def production_settings_problems(
    *,
    secret_key: str,
    secret_key_fallbacks: list[str],
    payment_sandbox: bool,
    bank_url: str,
    bank_api_key: str,
    webhook_secret: str,
) -> list[str]:
    """Everything that makes these settings unsafe outside ``DEBUG``; empty when they are fine."""
    problems = [secret_key_problem("SECRET_KEY", secret_key)]
    problems += [secret_key_problem(f"SECRET_KEY_FALLBACKS[{i}]", k) for i, k in enumerate(secret_key_fallbacks)]
    if not payment_sandbox:
        if not bank_url:
            problems.append("PAYMENT_BANK_URL is not set.")
        elif not bank_url.startswith("https://"):
            problems.append("PAYMENT_BANK_URL must be an https:// URL.")
        if not bank_api_key or bank_api_key in SANDBOX_BANK_API_KEYS:
            problems.append("PAYMENT_BANK_API_KEY is not set or is the sandbox bank's key.")
        if not webhook_secret or webhook_secret in SANDBOX_WEBHOOK_SECRETS:
            problems.append("PAYMENT_WEBHOOK_SECRET is not set or is the sandbox bank's secret.")
    return [p for p in problems if p]
