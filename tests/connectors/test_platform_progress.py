"""Platform syncs that keep their progress: chunks save synced_at and the counters as they go,
a per-run budget stops a big sync cleanly and the next run continues, a stop for any other
reason (time limit, a bug) is recorded in plain words; corrections are explained; a
connection that needs re-authorisation cannot be paused or resumed; the cadence text follows
the setting; a refusal naming its own moment (quota reset) plans the next run then and is not
retried; the next run agrees with what is due at the cadence's age boundaries."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone
from werkzeug import Response

from connectors import platform_services as services
from connectors import tasks
from connectors.models import PlatformConnection
from connectors.platform_services import (
    cadence_text,
    platform_connection_create,
    platform_connection_pause,
    platform_connection_sync,
    platform_connections_due,
)
from connectors.platforms import PlatformError
from connectors.platforms.bilibili import BilibiliClient
from connectors.platforms.youtube import YouTubeClient
from tests.api.conftest import token_client
from tests.factories import VideoFactory
from videos.models import Platform, Video, VideoSnapshot

pytestmark = pytest.mark.django_db
API = "/api/v1/platform-connections/"
BV1 = "BV1xx411c7mD"


@pytest.fixture(autouse=True)
def _servers(platform_servers):
    return platform_servers


def bili_view(bvid, view=100, pubdate=None):
    pubdate = int(time.time()) - 7200 if pubdate is None else pubdate
    return {
        "code": 0, "message": "0", "ttl": 1,
        "data": {"bvid": bvid, "aid": 1, "title": f"Video {bvid}", "pubdate": pubdate,
                 "stat": {"aid": 1, "view": view, "danmaku": 3, "reply": 4, "favorite": 5,
                          "coin": 6, "share": 7, "like": 10}},
    }  # fmt: skip


def youtube(asked: list):
    def videos(request):
        ids = request.args["id"].split(",")
        asked.extend(ids)
        items = [{"id": vid, "snippet": {"title": vid, "publishedAt": "2026-12-01T10:00:00Z"},
                  "statistics": {"viewCount": "10", "likeCount": "1", "commentCount": "0"}}
                 for vid in ids]  # fmt: skip
        return Response(json.dumps({"items": items}), content_type="application/json")

    return videos


def _youtube_connection(creator, httpserver, settings, asked):
    settings.PLATFORM_SYNC_CHUNK_VIDEOS = 50
    ids = [f"{n:011d}" for n in range(150)]
    httpserver.expect_request("/youtube/v3/videos").respond_with_handler(youtube(asked))
    connection = platform_connection_create(
        owner=creator, platform="youtube-shorts", api_key="AIzaKEY", video_ids=ids
    )
    return connection, ids


def test_the_budget_stops_after_a_chunk_keeps_its_progress_and_the_next_run_continues(
    creator, httpserver, settings, monkeypatch
):
    asked: list = []
    connection, ids = _youtube_connection(creator, httpserver, settings, asked)
    settings.PLATFORM_SYNC_MAX_SECONDS = 100
    ticks = iter(range(0, 10_000, 60))  # each look at the clock: a minute later
    monkeypatch.setattr("connectors.platform_services._clock", lambda: next(ticks))
    before = threading.active_count()
    outcome = platform_connection_sync(connection=connection)
    assert outcome.fetched == 100 and outcome.stopped_early
    assert outcome.as_dict()["stopped_early"] is True
    connection.refresh_from_db()
    assert set(connection.synced_at) == set(ids[:100])
    assert connection.snapshots_stored == 100 and connection.videos_created == 100
    assert connection.status == "active" and connection.last_error == ""
    assert connection.next_run_at <= timezone.now()
    assert connection.pk in platform_connections_due()
    assert VideoSnapshot.objects.filter(video__owner=creator).count() == 100
    assert threading.active_count() == before  # the reader thread has ended

    monkeypatch.undo()
    settings.PLATFORM_SYNC_CHUNK_VIDEOS = 50
    settings.PLATFORM_SYNC_MAX_SECONDS = 600
    asked.clear()
    again = platform_connection_sync(connection=connection)
    assert again.fetched == 50 and not again.stopped_early
    assert sorted(asked) == ids[100:]  # only the rest was asked for
    connection.refresh_from_db()
    assert len(connection.synced_at) == 150
    assert connection.snapshots_stored == 150 and connection.videos_created == 150
    assert connection.next_run_at > timezone.now() + timedelta(hours=1)


def test_each_chunk_saves_its_progress_in_its_own_transaction(creator, httpserver, settings):
    """The counters and synced_at are in the database after each chunk, before the sync ends."""
    asked: list = []
    connection, _ids = _youtube_connection(creator, httpserver, settings, asked)
    seen = []
    real = YouTubeClient.videos

    def watched(self, wanted):
        for n, row in enumerate(real(self, wanted)):
            if n in (50, 100):
                seen.append(
                    PlatformConnection.objects.values_list("snapshots_stored", flat=True).get(
                        pk=connection.pk
                    )
                )
            yield row

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(YouTubeClient, "videos", watched)
        # read in this thread so the counts are looked at between chunks deterministically
        chunks = services._chunks_ahead
        patch.setattr(services, "_chunks_ahead",
                      lambda rows, size, ahead: chunks(rows, size=size, ahead=False))  # fmt: skip
        platform_connection_sync(connection=connection)
    assert seen == [50, 100]  # stored and counted before the next chunk is read


@pytest.mark.parametrize(
    ("raised", "words"),
    [(RuntimeError("bug"), "an unexpected error"), (SoftTimeLimitExceeded(), "time limit")],
)
def test_a_stop_mid_sync_keeps_the_progress_and_says_how_far_it_got(
    creator, httpserver, settings, monkeypatch, raised, words
):
    asked: list = []
    connection, ids = _youtube_connection(creator, httpserver, settings, asked)
    real = YouTubeClient.videos

    def breaking(self, wanted):
        for n, row in enumerate(real(self, wanted)):
            if n == 100:
                raise raised
            yield row

    monkeypatch.setattr(YouTubeClient, "videos", breaking)
    before = threading.active_count()
    with pytest.raises(type(raised)):
        platform_connection_sync(connection=connection)
    assert threading.active_count() == before
    connection.refresh_from_db()
    assert set(connection.synced_at) == set(ids[:100])
    assert connection.snapshots_stored == 100 and connection.videos_created == 100
    assert connection.last_error == (
        f"The sync stopped after 100 of 150 videos ({words}); the next run continues."
    )
    assert connection.last_error_detail["params"] == {"done": 100, "total": 150}
    assert connection.status == "failing"
    assert timezone.now() < connection.next_run_at <= timezone.now() + timedelta(minutes=2)

    monkeypatch.undo()
    settings.PLATFORM_SYNC_CHUNK_VIDEOS = 50
    asked.clear()
    outcome = platform_connection_sync(connection=connection)
    assert outcome.fetched == 50 and sorted(asked) == ids[100:]
    connection.refresh_from_db()
    assert connection.status == "active" and connection.last_error == ""
    assert connection.snapshots_stored == 150


def test_a_count_corrected_down_is_explained_on_the_card_and_in_the_api(
    creator, creator_client, httpserver
):
    httpserver.expect_request("/x/web-interface/view").respond_with_json(bili_view(BV1, 1200))
    connection = platform_connection_create(owner=creator, platform="bilibili", video_ids=[BV1])
    moment = timezone.now().replace(second=0, microsecond=0)
    first = platform_connection_sync(connection=connection, now=moment)
    assert first.corrections == 0
    httpserver.clear()
    httpserver.expect_request("/x/web-interface/view").respond_with_json(bili_view(BV1, 1150))
    outcome = platform_connection_sync(
        connection=connection, now=moment + timedelta(hours=1), force=True
    )
    video = Video.objects.get(owner=creator, platform_video_id=BV1)
    assert outcome.corrections == 1 and outcome.as_dict()["corrections"] == 1
    connection.refresh_from_db()
    assert connection.last_corrections_count == 1
    assert connection.last_corrections == [
        {"video": video.pk, "title": f"Video {BV1}", "field": "views", "before": 1200,
         "after": 1150}
    ]  # fmt: skip
    page = creator_client.get("/settings/connections/").content.decode()
    assert "Bilibili corrected 1 count down in the last sync:" in page
    assert f"views of Video {BV1}: 1,200 → 1,150" in page
    body = token_client(creator).get(f"{API}{connection.pk}/").json()
    assert body["last_corrections_count"] == 1
    assert body["last_corrections"][0]["after"] == 1150

    # a sync without corrections clears them
    platform_connection_sync(connection=connection, now=moment + timedelta(hours=2), force=True)
    connection.refresh_from_db()
    assert connection.last_corrections_count == 0 and connection.last_corrections == []


def test_a_connection_needing_reauthorisation_cannot_be_paused_or_resumed(
    creator, creator_client, other_creator
):
    from django.core.exceptions import ValidationError

    connection = platform_connection_create(owner=creator, platform="bilibili", video_ids=[BV1])
    PlatformConnection.objects.filter(pk=connection.pk).update(status="reauthorise")
    connection.refresh_from_db()
    for paused in (True, False):
        with pytest.raises(ValidationError):
            platform_connection_pause(connection=connection, paused=paused)
    connection.refresh_from_db()
    assert connection.status == "reauthorise"

    response = creator_client.post(f"/settings/connections/platforms/{connection.pk}/pause/",
                                   follow=True)  # fmt: skip
    assert "connect it again first" in response.content.decode()
    connection.refresh_from_db()
    assert connection.status == "reauthorise"

    api = token_client(creator)
    for verb in ("pause", "resume"):
        answer = api.post(f"{API}{connection.pk}/{verb}/")
        assert answer.status_code == 400 and "connect it again" in answer.content.decode()
    connection.refresh_from_db()
    assert connection.status == "reauthorise"
    assert token_client(other_creator).post(f"{API}{connection.pk}/pause/").status_code == 404

    # a working one pauses and resumes through the API
    PlatformConnection.objects.filter(pk=connection.pk).update(status="active")
    assert api.post(f"{API}{connection.pk}/pause/").json()["status"] == "paused"
    assert api.post(f"{API}{connection.pk}/resume/").json()["status"] == "active"


def test_the_cadence_text_follows_the_setting(creator_client, settings):
    page = creator_client.get("/settings/connections/").content.decode()
    assert (
        "hourly until a video is 1 day old, every 6 hours until 7 days, daily until 30 days, "
        "weekly until 90 days, then no more." in page
    )
    settings.PLATFORM_SYNC_CADENCE = [
        (timedelta(hours=12), timedelta(minutes=30)),
        (timedelta(days=3), timedelta(hours=4)),
        (timedelta(days=60), timedelta(days=2)),
    ]
    expected = (
        "every 30 minutes until a video is 12 hours old, every 4 hours until 3 days, "
        "every 2 days until 60 days, then no more."
    )
    assert expected in cadence_text()
    page = creator_client.get("/settings/connections/").content.decode()
    assert expected in page and "hourly" not in page


def test_a_refusal_with_its_own_moment_plans_the_next_run_then_and_is_not_retried(
    creator, httpserver, monkeypatch
):
    reset = (timezone.now() + timedelta(hours=5)).replace(microsecond=0)

    def quota(self, wanted):
        error = PlatformError("The daily quota is used up.", retry=True)
        error.retry_at = reset  # as the platforms' clients set it for a quota reset
        raise error
        yield  # a generator, as the client's

    monkeypatch.setattr(BilibiliClient, "videos", quota)
    connection = platform_connection_create(owner=creator, platform="bilibili", video_ids=[BV1])
    with pytest.raises(PlatformError):
        platform_connection_sync(connection=connection)
    connection.refresh_from_db()
    assert connection.next_run_at == reset and connection.status == "failing"

    retried = []
    monkeypatch.setattr(
        tasks.platform_connection_sync,
        "retry",
        lambda *args, **kwargs: retried.append(kwargs) or RuntimeError("retried"),
    )
    assert tasks.platform_connection_sync(connection.pk) is None
    assert retried == []
    connection.refresh_from_db()
    assert connection.next_run_at == reset

    def temporary(self, wanted):
        raise PlatformError("The platform did not answer in time.", retry=True)
        yield

    monkeypatch.setattr(BilibiliClient, "videos", temporary)
    with pytest.raises(RuntimeError, match="retried"):
        tasks.platform_connection_sync(connection.pk)
    assert len(retried) == 1  # without a moment of its own: retried with backoff
    connection.refresh_from_db()
    assert connection.next_run_at < reset


def test_near_the_one_day_boundary_the_next_run_is_when_the_video_is_due(creator, httpserver):
    """A video 23½ hours old synced now is next due in 6 hours (it is over a day old by the
    time an hour has passed), not in an hour that would wake to nothing due."""
    moment = timezone.now().replace(second=0, microsecond=0)
    pubdate = int((moment - timedelta(hours=23, minutes=30)).timestamp())
    httpserver.expect_request("/x/web-interface/view").respond_with_json(
        bili_view(BV1, pubdate=pubdate)
    )
    connection = platform_connection_create(owner=creator, platform="bilibili", video_ids=[BV1])
    platform_connection_sync(connection=connection, now=moment)
    connection.refresh_from_db()
    assert connection.next_run_at == moment + timedelta(hours=6)
    assert (
        platform_connection_sync(connection=connection, now=moment + timedelta(hours=1)).fetched
        == 0
    )
    assert platform_connection_sync(connection=connection, now=connection.next_run_at).fetched == 1


def test_near_the_seven_day_boundary_too(creator, httpserver):
    moment = timezone.now().replace(second=0, microsecond=0)
    pubdate = int((moment - timedelta(days=6, hours=20)).timestamp())
    httpserver.expect_request("/x/web-interface/view").respond_with_json(
        bili_view(BV1, pubdate=pubdate)
    )
    connection = platform_connection_create(owner=creator, platform="bilibili", video_ids=[BV1])
    platform_connection_sync(connection=connection, now=moment)
    connection.refresh_from_db()
    assert connection.next_run_at == moment + timedelta(days=1)
    assert (
        platform_connection_sync(connection=connection, now=moment + timedelta(hours=6)).fetched
        == 0
    )
    assert platform_connection_sync(connection=connection, now=connection.next_run_at).fetched == 1


def test_a_video_without_a_publish_time_ages_from_when_coursereel_first_saw_it(creator, httpserver):
    httpserver.expect_request("/x/web-interface/view").respond_with_json(bili_view(BV1))
    video = VideoFactory(
        owner=creator, platform=Platform.objects.get(slug="bilibili"), platform_video_id=BV1,
        published_at=None,
    )  # fmt: skip
    Video.objects.filter(pk=video.pk).update(created_at=timezone.now() - timedelta(days=10))
    connection = platform_connection_create(owner=creator, platform="bilibili", video_ids=[BV1])
    moment = timezone.now().replace(second=0, microsecond=0)
    assert platform_connection_sync(connection=connection, now=moment).fetched == 1
    connection.refresh_from_db()
    assert connection.next_run_at == moment + timedelta(days=1)  # daily at 10 days, not hourly
    assert (
        platform_connection_sync(connection=connection, now=moment + timedelta(hours=2)).fetched
        == 0
    )


def test_the_page_and_the_api_read_the_corrections_in_fixed_queries(creator, creator_client):
    """The corrections are stored with their titles: cards and API rows need no query each."""
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for total in (1, 4):
        while PlatformConnection.objects.filter(owner=creator).count() < total:
            made = platform_connection_create(owner=creator, platform="bilibili", video_ids=[BV1])
            PlatformConnection.objects.filter(pk=made.pk).update(
                last_corrections_count=1,
                last_corrections=[{"video": 1, "title": "T", "field": "views", "before": 2,
                                   "after": 1}],
            )  # fmt: skip
        api = token_client(creator)
        with CaptureQueriesContext(db) as page:
            assert b"views of T: 2" in creator_client.get("/settings/connections/").content
        with CaptureQueriesContext(db) as listing:
            assert len(api.get(API).json()["results"]) == total
        counts[total] = (len(page), len(listing))
    # the page: session, user, shop connections, platform connections (courses are lazy);
    # the API list: token, count, rows
    assert counts[1] == counts[4] == (4, 3), counts
