"""A creator's API token: read, issue (rotating the old one out) and revoke.

Used by the settings page and the API (/api/v1/auth/token/).
"""

from __future__ import annotations

from django.db import transaction
from rest_framework.authtoken.models import Token


def api_token_get(*, user) -> Token | None:
    return Token.objects.filter(user=user).first()


@transaction.atomic
def api_token_rotate(*, user) -> Token:
    """Issue a new API token for ``user``; the previous one stops working at once."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


def api_token_revoke(*, user) -> bool:
    """Revoke the user's API token; True when there was one."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)
