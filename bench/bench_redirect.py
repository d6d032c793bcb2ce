"""Redirect benchmark: requests/s of the public tracking redirect ``/r/<code>`` (a browser's
GET, so every request counts one click) under gunicorn, against a plain Django view that only
returns ``HttpResponseRedirect`` to the same sales page URL — mounted in the same URLconf, after
the project's patterns like ``/r/``, behind the same middleware — in the same run, on the same
server process (issue goal: tracked ≥ 0.8× plain).

Server: BENCH_WORKERS (2) gunicorn gthread workers × BENCH_THREADS (1) threads; gthread
because the sync worker closes every connection, and keep-alive is what a browser following a
short link gets from a CDN or proxy. Client: BENCH_CLIENTS (4) threads, each with its own
keep-alive ``requests.Session`` sending prepared GETs back to back, cycling through LINKS
codes; the same client drives both views. The two are measured alternately in rounds and the
best round of each counts (a busy machine slows both). The client shares the machine and costs
nearly as much CPU per request as the plain view, so the script also reports the gunicorn
workers' own CPU time per request (from /proc, where there is one).

Clicks are written as deployed: buffered in each worker and inserted in batches by its writer
thread (TRACKING_CLICK_FLUSH_SECONDS, 1 s; tracking/clicks.py). Two more servers show what that
buys: one writing each click in its request (TRACKING_CLICK_FLUSH_SECONDS=0), and one doing so
on a new database connection per request (DB_CONN_MAX_AGE=0). Database connections are
otherwise persistent (DB_CONN_MAX_AGE, 600 s unless the environment sets it).

REDIS_CACHE_URL puts the shared cache on Redis, as production settings do where Redis is
available; each worker's own copy of a link's target (TRACKING_TARGET_LOCAL_SECONDS) answers
most clicks either way.

Afterwards — every server stopped, so every buffer written — the LinkClick rows must equal the
tracked requests answered (each click counted exactly once) or the script exits non-zero.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/bench_redirect.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import SCALE, figure, free_port, gunicorn_start, setup_django

setup_django("bench_redirect")

import requests  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402

from courses.models import Course  # noqa: E402
from tracking import services  # noqa: E402
from tracking.models import LinkClick  # noqa: E402
from videos.models import PipelineStatus, Platform, Video  # noqa: E402

LINKS = 20
ROUNDS = 5
SECONDS_PER_ROUND = max(1.0, 2.0 * SCALE)
WARMUP_SECONDS = 0.5
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_THREADS", "1"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "4"))
CONN_MAX_AGE = os.environ.get("DB_CONN_MAX_AGE", "600")
GOAL = 0.8
BENCH_USER = "bench-redirect"
BROWSER = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 aweme_29.1.0 Douyin"
)


def seed() -> dict[str, str]:
    """A creator with LINKS videos of one course, each with its tracking link; returns code →
    the sales page URL (with UTM parameters) the redirect answers with."""
    User = get_user_model()
    User.objects.filter(username=BENCH_USER).delete()
    owner = User.objects.create(username=BENCH_USER, is_staff=True)
    course = Course.objects.create(
        owner=owner,
        title="Python for the impatient",
        slug="python-impatient",
        sales_page_url="https://shop.example.com/courses/python?ref=bio",
    )
    platform = Platform.objects.get(slug="douyin")
    targets = {}
    for i in range(LINKS):
        video = Video.objects.create(
            owner=owner,
            course=course,
            platform=platform,
            platform_video_id=f"bench-redirect-{i}",
            title=f"Benchmark video {i}",
            status=PipelineStatus.PUBLISHED,
        )
        link = services.link_for_video(owner=owner, video=video)
        targets[link.code] = services.link_resolve(link.code).url
    return targets


def start_server(
    port: int, targets: dict[str, str], *, conn_max_age: str = CONN_MAX_AGE, flush: str = "1"
) -> subprocess.Popen:
    return gunicorn_start(
        port,
        settings_module="bench.redirect_settings",
        env={
            "DB_CONN_MAX_AGE": conn_max_age,
            "TRACKING_CLICK_FLUSH_SECONDS": flush,
            "BENCH_REDIRECT_TARGETS": json.dumps(targets),
        },
        args=[
            f"--workers={WORKERS}",
            "--worker-class=gthread",
            f"--threads={THREADS}",
            "--keep-alive=30",
        ],
    )


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=10)


def workers_cpu_seconds(server: subprocess.Popen) -> float | None:
    """User + system CPU time of the gunicorn workers (the master's children), from /proc;
    None where there is no /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, found = 0, False
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == server.pid:  # ppid
            total += int(fields[11]) + int(fields[12])  # utime + stime
            found = True
    return total / ticks if found else None


def rate(base: str, urls: list[str], expected: dict[str, str], seconds: float):
    """CLIENTS threads send GETs back to back for ``seconds``, each on its own keep-alive
    session, cycling through ``urls``. Returns (requests/s, requests answered); every answer
    must be a 302 to the expected page or the benchmark stops."""
    counts = [0] * CLIENTS
    errors: list[BaseException] = []
    start_line = threading.Barrier(CLIENTS + 1)
    stop = threading.Event()

    def client(index: int) -> None:
        session = requests.Session()
        session.trust_env = False  # no proxy or .netrc look-ups per request: a lighter client
        session.headers["User-Agent"] = BROWSER
        # Prepared once: send() skips re-building the same request (a lighter client).
        prepared = [session.prepare_request(requests.Request("GET", url)) for url in urls]
        pages = [expected[url.rsplit("/", 1)[1]] for url in urls]
        try:
            session.get(f"{base}/healthz", timeout=10).raise_for_status()  # connected first
            start_line.wait()
            i = index
            while not stop.is_set():
                n = i % len(urls)
                response = session.send(prepared[n], allow_redirects=False, timeout=10)
                counts[index] += 1
                location = response.headers.get("Location")
                if response.status_code != 302 or location != pages[n]:
                    raise RuntimeError(f"{urls[n]}: {response.status_code} {location}")
                i += 1
        except BaseException as error:
            errors.append(error)
            stop.set()
            start_line.abort()
        finally:
            session.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        start_line.wait()
    except threading.BrokenBarrierError:
        pass
    start = time.perf_counter()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit(f"request failed: {errors[0]!r}")
    return sum(counts) / elapsed, sum(counts)


def main() -> None:
    targets = seed()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    tracked_urls = [f"{base}/r/{code}" for code in targets]
    plain_urls = [f"{base}/bench/plain-redirect/{code}" for code in targets]
    sent = 0  # tracked requests answered: each must have counted one click
    rounds: list[tuple[float, float]] = []
    cpu = {"tracked": [0.0, 0], "plain": [0.0, 0]}  # worker CPU seconds, requests

    def measure(name: str, urls: list[str], seconds: float) -> float:
        nonlocal sent
        before = workers_cpu_seconds(server)
        per_second, answered = rate(base, urls, targets, seconds)
        after = workers_cpu_seconds(server)
        if before is not None and after is not None:
            cpu[name][0] += after - before
            cpu[name][1] += answered
        if name == "tracked":
            sent += answered
        return per_second

    server = start_server(port, targets)
    try:
        rate(base, plain_urls, targets, WARMUP_SECONDS)
        sent += rate(base, tracked_urls, targets, WARMUP_SECONDS)[1]
        for _ in range(ROUNDS):
            tracked = measure("tracked", tracked_urls, SECONDS_PER_ROUND)
            plain = measure("plain", plain_urls, SECONDS_PER_ROUND)
            rounds.append((tracked, plain))
    finally:
        stop_server(server)

    def tracked_only(rounds_: int, **server_env: str) -> float:
        nonlocal sent
        server = start_server(port, targets, **server_env)
        try:
            sent += rate(base, tracked_urls, targets, WARMUP_SECONDS)[1]
            best = 0.0
            for _ in range(rounds_):
                per_second, answered = rate(base, tracked_urls, targets, SECONDS_PER_ROUND)
                sent += answered
                best = max(best, per_second)
            return best
        finally:
            stop_server(server)

    direct = tracked_only(3, flush="0")
    new_connection = tracked_only(1, flush="0", conn_max_age="0")

    counted = LinkClick.objects.filter(link__owner__username=BENCH_USER).count()
    best_tracked = max(tracked for tracked, _plain in rounds)
    best_plain = max(plain for _tracked, plain in rounds)
    ratio = best_tracked / best_plain
    print(
        f"GET /r/<code> ({LINKS} links, a phone browser's User-Agent) against a plain "
        f"HttpResponseRedirect view; gunicorn {WORKERS} gthread worker(s) × {THREADS} "
        f"thread(s), {CLIENTS} keep-alive client threads, {SECONDS_PER_ROUND:g} s rounds, "
        f"DB_CONN_MAX_AGE={CONN_MAX_AGE}, clicks written in batches (every 1 s), shared cache: "
        f"{'Redis' if os.environ.get('REDIS_CACHE_URL') else 'process memory'}"
    )
    print(f"{'round':>5} {'tracked req/s':>14} {'plain req/s':>12} {'ratio':>6}")
    for number, (tracked, plain) in enumerate(rounds, 1):
        print(f"{number:>5} {tracked:>14.0f} {plain:>12.0f} {tracked / plain:>6.2f}")
    print(f"{'best':>5} {best_tracked:>14.0f} {best_plain:>12.0f} {ratio:>6.2f}")
    server_cpu = {
        name: 1e6 * seconds / requests_ for name, (seconds, requests_) in cpu.items() if requests_
    }
    if len(server_cpu) == 2:
        print(
            f"server workers' CPU per request: tracked {server_cpu['tracked']:.0f} µs, "
            f"plain {server_cpu['plain']:.0f} µs"
        )
    print(
        f"tracked, each click inserted in its request (TRACKING_CLICK_FLUSH_SECONDS=0): "
        f"{direct:.0f} req/s = {direct / best_plain:.2f}× plain"
    )
    print(
        f"the same on a new database connection per request (DB_CONN_MAX_AGE=0): "
        f"{new_connection:.0f} req/s = {new_connection / best_plain:.2f}× plain"
    )
    print(f"clicks: {sent} tracked requests answered, {counted} LinkClick rows")
    print(f"goal: tracked ≥ {GOAL}× plain — {'met' if ratio >= GOAL else 'NOT met'}")
    figure("redirect_tracked_rps", best_tracked, "req/s")
    figure("redirect_plain_rps", best_plain, "req/s")
    figure("redirect_tracked_vs_plain", ratio, "ratio")
    if len(server_cpu) == 2:
        figure("redirect_tracked_server_cpu", server_cpu["tracked"], "us/req")
        figure("redirect_plain_server_cpu", server_cpu["plain"], "us/req")
    figure("redirect_tracked_direct_write_rps", direct, "req/s")
    figure("redirect_tracked_direct_write_vs_plain", direct / best_plain, "ratio")
    figure("redirect_tracked_new_connection_rps", new_connection, "req/s")
    figure("redirect_clicks_counted_minus_sent", counted - sent, "clicks")
    if counted != sent:
        raise SystemExit(f"clicks counted {counted} != tracked requests answered {sent}")


if __name__ == "__main__":
    main()
