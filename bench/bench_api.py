"""API benchmark: requests/s of GET /api/v1/videos/ (a page of 50, with lifetime metrics)
under gunicorn, against a bare Django view returning the same rows from ``.values()`` in the
same run, on the same server process (issue 6; goal ≥ 0.5×).

One gunicorn sync worker serves both; a single client thread sends requests back to back, so
each figure is the inverse of the mean request time. The two are measured alternately in
rounds and the best round of each counts (a busy machine slows both).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/bench_api.py
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import SCALE, figure, free_port, gunicorn_start, setup_django

setup_django("bench_api")

import requests  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.utils import timezone  # noqa: E402

from analytics.models import EngagementMetric, MetricWindow  # noqa: E402
from core.tokens import api_token_rotate  # noqa: E402
from videos.models import PipelineStatus, Platform, Video  # noqa: E402

VIDEOS = 500
ROUNDS = 3
SECONDS_PER_ROUND = max(1.0, 3.0 * SCALE)
GOAL = 0.5


def seed() -> str:
    """A creator with VIDEOS published videos, each with its stored metrics; returns a token."""
    User = get_user_model()
    User.objects.filter(username="bench-api").delete()
    owner = User.objects.create(username="bench-api", is_staff=True)
    platforms = list(Platform.objects.all())
    now = timezone.now()
    videos = Video.objects.bulk_create(
        Video(
            owner=owner,
            platform=platforms[i % len(platforms)],
            platform_video_id=f"bench-{i}",
            title=f"Benchmark video {i}",
            topic="Python",
            hashtags="#python #bench",
            script_body="body " * 40,
            status=PipelineStatus.PUBLISHED,
            published_at=now - timedelta(hours=i),
        )
        for i in range(VIDEOS)
    )
    EngagementMetric.objects.bulk_create(
        EngagementMetric(
            video=video,
            window=window,
            views=1000 + i,
            interactions=100,
            comments=10,
            likes=50,
            frequency=0.1,
            depth=0.6,
            engagement=0.35,
            content_quality=3.2,
            composite_quality=1.5,
            computed_at=now,
        )
        for i, video in enumerate(videos)
        for window in MetricWindow.values
    )
    return api_token_rotate(user=owner).key


def start_server(port: int) -> subprocess.Popen:
    return gunicorn_start(
        port,
        settings_module="bench.api_settings",
        env={"API_THROTTLE_USER": "1000000/second"},
        args=["--workers=1"],
    )


def rate(url: str, headers: dict[str, str]) -> float:
    """Requests per second, one after the other, for SECONDS_PER_ROUND."""
    session = requests.Session()
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < SECONDS_PER_ROUND:
        response = session.get(url, headers=headers, timeout=10)
        response.raise_for_status()
        done += 1
    return done / elapsed


def main() -> None:
    token = seed()
    headers = {"Authorization": f"Token {token}"}
    port = free_port()
    server = start_server(port)
    api = f"http://127.0.0.1:{port}/api/v1/videos/?page_size=50"
    bare = f"http://127.0.0.1:{port}/bench/bare-videos/"
    try:
        api_page = requests.get(api, headers=headers, timeout=10).json()
        bare_page = requests.get(bare, headers=headers, timeout=10).json()
        assert [v["id"] for v in api_page["results"]] == [v["id"] for v in bare_page["results"]]
        assert api_page["results"][0]["metrics"]["engagement"] == 0.35
        best_api = best_bare = 0.0
        for _ in range(ROUNDS):
            best_api = max(best_api, rate(api, headers))
            best_bare = max(best_bare, rate(bare, headers))
    finally:
        server.terminate()
        server.wait(timeout=10)
    ratio = best_api / best_bare
    print(f"video list, page of 50 with metrics: API {best_api:.0f} req/s, bare {best_bare:.0f}")
    print(f"goal: API ≥ {GOAL}× bare — {'met' if ratio >= GOAL else 'NOT met'}")
    figure("api_video_list", best_api, "req/s")
    figure("bare_video_list", best_bare, "req/s")
    figure("api_vs_bare", ratio, "ratio")


if __name__ == "__main__":
    main()
