"""Fixtures for the one-way-in tests: a token client for the API (pages and the admin use the
root conftest's ``creator_client``)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    """Import uploads land under MEDIA_ROOT: keep them out of var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


def token_client(user) -> APIClient:
    """An API client authenticated the documented way: a token printed by create_api_token."""
    out = StringIO()
    call_command("create_api_token", user.username, stdout=out)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {out.getvalue().strip().split()[-1]}")
    return client


@pytest.fixture
def api(creator) -> APIClient:
    return token_client(creator)
