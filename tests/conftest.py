import pytest


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    """Production settings, minus what needs HTTPS or collected static files on a test client."""
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(tmp_path)}
    }
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
    settings.ADMIN_REQUIRE_2FA = False  # tests/staff/test_two_factor.py turns it on


@pytest.fixture(scope="session")
def sandbox_bank_server():
    """The sandbox bank shipped in the repo, as a real HTTP service on a free port (started once per run)."""
    from payments.sandbox_bank.testing import run_sandbox_bank

    with run_sandbox_bank(hang_seconds=3) as bank:
        yield bank


@pytest.fixture
def bank(settings, sandbox_bank_server):
    """Point the payment gateway setting at the sandbox bank."""
    settings.PAYMENT_GATEWAY = "payments.gateways.sandbox.SandboxBankGateway"
    settings.PAYMENT_GATEWAY_OPTIONS = {
        "base_url": sandbox_bank_server.url,
        "api_key": sandbox_bank_server.api_key,
        "webhook_secret": sandbox_bank_server.webhook_secret,
        "timeout": (2, 1.5),
    }
    return sandbox_bank_server


@pytest.fixture
def audited(request, db):
    """The books audit must find nothing once the test's flow is over (use with ``pytest.mark.usefixtures``);
    a test marked ``other_sales`` stands in for other guests' bookings by moving the sold counters itself."""
    yield
    from bookings.audit import books_findings

    if request.node.get_closest_marker("other_sales") is None:
        assert books_findings() == []


@pytest.fixture
def staff_roles(transactional_db):
    """The staff groups the migrations create, again: a ``transaction=True`` test before this one flushed them."""
    import importlib

    from django.apps import apps

    importlib.import_module("hotels.migrations.0003_staff_roles").create_roles(apps, None)
    importlib.import_module("hotels.migrations.0006_rate_plan_roles").grant(apps, None)
    importlib.import_module("hotels.migrations.0008_legal_entity_roles").grant(apps, None)
    importlib.import_module("bookings.migrations.0012_staff_booking_roles").grant(apps, None)
