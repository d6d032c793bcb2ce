"""Production: secrets and hosts must come from the environment; HTTPS everywhere."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import SECRETS_KEYS, SECRETS_KEYS_DEVELOPMENT_DEFAULT, env_bool

SECRET_KEY = os.environ["SECRET_KEY"]

# Stored secrets (webhook signing secrets) are encrypted with these keys: the development key
# is public, so a deployment must bring its own, each a valid Fernet key.
_own_keys = os.environ.get("COURSEREEL_SECRETS_KEYS")
if not _own_keys or SECRETS_KEYS_DEVELOPMENT_DEFAULT in SECRETS_KEYS:
    raise ImproperlyConfigured(
        "Set COURSEREEL_SECRETS_KEYS to your own Fernet key(s), comma-separated; the development "
        "default key must not be used in production."
    )
try:
    from cryptography.fernet import Fernet

    for _key in SECRETS_KEYS:
        Fernet(_key)
except ValueError as _error:
    raise ImproperlyConfigured(f"COURSEREEL_SECRETS_KEYS: not a Fernet key ({_error})") from None
DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# A cache shared by every web process (throttling, locks) when Redis is available.
if os.environ.get("REDIS_CACHE_URL") or os.environ.get("CELERY_BROKER_URL", "").startswith("redis"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("REDIS_CACHE_URL", os.environ.get("CELERY_BROKER_URL")),
        }
    }

# Persistent database connections: a tracking redirect (/r/<code>) that opened a connection
# per click ran at about a sixth of its speed (bench/bench_redirect.py). DB_CONN_MAX_AGE=0
# turns them off again (e.g. behind a transaction-mode pooler).
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DB_CONN_MAX_AGE", "60"))  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405
