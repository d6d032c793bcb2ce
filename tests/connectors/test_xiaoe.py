"""Xiaoe-tech polled on a local HTTP server answering its documented shapes: the token
(client_credential), the order list by update time with paging, token expiry, error codes."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from werkzeug import Response

from connectors import refusals, xiaoe
from connectors.models import RefusedEvent, SalesConnection
from connectors.services import connection_create, connection_mapping_update, connection_poll
from courses.models import Sale
from tests.factories import VideoFactory
from tracking.services import link_for_video

pytestmark = pytest.mark.django_db

ORDERS = "/xe.ecommerce.order.list/1.0.0"


def order(n: int, **fields) -> dict:
    return {
        "order_id": f"o_{n}",
        "pay_state_time": "2026-12-01 20:00:00",
        "actual_fee": 9900,
        "goods_name": "Python 入门",
        "resource_id": "p_python",
        "channel_type": 1,
        "channel_bus_id": "",
        "share_user_id": "",
        "order_remarks": "",
        "refund_fee": 0,
        "refund_time": "",
        **fields,
    }


class FakeXiaoe:
    """Tokens that expire when told to, and pages of ``orders``."""

    def __init__(self, server, orders, page_size=2):
        self.server, self.orders, self.page_size = server, orders, page_size
        self.tokens_issued = 0
        self.valid = set()
        self.pages_asked: list[int] = []
        server.expect_request("/token", method="GET").respond_with_handler(self.token)
        server.expect_request(ORDERS, method="POST").respond_with_handler(self.order_list)

    def token(self, request):
        args = request.args
        if args.get("grant_type") != "client_credential" or args.get("secret_key") != "s3cret":
            return Response(json.dumps({"code": 2001, "msg": "app 校验失败", "data": {}}))
        self.tokens_issued += 1
        token = f"tok{self.tokens_issued}"
        self.valid.add(token)
        return Response(
            json.dumps(
                {"code": 0, "msg": "ok", "data": {"access_token": token, "expires_in": 7200}}
            )
        )

    def order_list(self, request):
        body = json.loads(request.data)
        if body.get("access_token") not in self.valid:
            return Response(json.dumps({"code": 2008, "msg": "access_token 已过期", "data": {}}))
        assert body["update_begin_time"] and body["update_end_time"]
        page = int(body["page"])
        self.pages_asked.append(page)
        start = (page - 1) * self.page_size
        rows = self.orders[start : start + self.page_size]
        return Response(
            json.dumps(
                {
                    "code": 0,
                    "msg": "ok",
                    "data": {"list": rows, "total": len(self.orders), "page": page},
                }
            )
        )

    def expire_tokens(self):
        self.valid.clear()


@pytest.fixture
def shop(httpserver, settings):
    settings.XIAOE_API_BASE = httpserver.url_for("/")
    settings.XIAOE_PAGE_SIZE = 2
    return httpserver


@pytest.fixture
def connection(creator, course):
    conn, _ = connection_create(
        owner=creator,
        kind="xiaoe",
        secrets={"app_id": "app1", "client_id": "c1", "client_secret": "s3cret"},
    )
    connection_mapping_update(connection=conn, mapping={"p_python": {"course": course.pk}})
    conn.refresh_from_db()
    return conn


def test_a_poll_reads_every_page_and_records_each_order_once(shop, connection, course):
    fake = FakeXiaoe(shop, [order(n) for n in range(5)])
    assert connection_poll(connection=connection) == {"created": 5}
    assert fake.pages_asked == [1, 2, 3]
    assert Sale.objects.filter(connection=connection).count() == 5
    sale = Sale.objects.get(order_ref="o_0")
    assert sale.unit_price == Decimal("99.00") and sale.currency == "CNY"
    assert sale.channel == {"channel_type": 1}
    connection.refresh_from_db()
    assert connection_poll(connection=connection) == {"unchanged": 5}
    assert fake.tokens_issued == 1  # cached until it expires
    connection.refresh_from_db()
    assert connection.sales_created == 5 and connection.last_poll_at and connection.poll_cursor


def test_an_expired_token_is_refreshed_once(shop, connection, course):
    fake = FakeXiaoe(shop, [order(1)])
    connection_poll(connection=connection)
    fake.expire_tokens()
    connection.refresh_from_db()
    connection_poll(connection=connection)
    assert fake.tokens_issued == 2


def test_a_refused_secret_is_a_plain_last_error(shop, creator, course):
    FakeXiaoe(shop, [])
    conn, _ = connection_create(
        owner=creator,
        kind="xiaoe",
        secrets={"app_id": "a", "client_id": "c", "client_secret": "wrong"},
    )
    with pytest.raises(xiaoe.XiaoeError):
        connection_poll(connection=conn)
    conn.refresh_from_db()
    assert conn.status == SalesConnection.Status.ERROR
    assert conn.last_error_code == "xiaoe_credentials"
    assert conn.last_error == conn.last_error_message == refusals.MESSAGES["xiaoe_credentials"]


def test_5xx_is_retried_then_reported(shop, connection, monkeypatch):
    monkeypatch.setattr(xiaoe, "BACKOFF_SECONDS", 0)
    shop.expect_request("/token").respond_with_data("busy", status=503)
    with pytest.raises(xiaoe.XiaoeError, match="503"):
        connection_poll(connection=connection)
    assert len(shop.log) == xiaoe.ATTEMPTS


def test_unmapped_goods_are_listed_and_refused_never_guessed(shop, connection, course):
    FakeXiaoe(shop, [order(1, resource_id="p_go", goods_name="Go 实战")])
    assert connection_poll(connection=connection) == {"refused": 1}
    connection.refresh_from_db()
    assert connection.unmatched_goods == {"p_go": "Go 实战"}
    assert not Sale.objects.exists()
    assert "Go 实战" in RefusedEvent.objects.get().reason
    connection_mapping_update(
        connection=connection, mapping={**connection.goods_mapping, "p_go": {"course": course.pk}}
    )
    connection.refresh_from_db()
    assert connection.unmatched_goods == {} and connection.poll_cursor is None
    assert connection_poll(connection=connection) == {"created": 1}


def test_refunds_from_polls_apply_once(shop, connection, course):
    fake = FakeXiaoe(shop, [order(1, actual_fee=10000)])
    connection_poll(connection=connection)
    fake.orders = [order(1, actual_fee=10000, refund_fee=2500, refund_time="2026-12-02 09:00:00")]
    connection.refresh_from_db()
    connection_poll(connection=connection)
    connection.refresh_from_db()
    connection_poll(connection=connection)
    sale = Sale.objects.get()
    assert sale.refund_amount == Decimal("25.00") and sale.refunded_at is not None


def test_unpaid_orders_are_skipped(shop, connection, course):
    FakeXiaoe(shop, [order(1, pay_state_time="")])
    assert connection_poll(connection=connection) == {}
    assert not Sale.objects.exists()


@pytest.mark.parametrize("field", ["channel_bus_id", "order_remarks"])
def test_attribution_by_code_in_channel_or_remarks(shop, connection, course, creator, field):
    video = VideoFactory(owner=creator, course=course)
    code = link_for_video(owner=creator, video=video).code
    FakeXiaoe(shop, [order(1, **{field: f"来自视频 {code.upper()[:3]}-{code.upper()[3:]}"})])
    connection_poll(connection=connection)
    assert Sale.objects.get().tracking_code == code


def test_an_event_then_a_poll_of_the_same_order_is_one_sale(shop, connection, course):
    from django.utils import timezone

    from courses.services import sale_record_external

    sale_record_external(
        owner_id=connection.owner_id, connection_id=connection.pk, external_id="o_1",
        data={
            "course": course, "quantity": 1, "unit_price": Decimal("99.00"),
            "sold_at": timezone.now(),
        },
    )  # fmt: skip
    FakeXiaoe(shop, [order(1)])
    connection_poll(connection=connection)
    assert Sale.objects.count() == 1


def test_the_migration_schedules_the_poll():
    from django_celery_beat.models import PeriodicTask

    import connectors.tasks  # noqa: F401  (registers the task, as the worker's autodiscovery does)
    from config.celery import app as celery_app

    task = PeriodicTask.objects.get(name="Poll shop connections for sales")
    assert task.task == "connectors.tasks.sales_connections_poll"
    assert task.task in celery_app.tasks


def test_a_poll_reads_each_course_once(shop, connection, course):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    FakeXiaoe(shop, [order(n) for n in range(1, 4)])
    with CaptureQueriesContext(db) as queries:
        assert connection_poll(connection=connection) == {"created": 3}
    course_reads = [q for q in queries.captured_queries if 'FROM "courses_course"' in q["sql"]]
    assert len(course_reads) == 1
