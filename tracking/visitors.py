"""Who clicked, without knowing who: a daily-salted visitor hash and an obvious-bot filter.

The hash is ``HMAC-SHA256(key_of_the_day, ip + user agent)`` cut to 16 hex digits, where the
key of the day is derived from SECRET_KEY and the local date. The same visitor gets the same
hash all day (so repeat clicks can be told apart from new visitors) and a different, unlinkable
one the next day; the IP address and user agent are never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date
from functools import lru_cache

from django.conf import settings

# Crawlers, link-preview fetchers (chat apps unfurling a pasted link), uptime checkers and
# HTTP libraries. Matched anywhere in the lower-cased User-Agent: lower-casing once and matching
# case-sensitively is ten times faster than re.IGNORECASE over this alternation (3 µs against
# 30 µs for a phone's User-Agent), and the redirect runs it on every click.
BOT_PATTERN = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|preview|facebookexternalhit|embedly|whatsapp/|"
    r"skypeuripreview|baiduspider|sogou web|bytespider|"
    r"headlesschrome|phantomjs|lighthouse|pingdom|uptime|monitor|curl/|wget/|python-|"
    r"python/|httpclient|okhttp|go-http-client|java/|libwww|aiohttp|axios/|node-fetch|scrapy"
)
PREFETCH_HEADERS = ("HTTP_PURPOSE", "HTTP_SEC_PURPOSE", "HTTP_X_PURPOSE", "HTTP_X_MOZ")


def is_bot(user_agent: str) -> bool:
    """An empty User-Agent or one that names a crawler, previewer or HTTP library."""
    return not user_agent.strip() or BOT_PATTERN.search(user_agent.lower()) is not None


def is_prefetch(meta: dict) -> bool:
    """Browsers announce speculative loads; those are not clicks."""
    return any("prefetch" in meta.get(header, "").lower() for header in PREFETCH_HEADERS) or (
        "prerender" in meta.get("HTTP_SEC_PURPOSE", "").lower()
    )


@lru_cache(maxsize=4)
def _day_key(day: date, secret: str) -> bytes:
    message = f"tracking-visitor:{day.isoformat()}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def visitor_hash(*, ip: str, user_agent: str, day: date) -> str:
    key = _day_key(day, settings.SECRET_KEY)
    return hmac.digest(key, f"{ip}\n{user_agent}".encode(), "sha256")[:8].hex()


def client_ip(meta: dict) -> str:
    """REMOTE_ADDR, or the first X-Forwarded-For hop when the deployment says a proxy sets it
    (TRACKING_TRUST_FORWARDED_FOR); only ever hashed."""
    if getattr(settings, "TRACKING_TRUST_FORWARDED_FOR", False):
        forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return meta.get("REMOTE_ADDR", "")
