"""A per-platform request budget shared by every worker: Redis when Redis is the broker (one
counter for the whole fleet), the Django cache otherwise (one per cache).

A fixed one-second window: a request over the platform's budget waits for the next window.
"""

from __future__ import annotations

import time
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache

KEY = "coursereel:platform-rate:{slug}:{window}"


@lru_cache(maxsize=2)
def _redis(url: str):
    import redis

    return redis.Redis.from_url(url)


def _hit(key: str) -> int:
    broker = settings.CELERY_BROKER_URL
    if broker.startswith(("redis://", "rediss://")):
        client = _redis(broker)
        pipe = client.pipeline()
        pipe.incr(key)
        pipe.expire(key, 5)
        return int(pipe.execute()[0])
    cache.add(key, 0, timeout=5)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=5)
        return 1


def platform_rate_wait(slug: str) -> float:
    """Take one request from the platform's budget, sleeping until a window has room.
    Returns the seconds waited (0 when there was room)."""
    budget = settings.PLATFORM_RATE_PER_SECOND.get(slug)
    if not budget:
        return 0.0
    waited = 0.0
    for _ in range(600):
        now = time.time()
        window = int(now)
        if _hit(KEY.format(slug=slug, window=window)) <= budget:
            return waited
        pause = window + 1 - now
        time.sleep(pause)
        waited += pause
    return waited
