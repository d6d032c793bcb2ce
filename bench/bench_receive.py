"""Receive benchmark: signed generic-shop events accepted per second on a connection's
receive URL under gunicorn, against the tracking redirect ``/r/<code>`` in the same run on the
same server (issue goal: receive ≥ 0.3× redirect). The per-connection rate limit is raised
for the run. Every event is a new order; afterwards a share of them is sent again, and there
must be exactly one sale per order id, or the script exits non-zero.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/bench_receive.py
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from itertools import count
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import SCALE, figure, free_port, gunicorn_start, setup_django

setup_django("bench_receive")

import requests  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402

from connectors.receive import generic_signature  # noqa: E402
from connectors.services import connection_create  # noqa: E402
from courses.models import Course, Sale  # noqa: E402
from tracking import services  # noqa: E402
from videos.models import PipelineStatus, Platform, Video  # noqa: E402

SECONDS = max(1.0, 3.0 * SCALE)
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "4"))
GOAL = 0.3
BENCH_USER = "bench-receive"


def seed():
    User = get_user_model()
    User.objects.filter(username=BENCH_USER).delete()
    owner = User.objects.create(username=BENCH_USER)
    course = Course.objects.create(
        owner=owner, title="Bench", slug="bench-course",
        sales_page_url="https://shop.example.com/bench",
    )  # fmt: skip
    video = Video.objects.create(
        owner=owner, course=course, platform=Platform.objects.get(slug="douyin"),
        platform_video_id="bench-receive", title="Bench", status=PipelineStatus.PUBLISHED,
    )  # fmt: skip
    link = services.link_for_video(owner=owner, video=video)
    connection, secret = connection_create(owner=owner, kind="generic")
    return connection, secret, link.code


def run(seconds: float, send) -> tuple[int, list]:
    stop = time.monotonic() + seconds
    done: list = []
    lock = threading.Lock()

    def client(index: int) -> None:
        session = requests.Session()
        session.trust_env = False
        mine = []
        while time.monotonic() < stop:
            mine.append(send(session, index))
        with lock:
            done.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(done), done


def main() -> None:
    connection, secret, code = seed()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = gunicorn_start(
        port,
        settings_module="config.settings",
        env={"SALES_RECEIVE_PER_MINUTE": "100000000", "DB_CONN_MAX_AGE": "600"},
        args=[f"--workers={WORKERS}", "--worker-class=gthread", "--threads=1", "--keep-alive=30"],
    )
    receive = f"{base}/hooks/sales/{connection.receive_token}"
    orders = count()

    def post(session, order_id: str):
        body = json.dumps(
            {"order_id": order_id, "sold_at": "2026-12-01T10:00:00+08:00",
             "course": "bench-course", "quantity": 1, "unit_price": "99.00", "currency": "CNY",
             "tracking_code": code}
        ).encode()  # fmt: skip
        stamp = str(int(time.time()))
        answer = session.post(
            receive, data=body,
            headers={"Content-Type": "application/json", "X-CourseReel-Timestamp": stamp,
                     "X-CourseReel-Signature": generic_signature(secret, stamp, body)},
        )  # fmt: skip
        return (order_id, answer.status_code)

    def event(session, index):
        return post(session, f"bench-{next(orders)}")

    def click(session, index):
        answer = session.get(f"{base}/r/{code}", allow_redirects=False)
        return ("", answer.status_code)

    try:
        run(0.5, click)
        _sent, results = run(SECONDS, event)
        clicks, click_results = run(SECONDS, click)
        accepted = [order for order, status in results if status == 200]
        replayed = [post(requests.Session(), order) for order in accepted[:50]]
    finally:
        server.terminate()
        server.wait(timeout=10)
    bad = [status for _, status in results + click_results if status not in (200, 302)]
    receive_rps, redirect_rps = len(accepted) / SECONDS, clicks / SECONDS
    sales = Sale.objects.filter(connection=connection)
    figure("receive_events_rps", receive_rps, "req/s")
    figure("receive_redirect_rps", redirect_rps, "req/s")
    figure("receive_vs_redirect", receive_rps / redirect_rps if redirect_rps else 0, "ratio")
    print(f"goal ≥ {GOAL}; {len(bad)} unexpected answers; replays answered "
          f"{sorted({status for _, status in replayed})}")  # fmt: skip
    distinct = sales.values("order_ref").distinct().count()
    figure("receive_sales_minus_orders", sales.count() - len(accepted), "sales")
    if sales.count() != len(accepted) or distinct != len(accepted) or bad:
        raise SystemExit("not exactly one sale per accepted order id")


if __name__ == "__main__":
    main()
