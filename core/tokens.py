"""A creator's API token: read, issue (rotating the old one out), revoke, and look up by key.

Used by the settings page, the API (/api/v1/auth/token/), ``create_api_token`` and the API's
authentication. Only a key's SHA-256 digest is stored (``core.models.ApiToken``); the key is
returned once, by :func:`api_token_rotate`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .models import ApiToken

PREFIX_LENGTH = 8
# A token's last use is written at most this often, so an API call costs no write in between.
LAST_USED_RESOLUTION = timedelta(minutes=5)


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued token: ``key`` exists only here, never in the database."""

    key: str
    token: ApiToken

    @property
    def created(self):
        return self.token.created


def api_token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_get(*, user) -> ApiToken | None:
    return ApiToken.objects.filter(user=user).first()


@transaction.atomic
def api_token_rotate(*, user) -> IssuedToken:
    """Issue a new API token for ``user``; the previous one stops working at once."""
    ApiToken.objects.filter(user=user).delete()
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, key_hash=api_token_digest(key), prefix=key[:PREFIX_LENGTH]
    )
    return IssuedToken(key=key, token=token)


def api_token_revoke(*, user) -> bool:
    """Revoke the user's API token; True when there was one."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return bool(deleted)


def api_token_authenticate(*, key: str) -> ApiToken | None:
    """The active token whose key is ``key`` (its user joined), or None; stamps its use."""
    digest = api_token_digest(key)
    token = ApiToken.objects.select_related("user").filter(key_hash=digest).first()
    if token is None or not hmac.compare_digest(token.key_hash, digest):
        return None
    now = timezone.now()
    if token.last_used is None or now - token.last_used >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now
    return token
