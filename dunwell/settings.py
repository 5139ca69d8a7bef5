"""Settings, all from the environment.

With nothing set, Dunwell runs as a quickstart: an embedded PostgreSQL and a filesystem
Celery broker under ``var/``, so ``make run`` needs no service. Production sets DATABASE_URL,
CELERY_BROKER_URL, SECRET_KEY, DEBUG=0 and ALLOWED_HOSTS.
"""

from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# The quickstart's state (embedded database, broker files, mail); a test runs it elsewhere.
VAR_DIR = Path(env.str("DUNWELL_VAR_DIR", default=str(BASE_DIR / "var")))
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
DEVELOPMENT_SECRET_KEY = "dunwell-insecure-development-key-change-me"  # noqa: S105 (public on purpose)
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
# Keys shipped in this repository (the default above, docker-compose.yml's): public, so
# never good enough to sign sessions and password-reset links in production.
PLACEHOLDER_SECRET_KEYS = {
    DEVELOPMENT_SECRET_KEY,
    "change-me-to-a-long-random-string-before-going-live",
}
if not DEBUG and (
    SECRET_KEY in PLACEHOLDER_SECRET_KEYS
    or len(SECRET_KEY) < 50
    or len(set(SECRET_KEY)) < 5
    or SECRET_KEY.startswith("django-insecure-")
):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG=0, "
        "not a placeholder; e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "axes",
    # an optional TOTP second factor for admin and finance users (accounts/auth_views.py)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "accounts",
    "invoices",
    "disputes",
    "reporting",
    "dunning",
    "credit",
    "orders",
    "cash",
    # Last of the apps with models: its post_migrate hook gives the role groups their
    # permissions, so every other app's permissions must exist by then.
    "collections_app",
]
# Demo and scale data (seed_demo, generate_data): production may leave them out.
if env.bool("DEMO_APP", default=True):
    INSTALLED_APPS.append("demo")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "dunwell.middleware.NoStoreWhenAuthenticatedMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dunwell.urls"
WSGI_APPLICATION = "dunwell.wsgi.application"

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
                "accounts.context_processors.navigation",
            ],
        },
    },
]

if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    # Quickstart: an embedded PostgreSQL under var/pgdata (see embedded_postgres.py).
    from .embedded_postgres import quickstart_database

    DATABASES = {"default": quickstart_database(VAR_DIR / "pgdata")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
# PostgreSQL's JIT compiles any statement its planner costs high, and the planner guesses
# hundreds of rows for a recursive CTE: the queue page's exposure of 50 accounts took 290 ms
# compiling and 5 ms running (docs/credit.md, "Measures"). Pages answer in milliseconds, so
# JIT is off for the app's connections unless DATABASE_JIT=1.
if not env.bool("DATABASE_JIT", default=False):
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): lock a username+IP pair after repeated failures, and an
# IP address after as many failures across usernames (password spraying); a colleague's
# successful login from the same address resets its count (AXES_RESET_ON_SUCCESS).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# The one currency every report converts to, at the dated rate in force.
REPORTING_CURRENCY = env.str("REPORTING_CURRENCY", default="USD")
# The largest single amount any service accepts (accounts/money.py); stored sums are wide
# enough for many of them converted at any stored rate (docs/architecture.md, "The ledger").
AMOUNT_MAX = env.str("AMOUNT_MAX", default="1000000000000.00")

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "staticfiles")
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Chart.js from the npm registry (package.json, `make install`), never committed.
    ("vendor/chart.js", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and env.bool("MANIFEST_STATIC", default=True)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")

# Largest CSV accepted by an import, by command or API.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=64 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# E-mail: SMTP in production, files under var/mail for the quickstart.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="dunwell.mail_backends.KeyedFileBackend")
EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=VAR_DIR / "mail")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
# A mail server that hangs must not hold a dunning send (and its lock) for ever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=60)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="collections@dunwell.local")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)

# Celery: Redis in production; kombu's filesystem transport when no broker is configured.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://", "redis+socket://")):
    # A task is acknowledged when it ends (acks_late); one whose worker died comes back to
    # another worker this many seconds after it was taken. Keep it above the slowest task
    # and the longest retry countdown (dunning: 600 s), or those run twice. kombu looks for
    # such tasks every CELERY_UNACKED_RESTORE_INTERVAL seconds (its own default is 100).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=100),
        "unacked_restore_throttle": 1,
    }
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
# Long exports may get workers of their own: `celery worker -Q exports` with this set to it.
REPORTING_EXPORT_QUEUE = env.str("REPORTING_EXPORT_QUEUE", default="celery")
# An export's file is offered for download this many days after it is written, then the
# beat task reporting.tasks.exports_expire deletes it (the job stays in the user's history).
REPORTING_EXPORT_KEEP_DAYS = env.int("REPORTING_EXPORT_KEEP_DAYS", default=7)
# The cash matcher settles an invoice short by at most this much as bank charges (docs/cash.md).
# An amount in REPORTING_CURRENCY: the shortfall is converted at the payment's date (accounts/
# fx.py); no rate that day, or more than CASH_WRITE_OFF_APPROVAL_LIMIT, and a person decides.
CASH_BANK_CHARGES_TOLERANCE = env.str("CASH_BANK_CHARGES_TOLERANCE", default="25.00")
# A dispute's owner is reminded this many days before its SLA due date (docs/disputes.md).
DISPUTE_SLA_WARNING_DAYS = env.int("DISPUTE_SLA_WARNING_DAYS", default=2)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# WeasyPrint's caches grow with every document (~860 MB per process after 3,000 letters):
# a worker process is replaced after this many tasks.
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("CELERY_WORKER_MAX_TASKS_PER_CHILD", default=250)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "ledger-check-nightly": {
        "task": "invoices.tasks.ledger_check",
        "schedule": crontab(hour=2, minute=15),
    },
    "promise-sweep-nightly": {
        "task": "collections_app.tasks.promise_sweep",
        "schedule": crontab(hour=0, minute=30),
    },
    "queue-refresh-nightly": {
        "task": "collections_app.tasks.queue_refresh_all",
        "schedule": crontab(hour=0, minute=45),
    },
    "dunning-run-nightly": {
        "task": "dunning.tasks.dunning_run_nightly",
        "schedule": crontab(hour=1, minute=0),
    },
    "ar-snapshot-daily": {
        "task": "reporting.tasks.ar_snapshot_daily",
        "schedule": crontab(hour=0, minute=10),
    },
    "exports-expire-nightly": {
        "task": "reporting.tasks.exports_expire",
        "schedule": crontab(hour=3, minute=0),
    },
    "credit-holds-lapse-nightly": {
        "task": "credit.tasks.credit_holds_lapse",
        "schedule": crontab(hour=0, minute=20),
    },
    "credit-risk-nightly": {
        "task": "credit.tasks.credit_risk_refresh",
        "schedule": crontab(hour=2, minute=30),
    },
    "credit-hold-rules-nightly": {
        "task": "credit.tasks.credit_hold_rules_evaluate",
        "schedule": crontab(hour=2, minute=45),
    },
    # each open dispute's owner is e-mailed once before and once after its SLA due date
    "dispute-sla-notices-hourly": {
        "task": "disputes.tasks.dispute_sla_notices",
        "schedule": crontab(minute=5),
    },
}

# The ECB's euro reference rates (eurofxref-daily.xml), stored as EUR → X through the
# audited rate service; off unless a URL is set, e.g.
# https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml (published about 16:00 CET).
ECB_RATES_URL = env.str("ECB_RATES_URL", default="")
if ECB_RATES_URL:
    CELERY_BEAT_SCHEDULE["ecb-rates-daily"] = {
        "task": "accounts.tasks.ecb_rates_daily",
        "schedule": crontab(hour=16, minute=30, day_of_week="mon-fri"),
    }

# Dunning (docs/dunning.md): the letterhead printed on letters and statements, and whether a
# nightly run waits for a credit manager's approval before it sends.
COMPANY_NAME = env.str("COMPANY_NAME", default="Dunwell Supplies Ltd")
COMPANY_ADDRESS = env.str("COMPANY_ADDRESS", default="1 Ledger Lane\nSpringfield 01234")
COMPANY_EMAIL = env.str("COMPANY_EMAIL", default="credit@dunwell.local")
COMPANY_PHONE = env.str("COMPANY_PHONE", default="+1 555 0100")
COMPANY_BANK_DETAILS = env.str(
    "COMPANY_BANK_DETAILS", default="IBAN US00 0000 0000 0000 · BIC DUNWUS00"
)
DUNNING_REQUIRE_APPROVAL = env.bool("DUNNING_REQUIRE_APPROVAL", default=True)
DUNNING_LANGUAGE = env.str("DUNNING_LANGUAGE", default="en")
DUNNING_MAX_AUTO_RETRIES = env.int("DUNNING_MAX_AUTO_RETRIES", default=3)
DUNNING_QUEUE = env.str("DUNNING_QUEUE", default="celery")
# Replies to a dunning e-mail go to the customer's collector; without one, to this team address.
DUNNING_REPLY_TO = env.str("DUNNING_REPLY_TO", default=COMPANY_EMAIL)
# The collector's work comes first: no dunning for this many days after a person called or
# wrote to the customer, or after a promise to pay was kept (docs/dunning.md).
DUNNING_QUIET_DAYS_AFTER_CONTACT = env.int("DUNNING_QUIET_DAYS_AFTER_CONTACT", default=7)
DUNNING_QUIET_DAYS_AFTER_KEPT_PROMISE = env.int("DUNNING_QUIET_DAYS_AFTER_KEPT_PROMISE", default=14)
# Late-payment interest where a policy turns it on: this reference rate (percent; the ECB's
# main refinancing rate, Directive 2011/7/EU) + 8 points, unless the policy names its own.
DUNNING_INTEREST_REFERENCE_RATE = env.str("DUNNING_INTEREST_REFERENCE_RATE", default="2.15")
# The fixed compensation per late invoice where a policy turns it on (Directive 2011/7/EU:
# 40 EUR); a letter in another currency shows it converted at the rate in force (accounts/fx.py).
DUNNING_COMPENSATION_AMOUNT = env.str("DUNNING_COMPENSATION_AMOUNT", default="40.00")
DUNNING_COMPENSATION_CURRENCY = env.str("DUNNING_COMPENSATION_CURRENCY", default="EUR")
# A sending run with pending communications and nothing sent for this long has stalled:
# only then does its page offer "Resume sending".
DUNNING_STALLED_MINUTES = env.int("DUNNING_STALLED_MINUTES", default=10)

# Cash application (docs/cash.md): a bank credit whose best-ranked invoices score at least
# this (0-100) is applied without a person; below it, it waits with its suggestions.
CASH_AUTO_APPLY_THRESHOLD = env.int("CASH_AUTO_APPLY_THRESHOLD", default=80)
# A write-off from the cash pages above this amount waits for a credit manager's or admin's
# approval; the matcher never settles more than this without a person either. An amount in
# REPORTING_CURRENCY: the write-off is converted at the rate of its date (accounts/fx.py), and
# one in a currency with no rate that day needs approval (never read 1:1).
CASH_WRITE_OFF_APPROVAL_LIMIT = env.str("CASH_WRITE_OFF_APPROVAL_LIMIT", default="1000.00")
# Refunds and contras of unapplied cash (or of an open invoice) above this need a second person;
# in REPORTING_CURRENCY like the write-off limit (no rate that day: a second person too).
CASH_REFUND_APPROVAL_LIMIT = env.str("CASH_REFUND_APPROVAL_LIMIT", default="1000.00")
# Largest bank file accepted on the upload page.
CASH_IMPORT_MAX_BYTES = env.int("CASH_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)

# Sales orders held for credit review (docs/orders.md): the rules that hold an order, the
# largest amount accepted, automatic release when cash clears every reason, and the
# decision webhook (off while ORDER_WEBHOOK_URL is empty).
ORDER_HOLD_OVERDUE_DAYS = env.int("ORDER_HOLD_OVERDUE_DAYS", default=60)
ORDER_HOLD_OVERDUE_AMOUNT = env.str("ORDER_HOLD_OVERDUE_AMOUNT", default="0.00")
ORDER_HOLD_BROKEN_PROMISE_DAYS = env.int("ORDER_HOLD_BROKEN_PROMISE_DAYS", default=90)
ORDER_MAX_AMOUNT = env.str("ORDER_MAX_AMOUNT", default="100000000.00")
ORDER_AUTO_RELEASE_ON_PAYMENT = env.bool("ORDER_AUTO_RELEASE_ON_PAYMENT", default=True)
ORDER_WEBHOOK_URL = env.str("ORDER_WEBHOOK_URL", default="")
ORDER_WEBHOOK_SECRET = env.str("ORDER_WEBHOOK_SECRET", default="")
ORDER_WEBHOOK_MAX_ATTEMPTS = env.int("ORDER_WEBHOOK_MAX_ATTEMPTS", default=8)
ORDER_WEBHOOK_BACKOFF_SECONDS = env.int("ORDER_WEBHOOK_BACKOFF_SECONDS", default=30)
ORDER_WEBHOOK_QUEUE = env.str("ORDER_WEBHOOK_QUEUE", default="celery")

# The collector's workflow (docs/priority-score.md).
PROMISE_GRACE_DAYS = env.int("PROMISE_GRACE_DAYS", default=3)
COLLECTOR_DAILY_CALL_TARGET = env.int("COLLECTOR_DAILY_CALL_TARGET", default=40)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api_authentication.UnlockedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "dunwell.api_schema.DunwellAutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "dunwell.api_errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Dunwell API",
    "DESCRIPTION": "Accounts-receivable collections: customers, the receivables ledger, reports.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # an export's kind beside an adjustment's kind: name the export's enum
    "ENUM_NAME_OVERRIDES": {
        "ExportKindEnum": "reporting.models.ExportKind",
        # disputes (docs/disputes.md): a dispute's kind and status beside others' of the name
        "DisputeKindEnum": "disputes.models.DisputeKind",
        "DisputeStatusEnum": "disputes.models.DisputeStatus",
        "DisputeEventKindEnum": "disputes.models.DisputeEventKind",
        # credit (docs/credit.md): a limit request's status; the reasons a change may carry,
        # and the narrower list a person may give (the others are the system's own)
        "LimitRequestStatusEnum": "credit.models.LimitRequestStatus",
        "CreditReasonEnum": "credit.models.CreditReason",
        "CreditPersonReasonEnum": "credit.models.PERSON_REASONS",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "dunwell.api_schema.ids_are_not_negative",
    ],
    # Swagger UI from the installed sidecar package: no CDN, no inline script (CSP).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

# Content Security Policy: everything is served from this origin; no CDN.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
    }
}

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # WeasyPrint's steps and fontTools' subsetting log at INFO, a dozen lines per PDF.
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
