"""API authentication: ``Authorization: Token <key>`` against hashed tokens, with a ceiling on
failed attempts per address.

Every failed token (unknown, revoked, malformed) counts against the client's address
(``core.http.client_address``) in the default cache, shared by every process in production.
Once ``API_THROTTLE_AUTH_FAILURES`` ("20/minute") is reached, every token request from that
address is answered 429 until the window ends, even with a valid token, so guessing cannot go on
and a right guess is not told apart from a wrong one. Requests without a token header (the
pages' session, anonymous calls) are not affected.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication, get_authorization_header

from .http import client_address
from .tokens import api_token_authenticate

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "20/minute" → (20, 60); the period's first letter decides (s, m, h, d), as in DRF."""
    count, _sep, period = rate.partition("/")
    return int(count), PERIODS[period.strip()[0].lower()]


def _keys(address: str) -> tuple[str, str]:
    return f"api-auth-failures:{address}", f"api-auth-failures-since:{address}"


def auth_failures_wait(address: str) -> float | None:
    """Seconds until ``address`` may try a token again, or None when it may now."""
    limit, period = parse_rate(settings.API_THROTTLE_AUTH_FAILURES)
    count_key, since_key = _keys(address)
    values = cache.get_many([count_key, since_key])
    if values.get(count_key, 0) < limit:
        return None
    since = values.get(since_key, time.time())
    return max(1.0, since + period - time.time())


def auth_failure_record(address: str) -> None:
    """Count one failed attempt in a fixed window that starts with the first failure."""
    _limit, period = parse_rate(settings.API_THROTTLE_AUTH_FAILURES)
    count_key, since_key = _keys(address)
    cache.add(since_key, time.time(), timeout=period)
    if cache.add(count_key, 1, timeout=period):
        return
    try:
        cache.incr(count_key)
    except ValueError:  # the window ended between add and incr
        cache.set(count_key, 1, timeout=period)
        cache.set(since_key, time.time(), timeout=period)


class AuthFailuresThrottled(exceptions.Throttled):
    default_detail = _("Too many failed API token attempts from this address.")


class ApiTokenAuthentication(TokenAuthentication):
    """DRF's token header and errors, looked up by the key's digest (``core.tokens``)."""

    def authenticate(self, request):
        auth = get_authorization_header(request).split()
        if not auth or auth[0].lower() != self.keyword.lower().encode():
            return None
        address = client_address(request)
        wait = auth_failures_wait(address)
        if wait is not None:
            raise AuthFailuresThrottled(wait=wait)
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            auth_failure_record(address)
            raise

    def authenticate_credentials(self, key):
        token = api_token_authenticate(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
