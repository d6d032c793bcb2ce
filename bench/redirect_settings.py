"""Settings for the redirect benchmark's gunicorn: the project's, plus a plain redirect view."""

import os

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.redirect_urls"

# REDIS_CACHE_URL: the shared cache a production deployment with Redis uses (production.py).
if os.environ.get("REDIS_CACHE_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_CACHE_URL"],
        }
    }
