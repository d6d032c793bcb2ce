"""Counters shared by every process: Redis when Redis is the broker (one counter for the whole
fleet), the Django cache otherwise (one per cache). Two budgets count with them: a platform's
requests a second (a request over it waits for the next window) and a sales connection's
received events a minute (an event over it is answered 429).
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


def counter_hit(key: str, *, ttl: int) -> int:
    """Add one to ``key`` (which expires ``ttl`` seconds after its last hit) and return the
    count, atomically across processes."""
    broker = settings.CELERY_BROKER_URL
    if broker.startswith(("redis://", "rediss://")):
        client = _redis(broker)
        pipe = client.pipeline()
        pipe.incr(key)
        pipe.expire(key, ttl)
        return int(pipe.execute()[0])
    cache.add(key, 0, timeout=ttl)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=ttl)
        return 1


def _hit(key: str) -> int:
    return counter_hit(key, ttl=5)


RECEIVE_KEY = "coursereel:sales-receive:{connection}:{window}"


def receive_over_limit(connection_id: int) -> bool:
    """Count one event on the connection's receive URL in this minute's window; True when the
    minute has seen more than SALES_RECEIVE_PER_MINUTE."""
    window = int(time.time() // 60)
    key = RECEIVE_KEY.format(connection=connection_id, window=window)
    return counter_hit(key, ttl=120) > settings.SALES_RECEIVE_PER_MINUTE


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
