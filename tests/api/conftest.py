"""Fixtures for the API tests: token-authenticated clients for two creators."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import ApiToken
from core.tokens import api_token_rotate


@pytest.fixture(autouse=True)
def _isolated_api_state(settings, tmp_path):
    """Uploads live under MEDIA_ROOT: start each test with none left over from another
    (the root conftest empties the caches)."""
    settings.MEDIA_ROOT = tmp_path / "media"


def token_client(user) -> APIClient:
    """A client with a token last used just now, as in steady use: its last-use stamp (written
    at most every few minutes) is then not among the queries a test counts."""
    issued = api_token_rotate(user=user)
    ApiToken.objects.filter(pk=issued.token.pk).update(last_used=timezone.now())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issued.key}")
    return client


@pytest.fixture
def api_a(creator) -> APIClient:
    """Creator A (alice), the owner of the rows under attack in isolation tests."""
    return token_client(creator)


@pytest.fixture
def api_b(other_creator) -> APIClient:
    """Creator B (bob), who attacks A's rows."""
    return token_client(other_creator)
