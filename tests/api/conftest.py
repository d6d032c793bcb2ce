"""Fixtures for the API tests: token-authenticated clients for two creators."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _isolated_api_state(settings, tmp_path):
    """Throttle counters live in the cache and uploads under MEDIA_ROOT: start each test
    with neither left over from another."""
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


def token_client(user) -> APIClient:
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api_a(creator) -> APIClient:
    """Creator A (alice), the owner of the rows under attack in isolation tests."""
    return token_client(creator)


@pytest.fixture
def api_b(other_creator) -> APIClient:
    """Creator B (bob), who attacks A's rows."""
    return token_client(other_creator)
