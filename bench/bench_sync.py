"""Platform sync benchmark: snapshots fetched and stored per second for 10,000 videos (× SCALE)
of a YouTube connection against a local fake Data API (pytest-httpserver), over the same client
doing bare GETs of the same pages in the same run (issue goal: sync ≥ 0.5× raw GET).

Both sides read 50 videos a request; the sync also parses the counts, matches the videos and
records one snapshot each (the derivation included). The videos are created by a first sync
(printed as its own figure); the measured syncs are later hours', as the cadence runs them;
each side's figure is its best of three rounds.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/bench_sync.py
"""

from __future__ import annotations

import json
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import SCALE, figure, setup_django

setup_django("bench_sync")

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.utils import timezone  # noqa: E402
from pytest_httpserver import HTTPServer  # noqa: E402
from werkzeug import Response  # noqa: E402

from connectors.platform_services import (  # noqa: E402
    platform_connection_create,
    platform_connection_sync,
)
from connectors.platforms.youtube import API, IDS_PER_CALL, YouTubeClient  # noqa: E402
from videos.models import VideoSnapshot  # noqa: E402

VIDEOS = max(IDS_PER_CALL, int(10_000 * SCALE))
GOAL = 0.5
ROUNDS = 3
BENCH_USER = "bench-sync"
PUBLISHED = (timezone.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
state = {"round": 0}


def videos_list(request):
    ids = request.args["id"].split(",")
    n = state["round"]
    items = [
        {"id": vid, "snippet": {"title": vid, "publishedAt": PUBLISHED},
         "statistics": {"viewCount": str(1000 + n * 10 + i), "likeCount": str(50 + n),
                        "commentCount": str(5 + n)}}
        for i, vid in enumerate(ids)
    ]  # fmt: skip
    return Response(json.dumps({"items": items}), content_type="application/json")


def main() -> None:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("connectors").setLevel(logging.WARNING)
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.expect_request(API["videos"]).respond_with_handler(videos_list)
    server.start()
    settings.YOUTUBE_API_BASE = server.url_for("").rstrip("/")
    settings.PLATFORM_RATE_PER_SECOND = {}
    try:
        User = get_user_model()
        User.objects.filter(username=BENCH_USER).delete()
        owner = User.objects.create(username=BENCH_USER)
        ids = [f"{n:011d}" for n in range(VIDEOS)]
        connection = platform_connection_create(
            owner=owner, platform="youtube-shorts", api_key="bench-key", video_ids=ids
        )
        moment = timezone.now().replace(second=0, microsecond=0)

        start = time.perf_counter()
        first = platform_connection_sync(connection=connection, force=True, now=moment)
        first_seconds = time.perf_counter() - start
        assert first.videos_created == VIDEOS, first

        # Each side's best of ROUNDS (as timeit does): the machine's other work only ever
        # adds time, so the fastest round is the closest to what the code itself costs.
        sync_times = []
        for n in range(1, ROUNDS + 1):
            state["round"] = n
            start = time.perf_counter()
            outcome = platform_connection_sync(
                connection=connection, force=True, now=moment + timedelta(hours=n)
            )
            sync_times.append(time.perf_counter() - start)
            assert outcome.snapshots_stored == VIDEOS, outcome
        assert VideoSnapshot.objects.filter(video__owner=owner).count() == VIDEOS * (ROUNDS + 1)

        client = YouTubeClient(api_key="bench-key")
        raw_times = []
        for _ in range(ROUNDS):
            start = time.perf_counter()
            for offset in range(0, VIDEOS, IDS_PER_CALL):
                client.request(
                    "GET",
                    API["videos"],
                    params={"part": API["videos_part"], "key": "bench-key",
                            "id": ",".join(ids[offset : offset + IDS_PER_CALL])},
                )  # fmt: skip
            raw_times.append(time.perf_counter() - start)
    finally:
        server.stop()
        get_user_model().objects.filter(username=BENCH_USER).delete()

    sync_rate = VIDEOS / min(sync_times)
    raw_rate = VIDEOS / min(raw_times)
    figure("sync_first_with_video_creation", VIDEOS / first_seconds, "snapshots/s")
    figure("sync_snapshots", sync_rate, "snapshots/s")
    figure("sync_raw_get", raw_rate, "videos/s")
    ratio = sync_rate / raw_rate
    figure("sync_vs_raw_get", ratio, f"x (goal >= {GOAL})")


if __name__ == "__main__":
    main()
