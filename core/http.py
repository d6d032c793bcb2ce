"""The client's address as the security checks count it (login lockouts, failed-token throttle)."""

from __future__ import annotations

from django.conf import settings


def client_address(request) -> str:
    """REMOTE_ADDR, or with ``TRUSTED_PROXY_COUNT`` = n proxies in front, the address the
    outermost of them saw: the n-th X-Forwarded-For entry from the right. Entries further left
    are whatever the client sent and are never trusted, so a client cannot pick its address."""
    meta = getattr(request, "META", {})
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [hop for hop in hops if hop]
        if len(hops) >= count:
            return hops[-count]
    return meta.get("REMOTE_ADDR", "") or ""
