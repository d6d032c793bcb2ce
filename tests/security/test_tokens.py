"""API tokens stored as digests, the failed-token throttle, tokens of the old plain table
migrated, and webhook signing secrets encrypted at rest with rotating keys."""

from __future__ import annotations

import hashlib
import importlib
import os
import subprocess
import sys
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from rest_framework.test import APIClient

from core.crypto import SecretUnreadable
from core.models import ApiToken
from core.tokens import api_token_digest, api_token_rotate
from tests.factories import WebhookEndpointFactory
from webhooks.models import WebhookEndpoint
from webhooks.services import webhook_signature

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def token_get(key: str, ip: str = "203.0.113.1", path: str = "/api/v1/courses/"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(path, REMOTE_ADDR=ip)


def raw_rows(table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
        return cursor.fetchall()


# --- tokens stored as digests --------------------------------------------------------------


def test_the_key_is_not_in_the_database(creator):
    key = api_token_rotate(user=creator).key
    rows = raw_rows(ApiToken._meta.db_table)
    assert len(rows) == 1
    assert not any(key in str(value) for value in rows[0])
    token = ApiToken.objects.get(user=creator)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:8]
    assert len(key) >= 40  # 256 random bits, URL-safe
    assert token_get(key).status_code == 200


def test_a_digest_is_not_a_key(creator):
    api_token_rotate(user=creator)
    token = ApiToken.objects.get(user=creator)
    assert token_get(token.key_hash).status_code == 401
    assert token_get(token.prefix).status_code == 401


def test_rotate_and_revoke_through_the_command_and_the_api(creator):
    out = StringIO()
    call_command("create_api_token", creator.username, stdout=out)
    first = out.getvalue().strip()
    assert token_get(first).status_code == 200

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    status = client.get("/api/v1/auth/token/").json()
    assert status["key_hint"] == first[:8] and status["last_used"] is not None
    issued = client.post("/api/v1/auth/token/").json()["key"]
    assert token_get(first).status_code == 401
    assert token_get(issued).status_code == 200
    assert ApiToken.objects.filter(user=creator).count() == 1

    client.credentials(HTTP_AUTHORIZATION=f"Token {issued}")
    assert client.delete("/api/v1/auth/token/").status_code == 204
    assert token_get(issued).status_code == 401
    assert not ApiToken.objects.exists()


def test_last_use_is_stamped_but_not_on_every_call(creator, django_assert_num_queries):
    key = api_token_rotate(user=creator).key
    assert ApiToken.objects.get(user=creator).last_used is None
    token_get(key, path="/api/v1/auth/token/")
    stamped = ApiToken.objects.get(user=creator).last_used
    assert stamped is not None
    with django_assert_num_queries(2):  # the token with its user, then the token again (view)
        token_get(key, path="/api/v1/auth/token/")
    assert ApiToken.objects.get(user=creator).last_used == stamped


def test_an_inactive_users_token_is_refused(creator):
    key = api_token_rotate(user=creator).key
    creator.is_active = False
    creator.save()
    response = token_get(key)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


# --- failed tokens throttled per address -----------------------------------------------------


@pytest.fixture
def three_per_minute(settings):
    settings.API_THROTTLE_AUTH_FAILURES = "3/minute"


def test_failed_tokens_are_answered_429_after_the_limit(creator, three_per_minute):
    key = api_token_rotate(user=creator).key
    for i in range(3):
        assert token_get(f"guess-{i}").status_code == 401
    response = token_get("guess-3")
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "throttled"
    assert error["message"].startswith("Too many failed API token attempts from this address.")
    assert 1 <= int(response["Retry-After"]) <= 60
    # While it lasts, even the right key is refused from that address: a right guess looks like
    # a wrong one.
    assert token_get(key).status_code == 429
    # Other addresses are not affected.
    assert token_get(key, ip="203.0.113.2").status_code == 200
    assert token_get("guess", ip="203.0.113.2").status_code == 401


def test_malformed_token_headers_count_too(three_per_minute):
    client = APIClient()
    for header in ("Token", "Token a b", "Token x"):
        client.credentials(HTTP_AUTHORIZATION=header)
        assert client.get("/api/v1/courses/", REMOTE_ADDR="203.0.113.3").status_code == 401
    assert token_get("x", ip="203.0.113.3").status_code == 429


def test_requests_without_a_token_are_not_throttled_by_failures(
    creator, creator_client, three_per_minute
):
    for i in range(5):
        token_get(f"guess-{i}", ip="127.0.0.1")
    assert token_get("guess", ip="127.0.0.1").status_code == 429
    # The creator's own pages' session from the same address still works.
    assert creator_client.get("/api/v1/courses/", REMOTE_ADDR="127.0.0.1").status_code == 200


def test_good_tokens_do_not_count(creator, three_per_minute):
    key = api_token_rotate(user=creator).key
    for _ in range(6):
        assert token_get(key).status_code == 200


def test_the_default_rate_sits_beside_the_user_rate():
    assert django_settings.API_THROTTLE_AUTH_FAILURES == "20/minute"


# --- plain tokens of rest_framework.authtoken migrated --------------------------------------


@pytest.mark.django_db(transaction=True)
def test_old_plain_tokens_are_hashed_and_keep_working(creator, other_creator):
    migration = importlib.import_module("core.migrations.0002_api_tokens_from_authtoken")
    assert "rest_framework.authtoken" not in django_settings.INSTALLED_APPS
    quote = connection.ops.quote_name
    old_key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"  # DRF's format: 40 hex characters
    created = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    api_token_rotate(user=other_creator)  # a token already in the new table is left alone
    with connection.cursor() as cursor:
        # The table as rest_framework.authtoken left it (its own migration would need the app).
        cursor.execute(
            f"CREATE TABLE {quote('authtoken_token')} ({quote('key')} varchar(40) PRIMARY KEY, "
            f"{quote('created')} timestamp NOT NULL, {quote('user_id')} integer NOT NULL)"
        )
        cursor.execute(
            f"INSERT INTO {quote('authtoken_token')} VALUES (%s, %s, %s)",
            [
                old_key,
                created.replace(tzinfo=None) if connection.vendor == "sqlite" else created,
                creator.pk,
            ],
        )
    recorder = MigrationRecorder(connection)
    recorder.record_applied("authtoken", "0001_initial")

    with connection.schema_editor() as editor:
        migration.plain_tokens_hash(apps, editor)

    token = ApiToken.objects.get(user=creator)
    assert token.key_hash == api_token_digest(old_key) and token.prefix == old_key[:8]
    assert token.created == created
    assert "authtoken_token" not in connection.introspection.table_names()
    assert not recorder.migration_qs.filter(app="authtoken").exists()
    assert token_get(old_key).status_code == 200  # the integration's key still works
    assert ApiToken.objects.filter(user=other_creator).exists()


def test_the_migration_does_nothing_without_the_old_table():
    migration = importlib.import_module("core.migrations.0002_api_tokens_from_authtoken")

    class Editor:  # what the function touches of a schema editor
        pass

    Editor.connection = connection
    migration.plain_tokens_hash(apps, Editor)
    assert not ApiToken.objects.exists()


# --- webhook signing secrets encrypted -------------------------------------------------------

DEV_KEY = django_settings.SECRETS_KEYS_DEVELOPMENT_DEFAULT


def stored_secret(endpoint) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT secret FROM {WebhookEndpoint._meta.db_table} WHERE id = %s", [endpoint.pk]
        )
        return cursor.fetchone()[0]


def test_the_signing_secret_is_not_stored_in_plain_text(creator):
    endpoint = WebhookEndpointFactory(owner=creator)
    plain = WebhookEndpoint.objects.get(pk=endpoint.pk).secret
    assert len(plain) == 64
    stored = stored_secret(endpoint)
    assert plain not in stored
    assert Fernet(DEV_KEY).decrypt(stored.encode()).decode() == plain
    # Deliveries are signed with the plain secret, as receivers were told.
    assert webhook_signature(plain, b"{}") == webhook_signature(
        Fernet(DEV_KEY).decrypt(stored.encode()).decode(), b"{}"
    )


def test_an_encrypted_field_cannot_be_searched(creator):
    endpoint = WebhookEndpointFactory(owner=creator)
    from django.core.exceptions import FieldError

    with pytest.raises(FieldError):
        list(WebhookEndpoint.objects.filter(secret=endpoint.secret))


def test_keys_rotate_old_values_still_decrypt_then_get_reencrypted(creator, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.SECRETS_KEYS = [old]
    endpoint = WebhookEndpointFactory(owner=creator)
    plain = WebhookEndpoint.objects.get(pk=endpoint.pk).secret

    settings.SECRETS_KEYS = [new, old]  # the new key goes first, the old one stays
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == plain
    Fernet(old).decrypt(stored_secret(endpoint).encode())  # still the old key's

    out = StringIO()
    call_command("secrets_reencrypt", stdout=out)
    assert "webhooks.WebhookEndpoint: secret" in out.getvalue()
    assert Fernet(new).decrypt(stored_secret(endpoint).encode()).decode() == plain

    settings.SECRETS_KEYS = [new]  # the old key can go now
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == plain
    settings.SECRETS_KEYS = [old]  # and a value under a key no longer listed fails loudly
    with pytest.raises(SecretUnreadable):
        WebhookEndpoint.objects.get(pk=endpoint.pk)


def test_the_migration_encrypts_existing_plain_secrets(creator):
    migration = importlib.import_module("webhooks.migrations.0004_encrypt_signing_secret")
    endpoint = WebhookEndpointFactory(owner=creator)
    plain = "a" * 64
    with connection.cursor() as cursor:  # a row as it was before the migration
        cursor.execute(
            f"UPDATE {WebhookEndpoint._meta.db_table} SET secret = %s WHERE id = %s",
            [plain, endpoint.pk],
        )
    before = MigrationLoader(connection).project_state(("webhooks", "0003_last_error_classes"))

    class Editor:
        pass

    Editor.connection = connection
    migration.secrets_encrypt(before.apps, Editor)
    assert plain not in stored_secret(endpoint)
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == plain
    migration.secrets_encrypt(before.apps, Editor)  # a second run leaves it as it is
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == plain


# --- production refuses the development key --------------------------------------------------


def production_import(**env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "COURSEREEL_SECRETS_KEYS"}
    environ.update(DJANGO_SETTINGS_MODULE="config.settings.production", SECRET_KEY="s" * 50, **env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "keys",
    [None, DEV_KEY, f"{Fernet.generate_key().decode()},{DEV_KEY}", "not-a-fernet-key"],
    ids=["unset", "development-key", "development-key-among-others", "not-a-key"],
)
def test_production_settings_refuse_missing_default_or_bad_keys(keys):
    result = production_import(**({"COURSEREEL_SECRETS_KEYS": keys} if keys else {}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "COURSEREEL_SECRETS_KEYS" in result.stderr


def test_production_settings_start_with_own_keys():
    keys = f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}"
    result = production_import(COURSEREEL_SECRETS_KEYS=keys)
    assert result.returncode == 0, result.stderr[-2000:]
