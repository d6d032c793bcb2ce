"""A real Celery worker polls Xiaoe-tech (a local HTTP server) on the configured database and
broker — PostgreSQL and Redis in CI — and the sales land once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from werkzeug import Response

from connectors.services import connection_create, connection_mapping_update
from connectors.tasks import sales_connection_poll
from courses.models import Sale
from tests.factories import CourseFactory, CreatorFactory
from tests.processes import ROOT, database_url, wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_polls_and_records_each_order_once(httpserver):
    orders = [
        {"order_id": f"w_{n}", "pay_state_time": "2026-12-01 20:00:00", "actual_fee": 9900,
         "resource_id": "p_1", "goods_name": "Python"}
        for n in range(3)
    ]  # fmt: skip
    httpserver.expect_request("/token").respond_with_json(
        {"code": 0, "msg": "ok", "data": {"access_token": "t", "expires_in": 7200}}
    )
    httpserver.expect_request("/xe.ecommerce.order.list/1.0.0", method="POST").respond_with_handler(
        lambda request: Response(
            json.dumps({"code": 0, "data": {"list": orders, "total": len(orders)}})
        )
    )
    creator = CreatorFactory(username=f"w-{uuid.uuid4().hex[:6]}")
    course = CourseFactory(owner=creator)
    connection, _ = connection_create(
        owner=creator, kind="xiaoe", secrets={"app_id": "a", "client_id": "c", "client_secret": "s"}
    )
    connection_mapping_update(connection=connection, mapping={"p_1": {"course": course.pk}})

    queue = f"test-sales-{uuid.uuid4().hex[:8]}"
    log_path = ROOT / "var" / f"worker-{queue}.log"
    log_path.parent.mkdir(exist_ok=True)
    with open(log_path, "w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "-c", "1",
             "--loglevel=info", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": database_url(),
                "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
                "CELERY_QUEUE": queue,
                "DJANGO_SETTINGS_MODULE": "config.settings.test",
                "XIAOE_API_BASE": httpserver.url_for("/"),
            },
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            sales_connection_poll.apply_async(args=[connection.pk], queue=queue)
            wait_for(
                lambda: Sale.objects.filter(connection=connection).count() == 3,
                timeout=120,
                what="the worker to record the polled orders",
            )
            sales_connection_poll.apply_async(args=[connection.pk], queue=queue)
            wait_for(
                lambda: len([r for r in httpserver.log if "order.list" in r[0].path]) >= 2,
                timeout=60,
                what="the second poll",
            )
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
    assert Sale.objects.filter(connection=connection).count() == 3
    assert sorted(Sale.objects.values_list("order_ref", flat=True)) == ["w_0", "w_1", "w_2"]
