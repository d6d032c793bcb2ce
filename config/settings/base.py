"""Settings shared by every deployment; each deployment value comes from the environment."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("COURSEREEL_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "insecure-local-only-key-change-me")
# Rotating SECRET_KEY: the old key(s) here, comma separated, keep sessions and password-reset
# links made with them valid until they expire.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", "")
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "axes",
    # Lowest layer first (README "Layout"): an app imports only from apps above it here.
    "core",
    "webhooks",
    "courses",
    "videos",
    "campaigns",
    "tracking",
    "connectors",
    "analytics",
    "imports",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a login refused for too many failures into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

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
                "core.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# Embedded default: SQLite in the project folder. DATABASE_URL=postgres://... for production/CI.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the Celery worker writes; wait instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            # Writers queue for the lock (up to the timeout) instead of failing with "database
            # is locked" when two transactions that began as readers both try to write.
            "transaction_mode": "IMMEDIATE",
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Give up on an unreachable server after this many seconds rather than the system's minutes,
    # so a request, a task or the click writer's exit flush fails plainly and in time
    # (a connect_timeout in DATABASE_URL's query string wins).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", int(os.environ.get("DB_CONNECT_TIMEOUT", "10"))
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Per-language dates and number grouping on top of Django's (config/formats/<lang>/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"

# --- Logins and secrets --------------------------------------------------------------------
# django-axes checks every login form (/accounts/login/, /admin/login/) before the password:
# after AXES_FAILURE_LIMIT failed logins for one username (from any address) OR from one
# address (for any username), that account / address is refused, even with the right password,
# until AXES_COOLOFF_MINUTES have passed since its last failed try (a try while locked restarts
# the wait). An operator unlocks earlier in the admin (Axes › Access attempts: delete the rows)
# or with `manage.py axes_reset_username NAME`, `axes_reset_ip ADDRESS` or `axes_reset` (all).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # two separate counts, not a pair
AXES_LOCKOUT_CALLABLE = "core.views.login_locked_out"
AXES_CLIENT_IP_CALLABLE = "core.http.client_address"
AXES_RESET_ON_SUCCESS = False  # a login to one's own account must not clear an address's count
AXES_VERBOSE = False
# Reverse proxies in front of the app that append the client's address to X-Forwarded-For; the
# address that login lockouts and the API's failed-token throttle count is read that many hops
# from the right. 0: the connection's own address (REMOTE_ADDR), which a client cannot forge.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
# Fernet keys (comma-separated, `python -c "from cryptography.fernet import Fernet;
# print(Fernet.generate_key().decode())"`) that encrypt secrets the app must read back (webhook
# signing secrets). The first encrypts; every one decrypts, so a new key goes first and the old
# ones stay until `manage.py secrets_reencrypt` has rewritten every value with the new one.
# The default is for development only: production settings refuse to start with it.
SECRETS_KEYS_DEVELOPMENT_DEFAULT = "Y291cnNlcmVlbC1kZXZlbG9wbWVudC1vbmx5LWtleSE="
SECRETS_KEYS = env_list("COURSEREEL_SECRETS_KEYS", SECRETS_KEYS_DEVELOPMENT_DEFAULT)

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# --- Celery -----------------------------------------------------------------------------
# Embedded default: kombu's filesystem transport under var/broker, so no broker server is
# needed. CELERY_BROKER_URL=redis://... for production/CI.
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
    for _folder in ("queue", "control"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
else:
    # An unacknowledged task (its worker died) is handed to another worker after this long.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))
    }
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "coursereel")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Background jobs: heartbeats and the reaper ---------------------------------------------
# A running job (an import, a recompute) writes a heartbeat this often from a thread of its own.
JOB_HEARTBEAT_SECONDS = float(os.environ.get("JOB_HEARTBEAT_SECONDS", "20"))
# A job whose last heartbeat is older than this is taken as dead (its worker was killed).
JOB_STALE_SECONDS = float(os.environ.get("JOB_STALE_SECONDS", str(3 * JOB_HEARTBEAT_SECONDS)))
# How often the reaper (core.tasks.jobs_reap) runs; read when migrating (core 0001), then
# editable in the admin's periodic tasks.
JOB_REAPER_SECONDS = int(os.environ.get("JOB_REAPER_SECONDS", "60"))

# --- REST framework -----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "core.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "core.api.api_exception_handler",
    # Counted in the default cache: per process locally, shared Redis in production settings.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "60/minute"),
        "user": os.environ.get("API_THROTTLE_USER", "1200/minute"),
    },
}
# Failed `Authorization: Token` attempts one address may make; past it every token request from
# that address is answered 429 (even with a valid token) until the window ends.
API_THROTTLE_AUTH_FAILURES = os.environ.get("API_THROTTLE_AUTH_FAILURES", "20/minute")
# Largest row count one bulk request (sales, daily statistics) may carry.
API_BULK_MAX_ROWS = int(os.environ.get("API_BULK_MAX_ROWS", "5000"))
SPECTACULAR_SETTINGS = {
    "TITLE": "CourseReel API",
    "DESCRIPTION": "Course marketing for short-video creators: courses, videos, campaigns.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "WebhookEventEnum": "webhooks.models.Event",
        "WebhookDeliveryErrorEnum": "webhooks.models.WebhookDelivery.Error",
        "ImportKindEnum": "imports.models.ImportJob.Kind",
        "ImportModeEnum": "imports.models.ImportJob.Mode",
        "DiscountKindEnum": "courses.models.Discount.Kind",
        "TacticKindEnum": "campaigns.models.InteractionTactic.Kind",
        "AttributionMethodEnum": "tracking.models.AttributionMethod",
        "FunnelScopeEnum": "tracking.models.FunnelScope",
        "SalesConnectionKindEnum": "connectors.models.SalesConnection.Kind",
        "SalesConnectionStatusEnum": "connectors.models.SalesConnection.Status",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # urllib3 logs every request's full URL at DEBUG, query string included, and some
        # platforms take secrets there (Kuaishou's access_token and app_secret): never below
        # WARNING, whatever LOG_LEVEL says.
        "urllib3": {"level": "WARNING"},
    },
}

# Fault injection for the worker-kill test only: seconds a recompute sleeps before committing.
RECOMPUTE_TEST_PAUSE_SECONDS = float(os.environ.get("RECOMPUTE_TEST_PAUSE_SECONDS", "0"))
# The hourly and nightly recomputes run creators in chunks of about this many videos (at most
# RECOMPUTE_CHUNK_CREATORS creators), one Celery task and one engine pass per chunk.
RECOMPUTE_CHUNK_VIDEOS = int(os.environ.get("RECOMPUTE_CHUNK_VIDEOS", "5000"))
RECOMPUTE_CHUNK_CREATORS = int(os.environ.get("RECOMPUTE_CHUNK_CREATORS", "100"))

# --- Imports (platform exports, sales lists) -------------------------------------------------
# A file over either cap is refused with a clear message before any row is read.
IMPORT_MAX_FILE_MB = int(os.environ.get("IMPORT_MAX_FILE_MB", "256"))
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "2000000"))
# How many problems a refused file lists (the rest are counted: "and N more").
IMPORT_MAX_ERRORS = int(os.environ.get("IMPORT_MAX_ERRORS", "50"))
# Rows parsed at a time; bounds memory whatever the file's size.
IMPORT_CHUNK_ROWS = int(os.environ.get("IMPORT_CHUNK_ROWS", "100000"))
# The largest count a daily statistic may hold; anything above is a typo, not a viral video.
IMPORT_MAX_COUNT = int(os.environ.get("IMPORT_MAX_COUNT", str(10**12)))
# A job queued this long without a worker starting it is queued again (its message was lost),
# at most IMPORT_QUEUE_ATTEMPTS times in all; then it fails, saying so.
IMPORT_QUEUED_LOST_SECONDS = int(os.environ.get("IMPORT_QUEUED_LOST_SECONDS", "900"))
IMPORT_QUEUE_ATTEMPTS = int(os.environ.get("IMPORT_QUEUE_ATTEMPTS", "3"))
# Fault injection for the worker-kill test only: seconds an import sleeps after each chunk.
IMPORT_TEST_PAUSE_SECONDS = float(os.environ.get("IMPORT_TEST_PAUSE_SECONDS", "0"))
# Fault injection, tests only: the import raises this (e.g. MemoryError) once it starts checking.
IMPORT_TEST_RAISE = os.environ.get("IMPORT_TEST_RAISE", "")
# Bounded parsing (imports/bounds.py): what reading one file may cost. An XLSX unpacking to
# more than IMPORT_MAX_DECOMPRESSED_MB, or a part of it larger than 16 MB inflating more than
# IMPORT_MAX_COMPRESSION_RATIO times, is refused before it is parsed.
IMPORT_MAX_DECOMPRESSED_MB = int(os.environ.get("IMPORT_MAX_DECOMPRESSED_MB", "512"))
IMPORT_MAX_COMPRESSION_RATIO = int(os.environ.get("IMPORT_MAX_COMPRESSION_RATIO", "200"))
IMPORT_MAX_SHARED_STRINGS = int(os.environ.get("IMPORT_MAX_SHARED_STRINGS", "2000000"))
IMPORT_MAX_CELL_CHARS = int(os.environ.get("IMPORT_MAX_CELL_CHARS", "32767"))
IMPORT_MAX_COLUMNS = int(os.environ.get("IMPORT_MAX_COLUMNS", "500"))

# Workers: a child is replaced once it has used CELERY_WORKER_MAX_MEMORY_PER_CHILD KiB (after
# its task), and a task is interrupted at its soft limit and killed at its hard one.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = int(
    os.environ.get("CELERY_WORKER_MAX_MEMORY_PER_CHILD", "1048576")
)
CELERY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("CELERY_TASK_SOFT_TIME_LIMIT", "1800"))
CELERY_TASK_TIME_LIMIT = int(
    os.environ.get("CELERY_TASK_TIME_LIMIT", str(CELERY_TASK_SOFT_TIME_LIMIT + 60))
)

# --- Outbound webhooks -----------------------------------------------------------------------
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
# Attempts after the first one, spaced by exponential backoff (capped).
WEBHOOK_MAX_RETRIES = int(os.environ.get("WEBHOOK_MAX_RETRIES", "5"))
WEBHOOK_RETRY_BACKOFF_MAX = int(os.environ.get("WEBHOOK_RETRY_BACKOFF_MAX", "600"))

# --- Outbound requests to URLs a creator typed (core/outbound.py) ----------------------------
# Ports such a URL may name: comma-separated ports and ranges ("80,443,8000-8999"). The
# default covers the usual web ports and their common alternates.
OUTBOUND_PORTS = os.environ.get("OUTBOUND_PORTS", "80,443,8080,8443")
# A self-hosted install whose receivers live on its own network may allow private and loopback
# addresses; unspecified, multicast, link-local (cloud metadata) and reserved ones stay refused.
OUTBOUND_ALLOW_PRIVATE = env_bool("OUTBOUND_ALLOW_PRIVATE", False)
# CA certificates (a PEM file) that https receivers' certificates must chain to; empty: the
# bundle requests ships (certifi). REQUESTS_CA_BUNDLE is honoured as the default, as before.
OUTBOUND_CA_BUNDLE = os.environ.get("OUTBOUND_CA_BUNDLE", os.environ.get("REQUESTS_CA_BUNDLE", ""))

# --- Tracking links (/r/<code>) --------------------------------------------------------------
# How long a code's target stays cached; edits made through CourseReel forget it at once, the
# cache entry only bounds how long another process may serve the old sales page URL.
TRACKING_TARGET_CACHE_SECONDS = int(os.environ.get("TRACKING_TARGET_CACHE_SECONDS", "60"))
# ... and how long each web process keeps its own copy in front of that cache (no cache server
# round trip per click); bounds how long another process may serve a switched-off link.
TRACKING_TARGET_LOCAL_SECONDS = float(os.environ.get("TRACKING_TARGET_LOCAL_SECONDS", "5"))
# Behind a proxy that sets X-Forwarded-For, hash the client's address instead of the proxy's.
TRACKING_TRUST_FORWARDED_FOR = env_bool("TRACKING_TRUST_FORWARDED_FOR", False)
# Counted clicks are written by a background thread of each web process in batches, every
# this many seconds (or once TRACKING_CLICK_BATCH wait); 0 writes each click in its request.
# A process killed without a chance to exit (SIGKILL, OOM, power loss) loses at most this
# window of clicks; see tracking/clicks.py.
TRACKING_CLICK_FLUSH_SECONDS = float(os.environ.get("TRACKING_CLICK_FLUSH_SECONDS", "1"))
TRACKING_CLICK_BATCH = int(os.environ.get("TRACKING_CLICK_BATCH", "1000"))
# Clicks a process keeps while the database is unreachable; more are dropped (and logged).
TRACKING_CLICK_BUFFER_MAX = int(os.environ.get("TRACKING_CLICK_BUFFER_MAX", "100000"))

# --- Shop connections (connectors/): sales that arrive by themselves ------------------------
# Signed events one connection's receive URL accepts a minute; more are answered 429. Generous:
# a launch can bring hundreds of orders a minute.
SALES_RECEIVE_PER_MINUTE = int(os.environ.get("SALES_RECEIVE_PER_MINUTE", "1200"))
# Largest body a receive URL reads; a shop's event is a few kilobytes.
SALES_RECEIVE_MAX_BYTES = int(os.environ.get("SALES_RECEIVE_MAX_BYTES", str(256 * 1024)))
# How far a signed event's timestamp may be from now (Stripe's default tolerance too).
SALES_SIGNATURE_TOLERANCE_SECONDS = int(os.environ.get("SALES_SIGNATURE_TOLERANCE_SECONDS", "300"))
# How often pull connections (Xiaoe-tech) are polled; read when migrating (connectors 0002),
# then editable in the admin's periodic tasks.
SALES_POLL_SECONDS = int(os.environ.get("SALES_POLL_SECONDS", "600"))
# A first poll asks for orders updated this many days back.
SALES_POLL_LOOKBACK_DAYS = int(os.environ.get("SALES_POLL_LOOKBACK_DAYS", "30"))
XIAOE_API_BASE = os.environ.get("XIAOE_API_BASE", "https://api.xiaoe-tech.com")
XIAOE_TIMEOUT_SECONDS = float(os.environ.get("XIAOE_TIMEOUT_SECONDS", "10"))
XIAOE_PAGE_SIZE = int(os.environ.get("XIAOE_PAGE_SIZE", "100"))
# Stripe's API, for a session's line items when a connection keeps a restricted key (an
# operator setting: a test's local server, a proxy).
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "https://api.stripe.com")
STRIPE_TIMEOUT_SECONDS = float(os.environ.get("STRIPE_TIMEOUT_SECONDS", "10"))
STRIPE_HTTP_RETRIES = int(os.environ.get("STRIPE_HTTP_RETRIES", "1"))

# --- Platform connections (connectors/platforms/): statistics that arrive by themselves -------
# Base URLs of the platforms' APIs. Operator settings, trusted as they are (a proxy, a mirror or
# a test server): the private-address rule applies to URLs a creator types, not to these.
BILIBILI_API_BASE = os.environ.get("BILIBILI_API_BASE", "https://api.bilibili.com")
YOUTUBE_API_BASE = os.environ.get("YOUTUBE_API_BASE", "https://www.googleapis.com")
DOUYIN_API_BASE = os.environ.get("DOUYIN_API_BASE", "https://open.douyin.com")
# Where a creator's browser is sent to authorise (the same host as the API unless proxied).
DOUYIN_AUTHORIZE_BASE = os.environ.get("DOUYIN_AUTHORIZE_BASE", DOUYIN_API_BASE)
KUAISHOU_API_BASE = os.environ.get("KUAISHOU_API_BASE", "https://open.kuaishou.com")
# The operator's apps on the open platforms (empty: the page says the platform is not set up).
DOUYIN_CLIENT_KEY = os.environ.get("DOUYIN_CLIENT_KEY", "")
DOUYIN_CLIENT_SECRET = os.environ.get("DOUYIN_CLIENT_SECRET", "")
KUAISHOU_APP_ID = os.environ.get("KUAISHOU_APP_ID", "")
KUAISHOU_APP_SECRET = os.environ.get("KUAISHOU_APP_SECRET", "")
PLATFORM_USER_AGENT = os.environ.get("PLATFORM_USER_AGENT", "CourseReel/1.0 (+statistics sync)")
PLATFORM_TIMEOUT_SECONDS = float(os.environ.get("PLATFORM_TIMEOUT_SECONDS", "10"))
# Attempts of one request on 429/5xx/timeouts, with exponential backoff and jitter in between.
PLATFORM_HTTP_ATTEMPTS = int(os.environ.get("PLATFORM_HTTP_ATTEMPTS", "3"))
PLATFORM_BACKOFF_SECONDS = float(os.environ.get("PLATFORM_BACKOFF_SECONDS", "1"))
PLATFORM_BACKOFF_MAX_SECONDS = float(os.environ.get("PLATFORM_BACKOFF_MAX_SECONDS", "30"))
PLATFORM_MAX_PAGES = int(os.environ.get("PLATFORM_MAX_PAGES", "200"))
# Requests a second per platform across every worker (Redis when it is the broker);
# PLATFORM_RATE_PER_SECOND="bilibili:5,youtube-shorts:20" (0 or absent: no limit).
PLATFORM_RATE_PER_SECOND = {
    slug.strip(): int(count)
    for slug, _sep, count in (
        pair.partition(":")
        for pair in os.environ.get(
            "PLATFORM_RATE_PER_SECOND", "bilibili:5,youtube-shorts:20,douyin:10,kuaishou:10"
        ).split(",")
        if pair.strip()
    )
}
# Cadence by video age: (age up to, sync every); older than the last age: no more syncs.
# PLATFORM_SYNC_CADENCE="1d:1h,7d:6h,30d:24h,90d:7d" (units m, h, d).
_UNITS = {"m": 60, "h": 3600, "d": 86400}
PLATFORM_SYNC_CADENCE = [
    tuple(timedelta(seconds=int(part[:-1]) * _UNITS[part[-1]]) for part in step.strip().split(":"))
    for step in os.environ.get("PLATFORM_SYNC_CADENCE", "1d:1h,7d:6h,30d:24h,90d:7d").split(",")
]
# An account (uploader, channel, OAuth account) is also asked for new videos this often.
PLATFORM_DISCOVERY_SECONDS = int(os.environ.get("PLATFORM_DISCOVERY_SECONDS", "86400"))
# A sync stores its videos in chunks of this many, one transaction each, while the next ones
# are fetched (the platform's answers and the database's work overlap).
PLATFORM_SYNC_CHUNK_VIDEOS = int(os.environ.get("PLATFORM_SYNC_CHUNK_VIDEOS", "2000"))
# A sync stops cleanly after this long, keeps what it stored and runs again at once for the
# rest (well inside the task's time limit: a connection of 10,000 Bilibili ids takes longer).
PLATFORM_SYNC_MAX_SECONDS = int(os.environ.get("PLATFORM_SYNC_MAX_SECONDS", "600"))
# How often beat looks for due connections; read when migrating (connectors 0003).
PLATFORM_SYNC_BEAT_SECONDS = int(os.environ.get("PLATFORM_SYNC_BEAT_SECONDS", "900"))
# Access tokens are refreshed when they expire within this many seconds.
PLATFORM_TOKEN_REFRESH_MARGIN_SECONDS = int(
    os.environ.get("PLATFORM_TOKEN_REFRESH_MARGIN_SECONDS", "600")
)
