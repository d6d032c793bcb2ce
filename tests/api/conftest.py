"""Fixtures for the API tests: token-authenticated clients for two creators."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _isolated_api_state(settings, tmp_path):
    """Uploads live under MEDIA_ROOT: start each test with none left over from another
    (the root conftest empties the caches)."""
    settings.MEDIA_ROOT = tmp_path / "media"


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
