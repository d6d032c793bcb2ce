"""The API resource and the page, owner-scoped; another creator's connection ids and receive
URLs never reach or write into this creator's data."""

from __future__ import annotations

import pytest

from connectors.models import RefusedEvent, SalesConnection
from connectors.services import connection_create, connection_secrets
from courses.models import Sale
from tests.api.conftest import token_client
from tests.factories import CourseFactory

from .conftest import generic_post

pytestmark = pytest.mark.django_db
API = "/api/v1/sales-connections/"


def test_create_stripe_keeps_the_secret_write_only_and_encrypted(creator):
    api = token_client(creator)
    response = api.post(API, {"kind": "stripe", "signing_secret": "whsec_abc"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert "signing_secret" not in body and body["secret"] is None
    assert body["receive_url"].startswith("http://testserver/hooks/sales/")
    connection = SalesConnection.objects.get(pk=body["id"])
    assert connection_secrets(connection) == {"signing_secret": "whsec_abc"}
    from django.db import connection as db

    with db.cursor() as cursor:
        cursor.execute("SELECT secrets FROM connectors_salesconnection WHERE id = %s", [body["id"]])
        assert "whsec_abc" not in cursor.fetchone()[0]


def test_a_stripe_secret_must_look_like_one(creator):
    response = token_client(creator).post(
        API, {"kind": "stripe", "signing_secret": "sk_live"}, format="json"
    )
    assert response.status_code == 400


def test_generic_shows_its_secret_once_and_rotates(creator):
    api = token_client(creator)
    created = api.post(API, {"kind": "generic"}, format="json").json()
    assert created["secret"].startswith("crsec_")
    assert api.get(f"{API}{created['id']}/").json()["secret"] is None
    rotated = api.post(f"{API}{created['id']}/rotate-secret/").json()
    assert rotated["secret"].startswith("crsec_") and rotated["secret"] != created["secret"]


def test_xiaoe_has_no_receive_url_and_polls_on_demand(
    creator, monkeypatch, django_capture_on_commit_callbacks
):
    from connectors import tasks

    queued = []
    monkeypatch.setattr(tasks.sales_connection_poll, "delay", queued.append)
    api = token_client(creator)
    body = {"kind": "xiaoe", "app_id": "a", "client_id": "c", "client_secret": "s"}
    created = api.post(API, body, format="json").json()
    assert created["receive_url"] is None
    with django_capture_on_commit_callbacks(execute=True):  # the poll is queued after commit
        assert api.post(f"{API}{created['id']}/poll/").status_code == 202
    assert queued == [created["id"]]


def test_rates_and_mapping_by_patch(creator, course):
    api = token_client(creator)
    created = api.post(
        API, {"kind": "xiaoe", "app_id": "a", "client_id": "c", "client_secret": "s"}, format="json"
    ).json()
    response = api.patch(
        f"{API}{created['id']}/",
        {"currency_rates": {"usd": "7.1"}, "goods_mapping": {"p_1": {"course": course.pk}}},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["currency_rates"] == {"USD": "7.1"}
    assert response.json()["goods_mapping"] == {"p_1": {"course": course.pk, "tier": None}}


def test_a_mapping_to_another_creators_course_is_refused(creator, other_creator):
    theirs = CourseFactory(owner=other_creator)
    api = token_client(creator)
    created = api.post(
        API, {"kind": "xiaoe", "app_id": "a", "client_id": "c", "client_secret": "s"}, format="json"
    ).json()
    response = api.patch(
        f"{API}{created['id']}/", {"goods_mapping": {"p": {"course": theirs.pk}}}, format="json"
    )
    assert response.status_code == 400


def test_another_creators_connection_and_refusals_are_404(creator, other_creator):
    mine, _ = connection_create(owner=creator, kind="generic")
    RefusedEvent.objects.create(connection=mine, reason="x")
    thief = token_client(other_creator)
    for method, path in [
        ("get", f"{API}{mine.pk}/"),
        ("patch", f"{API}{mine.pk}/"),
        ("delete", f"{API}{mine.pk}/"),
        ("post", f"{API}{mine.pk}/rotate-secret/"),
        ("post", f"{API}{mine.pk}/poll/"),
    ]:
        assert getattr(thief, method)(path, {}, format="json").status_code == 404, path
    assert thief.get(API).json()["count"] == 0
    assert thief.get("/api/v1/sales-refusals/").json()["count"] == 0
    assert SalesConnection.objects.filter(pk=mine.pk).exists()


def test_a_receive_url_never_writes_into_another_creators_courses(client, creator, other_creator):
    """Bob's connection names Alice's course slug: refused, nothing in Alice's data."""
    CourseFactory(owner=creator, slug="alice-course")
    bobs, secret = connection_create(owner=other_creator, kind="generic")
    bobs.plain_secret = secret
    order = {
        "order_id": "X", "sold_at": "2026-12-01T10:00:00+08:00", "course": "alice-course",
        "quantity": 1, "unit_price": "1", "currency": "CNY",
    }  # fmt: skip
    assert generic_post(client, bobs, order).status_code == 422
    assert not Sale.objects.exists()
    # Alice's receive URL does not accept Bob's secret either.
    alices, _ = connection_create(owner=creator, kind="generic")
    assert generic_post(client, alices, {**order}, secret=secret).status_code == 400
    assert not Sale.objects.exists()


def test_the_page_shows_only_the_creators_cards(client, creator, other_creator):
    mine, _ = connection_create(owner=creator, kind="generic", name="My shop")
    theirs, _ = connection_create(owner=other_creator, kind="generic", name="Bob shop")
    client.force_login(creator)
    page = client.get("/settings/connections/").content.decode()
    assert "My shop" in page and mine.receive_token in page
    assert "Bob shop" not in page and theirs.receive_token not in page
    for action in ("rotate", "poll", "rates", "mapping", "delete"):
        assert client.post(f"/settings/connections/{theirs.pk}/{action}/").status_code == 404
    assert SalesConnection.objects.filter(pk=theirs.pk).exists()


def test_the_page_adds_a_generic_connection_and_shows_its_secret_once(client, creator):
    client.force_login(creator)
    response = client.post("/settings/connections/add/", {"kind": "generic"})
    assert response.status_code == 200
    connection = SalesConnection.objects.get(owner=creator)
    secret = connection_secrets(connection)["signing_secret"]
    assert secret in response.content.decode()
    assert secret not in client.get("/settings/connections/").content.decode()


def test_the_page_saves_rates(client, creator):
    connection, _ = connection_create(owner=creator, kind="generic")
    client.force_login(creator)
    client.post(
        f"/settings/connections/{connection.pk}/rates/", {"currency": ["usd"], "rate": ["7.2"]}
    )
    connection.refresh_from_db()
    assert connection.currency_rates == {"USD": "7.2"}


def test_the_page_query_count_is_fixed(client, creator, django_assert_max_num_queries):
    for _ in range(5):
        connection, _ = connection_create(owner=creator, kind="generic")
        RefusedEvent.objects.create(connection=connection, reason="No course")
    client.force_login(creator)
    with django_assert_max_num_queries(10):
        assert client.get("/settings/connections/").status_code == 200
