"""Secrets the app must read back (webhook signing secrets), encrypted at rest.

Fernet (AES-128-CBC + HMAC-SHA256) under ``settings.SECRETS_KEYS``: the first key encrypts,
every key decrypts (MultiFernet), so keys rotate by putting a new one first and running
``manage.py secrets_reencrypt`` before the old one is dropped. A value that does not decrypt
with any key is an error, never returned as is: a plain value left in the database (or one
written under a lost key) fails loudly instead of being used.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


class SecretUnreadable(Exception):
    """A stored secret that none of the configured keys decrypts."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("SECRETS_KEYS (COURSEREEL_SECRETS_KEYS) names no key.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(
            f"SECRETS_KEYS holds a key that is not a Fernet key: {error}"
        ) from None


def _current() -> MultiFernet:
    return _fernet(tuple(settings.SECRETS_KEYS))


def secret_encrypt(value: str) -> str:
    return _current().encrypt(value.encode()).decode("ascii")


def secret_decrypt(token: str) -> str:
    try:
        return _current().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError):
        raise SecretUnreadable(
            "A stored secret does not decrypt with any key in COURSEREEL_SECRETS_KEYS."
        ) from None


def secret_reencrypt(token: str) -> str:
    """The same secret encrypted with the first (newest) key."""
    try:
        return _current().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeEncodeError):
        raise SecretUnreadable(
            "A stored secret does not decrypt with any key in COURSEREEL_SECRETS_KEYS."
        ) from None


class EncryptedTextField(models.TextField):
    """A text column holding a Fernet token; Python sees the plain value.

    Encrypted with a fresh IV each save, so it cannot be filtered or ordered on, and the
    stored text is longer than the value (about 1.4 × + 60 characters).
    """

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return secret_decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return None
        return secret_encrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name not in ("isnull",):
            return None  # "Unsupported lookup": an encrypted value never equals its plain text
        return super().get_lookup(lookup_name)
