"""The platform clients' refusals against a local HTTP server (pytest-httpserver): error pages
that are not JSON, rate limits and 5xx retried with backoff, a request budget that makes
requests wait, YouTube's daily quota, Kuaishou's two list shapes, and no secret in any log."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime

import pytest
from werkzeug import Response

from connectors.models import PlatformConnection
from connectors.platform_services import (
    oauth_state_new,
    platform_connection_authorise,
    platform_connection_create,
    platform_connection_sync,
)
from connectors.platforms import PlatformError
from connectors.platforms.youtube import YouTubeClient, quota_resets_at
from videos.models import Video, VideoSnapshot

pytestmark = pytest.mark.django_db
BV = [f"BV1xx411c7m{c}" for c in "ABCDEFGH"]
YT = ["dQw4w9WgXcQ", "abcdefghijk"]
HTML = "<html><body><h1>Error</h1><p>request refused</p></body></html>"
YT_KEY = "AIzaSyFAKE-secret-key-0123456789"
KS_TOKEN, KS_REFRESH, KS_SECRET = "ks-access-SECRET-1", "ks-refresh-SECRET-2", "ks-app-SECRET-3"


@pytest.fixture(autouse=True)
def _servers(settings, platform_servers):
    settings.KUAISHOU_APP_SECRET = KS_SECRET  # a secret the log test looks for
    return platform_servers


def html(status):
    return Response(HTML, status=status, content_type="text/html; charset=utf-8")


def as_json(body, status=200, headers=None):
    return Response(json.dumps(body), status=status, content_type="application/json",
                    headers=headers or {})  # fmt: skip


def bili_view(bvid, view=100):
    return {"code": 0, "message": "0", "ttl": 1,
            "data": {"bvid": bvid, "title": f"Video {bvid}", "pubdate": int(time.time()) - 3600,
                     "stat": {"view": view, "like": 1, "reply": 1}}}  # fmt: skip


def yt_items(ids):
    return {"items": [{"id": v, "snippet": {"title": v, "publishedAt": "2026-12-01T10:00:00Z"},
                       "statistics": {"viewCount": "10", "likeCount": "2", "commentCount": "1"}}
                      for v in ids]}  # fmt: skip


def douyin_connection(creator, httpserver):
    httpserver.expect_request("/oauth/access_token/", method="POST").respond_with_json(
        {"data": {"access_token": "dy-at", "refresh_token": "dy-rt", "expires_in": 86400,
                  "open_id": "oid-1", "error_code": 0, "description": ""}}
    )  # fmt: skip
    return platform_connection_authorise(
        owner=creator, platform="douyin", code="c",
        state=oauth_state_new(owner=creator, platform="douyin"),
    )  # fmt: skip


def kuaishou_connection(creator, httpserver):
    httpserver.expect_request("/oauth2/access_token").respond_with_json(
        {"result": 1, "access_token": KS_TOKEN, "expires_in": 172800,
         "refresh_token": KS_REFRESH, "open_id": "ks-open", "scopes": ["user_video_info"]}
    )  # fmt: skip
    return platform_connection_authorise(
        owner=creator, platform="kuaishou", code="c",
        state=oauth_state_new(owner=creator, platform="kuaishou"),
    )  # fmt: skip


def douyin_page(play=900):
    item = {"item_id": "7" + "0" * 18, "title": "抖音", "create_time": 1764547200,
            "statistics": {"play_count": play, "digg_count": 9, "comment_count": 1,
                           "share_count": 0}}  # fmt: skip
    return {"data": {"list": [item], "cursor": 1, "has_more": False, "error_code": 0}}


# --- 1. an error answer that is not JSON is never a success -----------------------------------


def test_bilibili_412_html_is_a_rate_limit_not_a_video_titled_by_its_id(creator, httpserver):
    httpserver.expect_request("/x/web-interface/view").respond_with_handler(lambda r: html(412))
    connection = platform_connection_create(owner=creator, platform="bilibili", video_ids=BV[:1])
    with pytest.raises(PlatformError) as error:
        platform_connection_sync(connection=connection)
    assert error.value.retry and not error.value.reauthorise
    assert "limiting requests" in str(error.value)
    assert len(httpserver.log) == 1  # a 412 ban is not hammered again at once
    assert not Video.objects.filter(owner=creator).exists()
    assert not VideoSnapshot.objects.filter(video__owner=creator).exists()
    connection.refresh_from_db()
    assert connection.status == PlatformConnection.Status.FAILING
    assert connection.last_error_detail["params"] == {"platform": "Bilibili"}


def test_a_json_error_without_the_platforms_own_code_is_refused_too(creator, httpserver):
    httpserver.expect_request("/x/web-interface/view").respond_with_json(
        {"message": "forbidden"}, status=403
    )
    connection = platform_connection_create(owner=creator, platform="bilibili", video_ids=BV[:1])
    with pytest.raises(PlatformError) as error:
        platform_connection_sync(connection=connection)
    assert not error.value.retry and not error.value.reauthorise
    assert "HTTP 403" in str(error.value)
    assert not Video.objects.filter(owner=creator).exists()


def test_youtube_403_html_is_a_refusal_not_every_video_gone(creator, httpserver):
    httpserver.expect_request("/youtube/v3/videos").respond_with_handler(lambda r: html(403))
    connection = platform_connection_create(
        owner=creator, platform="youtube-shorts", api_key=YT_KEY, video_ids=YT
    )
    with pytest.raises(PlatformError) as error:
        platform_connection_sync(connection=connection)
    assert not error.value.retry and not error.value.reauthorise
    assert str(error.value) == ("YouTube Shorts refused the request (HTTP 403) without saying why.")
    connection.refresh_from_db()
    assert not connection.gone and connection.status == PlatformConnection.Status.FAILING
    assert not Video.objects.filter(owner=creator).exists()

    httpserver.clear()
    httpserver.expect_request("/youtube/v3/videos").respond_with_handler(lambda r: html(401))
    with pytest.raises(PlatformError) as error:
        platform_connection_sync(connection=connection, force=True)
    assert error.value.reauthorise and not error.value.retry
    connection.refresh_from_db()
    assert connection.status == PlatformConnection.Status.REAUTHORISE
    assert connection.next_run_at is None


def test_douyin_html_errors_are_not_an_empty_list(creator, httpserver):
    connection = douyin_connection(creator, httpserver)
    httpserver.expect_request("/api/douyin/v1/video/video_list/").respond_with_handler(
        lambda r: html(502)
    )
    with pytest.raises(PlatformError) as error:
        platform_connection_sync(connection=connection)
    assert error.value.retry and "answered 502" in str(error.value)
    listing = [r for r, _ in httpserver.log if r.path.endswith("/video_list/")]
    assert len(listing) == 3  # PLATFORM_HTTP_ATTEMPTS
    connection.refresh_from_db()
    assert connection.status == PlatformConnection.Status.FAILING
    assert connection.last_success_at is None

    httpserver.clear()
    httpserver.expect_request("/api/douyin/v1/video/video_list/").respond_with_handler(
        lambda r: html(401)
    )
    with pytest.raises(PlatformError) as error:
        platform_connection_sync(connection=connection, force=True)
    assert error.value.reauthorise
    assert "connect the account again" in str(error.value)


def test_kuaishou_html_errors_are_refused_in_plain_words(creator, httpserver):
    connection = kuaishou_connection(creator, httpserver)
    httpserver.expect_request("/openapi/photo/list").respond_with_handler(lambda r: html(404))
    with pytest.raises(PlatformError) as error:
        platform_connection_sync(connection=connection)
    assert str(error.value) == "Kuaishou refused the request (HTTP 404) without saying why."
    assert not error.value.retry and not error.value.reauthorise
    assert connection.__class__.objects.get(pk=connection.pk).last_success_at is None

    httpserver.clear()
    httpserver.expect_request("/openapi/photo/list").respond_with_handler(lambda r: html(503))
    with pytest.raises(PlatformError) as error:
        platform_connection_sync(connection=connection, force=True)
    assert error.value.retry and "answered 503" in str(error.value)


# --- 2. no secret in any log, the YouTube key in a header -------------------------------------


def test_no_secret_reaches_a_log_at_debug_and_the_youtube_key_travels_in_a_header(
    creator, httpserver, caplog
):
    caplog.set_level(logging.DEBUG)  # as LOG_LEVEL=DEBUG does: the root logger at DEBUG
    assert logging.getLogger("urllib3").getEffectiveLevel() == logging.WARNING
    httpserver.expect_request(
        "/youtube/v3/videos", headers={"X-goog-api-key": YT_KEY}
    ).respond_with_json(yt_items(YT))
    youtube = platform_connection_create(
        owner=creator, platform="youtube-shorts", api_key=YT_KEY, video_ids=YT
    )
    assert platform_connection_sync(connection=youtube).fetched == 2
    request = httpserver.log[-1][0]
    assert "key" not in request.args and YT_KEY not in request.full_path

    kuaishou = kuaishou_connection(creator, httpserver)
    httpserver.expect_request("/openapi/photo/list").respond_with_json(
        {"result": 1, "video_list": [{"photo_id": "p1", "caption": "x", "view_count": 3}]}
    )
    assert platform_connection_sync(connection=kuaishou).fetched == 1
    assert httpserver.log[-1][0].args["access_token"] == KS_TOKEN  # the API takes it there

    # (werkzeug's records are the fake platform's own access log, not CourseReel's)
    ours = [record for record in caplog.records if record.name != "werkzeug"]
    logged = "\n".join(f"{record.name} {record.getMessage()} {record.args!r}" for record in ours)
    assert ours  # the sync logged something, and none of it is a secret
    for secret in (YT_KEY, KS_TOKEN, KS_REFRESH, KS_SECRET):
        assert secret not in logged

    # Even with urllib3 itself at DEBUG (its URLs logged), the YouTube key is in no URL.
    caplog.clear()
    caplog.set_level(logging.DEBUG, logger="urllib3")
    platform_connection_sync(connection=youtube, force=True)
    urls = [r.getMessage() for r in caplog.records if r.name.startswith("urllib3")]
    assert any("/youtube/v3/videos" in url for url in urls)
    assert not any(YT_KEY in url for url in urls)


# --- 3. rate limits, 5xx and the request budget -------------------------------------------------


def flaky(*failures, then):
    """A handler answering each of ``failures`` (statuses) once, then ``then`` (JSON)."""
    calls = []

    def handler(request):
        calls.append(request)
        if len(calls) <= len(failures):
            return Response("busy", status=failures[len(calls) - 1])
        return as_json(then)

    handler.calls = calls
    return handler


def test_douyin_429_is_retried_and_its_rate_codes_say_limiting(creator, httpserver):
    connection = douyin_connection(creator, httpserver)
    handler = flaky(429, then=douyin_page())
    httpserver.expect_request("/api/douyin/v1/video/video_list/").respond_with_handler(handler)
    assert platform_connection_sync(connection=connection).fetched == 1
    assert len(handler.calls) == 2
    connection.refresh_from_db()
    assert connection.rate_limit_waits == 1 and connection.status == "active"

    # 28003018 too many requests, 28003017 quota used up (状态码排查工具)
    for code in (28003018, 28003017):
        httpserver.clear()
        httpserver.expect_request("/api/douyin/v1/video/video_list/").respond_with_json(
            {"data": {"error_code": code, "description": "too many requests"}}
        )
        with pytest.raises(PlatformError) as error:
            platform_connection_sync(connection=connection, force=True)
        assert error.value.retry and not error.value.reauthorise
        assert str(error.value) == "Douyin is limiting requests; the next sync tries again."
        assert len(httpserver.log) == 1

    httpserver.clear()
    httpserver.expect_request("/api/douyin/v1/video/video_list/").respond_with_handler(
        lambda r: Response("slow down", status=429)
    )
    with pytest.raises(PlatformError) as error:
        platform_connection_sync(connection=connection, force=True)
    assert error.value.retry and "limiting requests" in str(error.value)
    assert len(httpserver.log) == 3


def test_kuaishou_429_is_retried_and_a_persistent_one_says_limiting(creator, httpserver):
    # Kuaishou documents no rate-limit result code for these calls (see kuaishou.py): its rate
    # limit is HTTP 429, and its internal error (100200500) is retried at the next sync.
    connection = kuaishou_connection(creator, httpserver)
    handler = flaky(429, 429, then={"result": 1, "video_list": [{"photo_id": "p1"}]})
    httpserver.expect_request("/openapi/photo/list").respond_with_handler(handler)
    assert platform_connection_sync(connection=connection).fetched == 1
    assert len(handler.calls) == 3
    connection.refresh_from_db()
    assert connection.rate_limit_waits == 2

    httpserver.clear()
    httpserver.expect_request("/openapi/photo/list").respond_with_handler(
        lambda r: as_json({"result": 0, "error_msg": "rate"}, status=429)
    )
    with pytest.raises(PlatformError) as error:
        platform_connection_sync(connection=connection, force=True)
    assert error.value.retry
    assert str(error.value) == "Kuaishou is limiting requests; the next sync tries again."
    connection.refresh_from_db()
    assert connection.status == "failing" and connection.rate_limit_waits == 4

    httpserver.clear()
    httpserver.expect_request("/openapi/photo/list").respond_with_json(
        {"result": 100200500, "error_msg": "internal"}
    )
    with pytest.raises(PlatformError) as error:
        platform_connection_sync(connection=connection, force=True)
    assert error.value.retry and "internal error" in str(error.value)


def test_youtube_429_and_503_then_success_back_off_and_jitter(creator, httpserver, monkeypatch):
    slept = []
    real_sleep = time.sleep
    monkeypatch.setattr(
        "connectors.platforms.time.sleep", lambda s: (slept.append(s), real_sleep(s))
    )
    handler = flaky(429, 503, then=yt_items(YT))
    httpserver.expect_request("/youtube/v3/videos").respond_with_handler(handler)
    connection = platform_connection_create(
        owner=creator, platform="youtube-shorts", api_key=YT_KEY, video_ids=YT
    )
    outcome = platform_connection_sync(connection=connection)
    assert outcome.fetched == 2 and len(handler.calls) == 3
    # PLATFORM_BACKOFF_SECONDS (0.01) × 2**attempt × a jitter of 0.5–1.5
    assert len(slept) == 2
    assert 0.005 <= slept[0] <= 0.015 and 0.01 <= slept[1] <= 0.03
    connection.refresh_from_db()
    assert connection.rate_limit_waits == 1  # the 429; a 503 is not a rate limit
    assert connection.status == "active"


def test_a_request_budget_makes_requests_wait(creator, httpserver, settings):
    settings.PLATFORM_RATE_PER_SECOND = {"bilibili": 5}
    for bvid in BV:
        httpserver.expect_request(
            "/x/web-interface/view", query_string=f"bvid={bvid}"
        ).respond_with_json(bili_view(bvid))
    connection = platform_connection_create(owner=creator, platform="bilibili", video_ids=BV)
    time.sleep(1.02 - time.time() % 1)  # start at a fresh second: 8 requests, 5 a second
    outcome = platform_connection_sync(connection=connection, force=True)
    assert outcome.fetched == 8 and outcome.rate_limit_waits >= 1
    connection.refresh_from_db()
    assert connection.rate_limit_waits == outcome.rate_limit_waits
    assert 0 < connection.rate_limit_wait_seconds <= outcome.rate_limit_waits * 1.0


# --- 4. Kuaishou's two list shapes ---------------------------------------------------------------


@pytest.mark.parametrize("shape", ["video_list", "data", "data.video_list"])
def test_kuaishou_reads_its_photos_from_either_list_shape(creator, httpserver, shape):
    rows = [{"photo_id": "p1", "caption": "快手", "create_time": 1764547200000,
             "view_count": 50, "like_count": 5, "comment_count": 1}]  # fmt: skip
    body = {
        "video_list": {"result": 1, "video_list": rows},
        "data": {"result": 1, "data": rows},
        "data.video_list": {"result": 1, "data": {"video_list": rows}},
    }[shape]
    connection = kuaishou_connection(creator, httpserver)
    httpserver.expect_request("/openapi/photo/list").respond_with_json(body)
    assert platform_connection_sync(connection=connection).fetched == 1
    snap = VideoSnapshot.objects.get(video__owner=creator, video__platform_video_id="p1")
    assert (snap.views, snap.likes, snap.comments) == (50, 5, 1)


# --- 5. YouTube's daily quota ------------------------------------------------------------------


def test_youtube_quota_is_not_retried_and_says_when_it_resets(httpserver):
    for reason in ("quotaExceeded", "dailyLimitExceeded"):
        httpserver.clear()
        httpserver.expect_request("/youtube/v3/videos").respond_with_json(
            {"error": {"code": 403, "message": "quota", "errors": [{"reason": reason}]}},
            status=403,
        )
        before = datetime.now(UTC)
        with pytest.raises(PlatformError) as error:
            list(YouTubeClient(api_key=YT_KEY).videos(YT))
        after = datetime.now(UTC)
        assert not error.value.retry and not error.value.reauthorise
        assert error.value.retry_at in {quota_resets_at(before), quota_resets_at(after)}
        assert error.value.retry_at > after
        assert "midnight Pacific" in str(error.value)
        assert len(httpserver.log) == 1  # no call spent on an exhausted key

    # a per-second rate limit is retried at the next sync, with no reset time
    httpserver.clear()
    httpserver.expect_request("/youtube/v3/videos").respond_with_json(
        {"error": {"code": 403, "message": "rate", "errors": [{"reason": "rateLimitExceeded"}]}},
        status=403,
    )
    with pytest.raises(PlatformError) as error:
        list(YouTubeClient(api_key=YT_KEY).videos(YT))
    assert error.value.retry and error.value.retry_at is None


@pytest.mark.parametrize(
    "now, resets",
    [
        # 04:00 PST on 3 December → midnight PST (UTC−8) on the 4th
        ("2026-12-03T12:00:00+00:00", "2026-12-04T08:00:00+00:00"),
        # 23:30 PST on 7 March, the night clocks go forward → midnight PST on the 8th
        ("2026-03-08T07:30:00+00:00", "2026-03-08T08:00:00+00:00"),
        # 05:00 PDT on 8 March → midnight PDT (UTC−7) on the 9th
        ("2026-03-08T12:00:00+00:00", "2026-03-09T07:00:00+00:00"),
        # exactly midnight Pacific → the next one, a day later
        ("2026-07-01T07:00:00+00:00", "2026-07-02T07:00:00+00:00"),
    ],
)
def test_youtube_quota_resets_at_the_next_midnight_in_los_angeles(now, resets):
    assert quota_resets_at(datetime.fromisoformat(now)) == datetime.fromisoformat(resets)
