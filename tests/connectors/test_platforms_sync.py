"""Platform connections against local HTTP servers answering the documented JSON shapes:
Bilibili, YouTube, Douyin and Kuaishou; errors, 429 with retry, paging, token refresh, a
revoked token; tenant isolation; an idempotent double sync; the page's cards."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from werkzeug import Response

from connectors.models import PlatformConnection
from connectors.platform_services import (
    cadence_interval,
    oauth_state_new,
    platform_connection_authorise,
    platform_connection_create,
    platform_connection_sync,
)
from connectors.platforms import PlatformError
from tests.api.conftest import token_client
from videos.models import Video, VideoSnapshot

pytestmark = pytest.mark.django_db
API = "/api/v1/platform-connections/"
BV1, BV2 = "BV1xx411c7mD", "BV1GJ411x7h7"


@pytest.fixture(autouse=True)
def _servers(platform_servers):
    return platform_servers


def bili_view(bvid, view=100, like=10, code=0, pubdate=None):
    pubdate = int(time.time()) - 7200 if pubdate is None else pubdate
    if code:
        return {"code": code, "message": "error", "ttl": 1}
    return {
        "code": 0, "message": "0", "ttl": 1,
        "data": {"bvid": bvid, "aid": 1, "title": f"Video {bvid}", "pubdate": pubdate,
                 "stat": {"aid": 1, "view": view, "danmaku": 3, "reply": 4, "favorite": 5,
                          "coin": 6, "share": 7, "like": like}},
    }  # fmt: skip


def test_bilibili_by_bv_ids_creates_the_videos_and_stores_one_snapshot_each(creator, httpserver):
    httpserver.expect_request(
        "/x/web-interface/view", query_string=f"bvid={BV1}"
    ).respond_with_json(bili_view(BV1, view=1234))
    httpserver.expect_request(
        "/x/web-interface/view", query_string=f"bvid={BV2}"
    ).respond_with_json(bili_view(BV2, code=-404))
    connection = platform_connection_create(
        owner=creator, platform="bilibili", video_ids=[BV1, BV2]
    )
    outcome = platform_connection_sync(connection=connection)
    assert outcome.fetched == 1 and outcome.videos_created == 1 and outcome.gone == [BV2]
    video = Video.objects.get(owner=creator, platform_video_id=BV1)
    assert video.status == "published" and video.title == f"Video {BV1}"
    snap = VideoSnapshot.objects.get(video=video)
    assert (snap.views, snap.likes, snap.comments, snap.saves, snap.coins, snap.shares,
            snap.danmaku) == (1234, 10, 4, 5, 6, 7, 3)  # fmt: skip
    assert snap.source == "connector" and snap.observed_at.second == 0
    connection.refresh_from_db()
    assert connection.status == "active" and connection.last_success_at
    assert connection.snapshots_stored == 1 and connection.videos_created == 1
    assert BV2 in connection.gone and connection.next_run_at is not None


def test_two_syncs_in_the_same_minute_store_one_snapshot(creator, httpserver):
    httpserver.expect_request("/x/web-interface/view").respond_with_json(bili_view(BV1))
    connection = platform_connection_create(owner=creator, platform="bilibili", video_ids=[BV1])
    moment = timezone.now().replace(second=5)
    platform_connection_sync(connection=connection, now=moment, force=True)
    again = platform_connection_sync(
        connection=connection, now=moment + timedelta(seconds=30), force=True
    )
    assert again.snapshots_stored == 0 and again.videos_created == 0
    assert VideoSnapshot.objects.filter(video__owner=creator).count() == 1
    assert Video.objects.filter(owner=creator).count() == 1


def test_bilibili_rate_limit_code_is_a_plain_error_and_429_is_retried(creator, httpserver):
    calls = {"n": 0}

    def flaky(request):
        calls["n"] += 1
        if calls["n"] == 1:
            return Response("slow down", status=429, headers={"Retry-After": "0"})
        return Response(__import__("json").dumps(bili_view(BV1)), content_type="application/json")

    httpserver.expect_request("/x/web-interface/view").respond_with_handler(flaky)
    connection = platform_connection_create(owner=creator, platform="bilibili", video_ids=[BV1])
    outcome = platform_connection_sync(connection=connection)
    assert outcome.fetched == 1 and calls["n"] == 2
    connection.refresh_from_db()
    assert connection.rate_limit_waits == 1

    httpserver.clear()
    httpserver.expect_request("/x/web-interface/view").respond_with_json(bili_view(BV1, code=-412))
    with pytest.raises(PlatformError) as error:
        platform_connection_sync(connection=connection, force=True)
    assert error.value.retry
    connection.refresh_from_db()
    assert connection.status == "failing" and "limiting" in connection.last_error
    assert connection.next_run_at > timezone.now()


def test_bilibili_by_uploader_pages_through_the_videos(creator, httpserver):
    def page(request):
        # The documented listing of an uploader's videos; no WBI signature is sent or needed.
        assert request.args["mid"] == "12345" and request.args["keywords"] == ""
        assert "w_rid" not in request.args and "wts" not in request.args
        pn, ps = int(request.args["pn"]), int(request.args["ps"])
        assert ps <= 100
        bvid, title, pubdate = (BV1, "one", 1764547200) if pn == 1 else (BV2, "two", 1764550800)
        archives = [{"aid": pn, "bvid": bvid, "title": title, "pubdate": pubdate,
                     "stat": {"view": 9}}]  # fmt: skip
        # page.size 1 so that the two videos take two pages
        body = {
            "code": 0,
            "data": {"archives": archives, "page": {"num": pn, "size": 1, "total": 2}},
        }
        return Response(__import__("json").dumps(body), content_type="application/json")

    httpserver.expect_request("/x/series/recArchivesByKeywords").respond_with_handler(page)
    httpserver.expect_request(
        "/x/web-interface/view", query_string=f"bvid={BV1}"
    ).respond_with_json(bili_view(BV1))
    httpserver.expect_request(
        "/x/web-interface/view", query_string=f"bvid={BV2}"
    ).respond_with_json(bili_view(BV2))
    connection = platform_connection_create(owner=creator, platform="bilibili", account_id="12345")
    outcome = platform_connection_sync(connection=connection)
    assert outcome.fetched == 2 and outcome.videos_created == 2
    assert set(Video.objects.filter(owner=creator).values_list("platform_video_id", flat=True)) == {
        BV1,
        BV2,
    }


YT = ["dQw4w9WgXcQ", "abcdefghijk"]


def test_youtube_videos_list_reads_the_string_counts(creator, httpserver):
    httpserver.expect_request("/youtube/v3/videos").respond_with_json({
        "kind": "youtube#videoListResponse",
        "items": [{"id": YT[0],
                   "snippet": {"title": "Short", "publishedAt": "2026-12-01T10:00:00Z"},
                   "statistics": {"viewCount": "5000", "likeCount": "300", "commentCount": "12"}}],
    })  # fmt: skip
    connection = platform_connection_create(
        owner=creator, platform="youtube-shorts", api_key="AIzaSECRET1234", video_ids=YT
    )
    outcome = platform_connection_sync(connection=connection)
    request = httpserver.log[0][0]
    assert request.args["id"] == ",".join(YT) and "key" not in request.args
    assert request.headers["X-goog-api-key"] == "AIzaSECRET1234"
    assert outcome.fetched == 1 and outcome.gone == [YT[1]]
    snap = VideoSnapshot.objects.get(video__platform_video_id=YT[0])
    assert (snap.views, snap.likes, snap.comments, snap.shares) == (5000, 300, 12, None)


def test_youtube_channel_uploads_page_and_quota_and_bad_key(creator, httpserver):
    channel = "UC" + "x" * 22
    httpserver.expect_request("/youtube/v3/channels").respond_with_json(
        {"items": [{"contentDetails": {"relatedPlaylists": {"uploads": "UUx"}}}]}
    )

    def items(request):
        token = request.args.get("pageToken")
        vid = YT[1] if token else YT[0]
        body = {
            "items": [
                {
                    "contentDetails": {"videoId": vid, "videoPublishedAt": "2026-12-01T10:00:00Z"},
                    "snippet": {"title": vid},
                }
            ]
        }
        if not token:
            body["nextPageToken"] = "p2"
        return Response(__import__("json").dumps(body), content_type="application/json")

    httpserver.expect_request("/youtube/v3/playlistItems").respond_with_handler(items)
    httpserver.expect_request("/youtube/v3/videos").respond_with_json({"items": [
        {"id": v, "snippet": {"title": v, "publishedAt": "2026-12-01T10:00:00Z"},
         "statistics": {"viewCount": "1", "likeCount": "1", "commentCount": "1"}}
        for v in YT]})  # fmt: skip
    connection = platform_connection_create(
        owner=creator, platform="youtube-shorts", api_key="k3y", account_id=channel
    )
    assert platform_connection_sync(connection=connection).fetched == 2

    httpserver.clear()
    httpserver.expect_request("/youtube/v3/videos").respond_with_json(
        {"error": {"code": 403, "message": "quota", "errors": [{"reason": "quotaExceeded"}]}},
        status=403,
    )
    connection.account_id = ""
    connection.video_ids = YT
    connection.save()
    with pytest.raises(PlatformError):
        platform_connection_sync(connection=connection, force=True)
    connection.refresh_from_db()
    assert connection.status == "failing" and "quota" in connection.last_error

    httpserver.clear()
    httpserver.expect_request("/youtube/v3/videos").respond_with_json(
        {
            "error": {
                "code": 400,
                "message": "API key not valid.",
                "errors": [{"reason": "badRequest"}],
            }
        },
        status=400,
    )
    with pytest.raises(PlatformError):
        platform_connection_sync(connection=connection, force=True)
    connection.refresh_from_db()
    assert connection.status == "reauthorise" and connection.next_run_at is None


def douyin_tokens(access="at1", refresh="rt1", expires=86400):
    return {"data": {"access_token": access, "refresh_token": refresh, "expires_in": expires,
                     "open_id": "oid-1", "scope": "video.list.bind", "error_code": 0,
                     "description": ""}, "message": "success"}  # fmt: skip


def test_douyin_oauth_then_video_list_with_token_refresh_and_revocation(creator, httpserver):
    httpserver.expect_request("/oauth/access_token/", method="POST").respond_with_json(
        douyin_tokens()
    )
    state = oauth_state_new(owner=creator, platform="douyin")
    connection = platform_connection_authorise(
        owner=creator, platform="douyin", code="c0de", state=state
    )
    assert connection.open_id == "oid-1" and connection.access_token == "at1"

    def video_list(request):
        token = request.headers.get("access-token")
        if token == "at1":
            body = {"data": {"error_code": 2190008, "description": "access_token expired"}}
        else:
            cursor = int(request.args["cursor"])
            item = {
                "item_id": f"7{cursor:018d}",
                "title": "抖音",
                "create_time": 1764547200,
                "statistics": {
                    "play_count": 900,
                    "digg_count": 90,
                    "comment_count": 9,
                    "share_count": 3,
                    "forward_count": 1,
                    "download_count": 0,
                },
            }
            body = {"data": {"list": [item], "cursor": cursor + 1, "has_more": cursor == 0,
                             "error_code": 0}}  # fmt: skip
        return Response(__import__("json").dumps(body), content_type="application/json")

    httpserver.expect_request("/api/douyin/v1/video/video_list/").respond_with_handler(video_list)
    httpserver.expect_request("/oauth/refresh_token/", method="POST").respond_with_json(
        douyin_tokens(access="at2", refresh="rt2")
    )
    outcome = platform_connection_sync(connection=connection)
    assert outcome.fetched == 2 and outcome.videos_created == 2
    connection.refresh_from_db()
    assert connection.access_token == "at2" and connection.refresh_token == "rt2"
    assert VideoSnapshot.objects.filter(video__owner=creator, views=900, likes=90).count() == 2

    httpserver.clear()
    httpserver.expect_request("/api/douyin/v1/video/video_list/").respond_with_json(
        {"data": {"error_code": 2190008, "description": "expired"}}
    )
    httpserver.expect_request("/oauth/refresh_token/", method="POST").respond_with_json(
        {"data": {"error_code": 10010, "description": "refresh_token expired"}}
    )
    with pytest.raises(PlatformError) as error:
        platform_connection_sync(connection=connection, force=True)
    assert error.value.reauthorise and not error.value.retry
    connection.refresh_from_db()
    assert connection.status == "reauthorise" and connection.next_run_at is None
    assert "connect the account again" in connection.last_error


def test_douyin_refreshes_before_expiry_and_a_bad_state_is_refused(
    creator, other_creator, httpserver
):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        platform_connection_authorise(
            owner=creator, platform="douyin", code="x",
            state=oauth_state_new(owner=other_creator, platform="douyin"),
        )  # fmt: skip
    httpserver.expect_request("/oauth/access_token/", method="POST").respond_with_json(
        douyin_tokens(expires=60)
    )
    connection = platform_connection_authorise(
        owner=creator,
        platform="douyin",
        code="c",
        state=oauth_state_new(owner=creator, platform="douyin"),
    )
    httpserver.expect_request("/oauth/refresh_token/", method="POST").respond_with_json(
        douyin_tokens(access="fresh")
    )
    httpserver.expect_request(
        "/api/douyin/v1/video/video_list/", headers={"access-token": "fresh"}
    ).respond_with_json({"data": {"list": [], "cursor": 0, "has_more": False, "error_code": 0}})
    platform_connection_sync(connection=connection)
    connection.refresh_from_db()
    assert (
        connection.access_token == "fresh"
        and connection.token_expires_at > timezone.now() + timedelta(hours=1)
    )


def test_kuaishou_oauth_and_photo_list_paging(creator, httpserver, monkeypatch):
    monkeypatch.setattr("connectors.platforms.kuaishou.PAGE_SIZE", 1)
    httpserver.expect_request("/oauth2/access_token").respond_with_json(
        {"result": 1, "access_token": "ka1", "expires_in": 172800, "refresh_token": "kr1",
         "refresh_token_expires_in": 15552000, "open_id": "ks-open", "scopes": ["user_video_info"]}
    )  # fmt: skip
    connection = platform_connection_authorise(
        owner=creator,
        platform="kuaishou",
        code="c",
        state=oauth_state_new(owner=creator, platform="kuaishou"),
    )

    def photos(request):
        cursor = request.args.get("cursor")
        data = (
            []
            if cursor == "p2"
            else [
                {
                    "photo_id": "p2" if cursor else "p1",
                    "caption": "快手",
                    "create_time": 1764547200000,
                    "view_count": 50,
                    "like_count": 5,
                    "comment_count": 1,
                }
            ]
        )
        return Response(
            __import__("json").dumps({"result": 1, "video_list": data}),
            content_type="application/json",
        )

    httpserver.expect_request("/openapi/photo/list").respond_with_handler(photos)
    outcome = platform_connection_sync(connection=connection)
    assert outcome.fetched == 2
    video = Video.objects.get(owner=creator, platform_video_id="p1")
    assert video.published_at.year == 2025 or video.published_at.year == 2026
    assert VideoSnapshot.objects.get(video=video).views == 50


def test_kuaishou_expired_token_is_refreshed_and_a_cancelled_one_asks_to_reconnect(
    creator, httpserver
):
    # The codes of Kuaishou's 错误码 page: 100200108 access_token expired, 100200109 the user
    # cancelled the app's authorisation.
    httpserver.expect_request("/oauth2/access_token").respond_with_json(
        {"result": 1, "access_token": "ka1", "expires_in": 172800, "refresh_token": "kr1",
         "open_id": "ks-open", "scopes": ["user_video_info"]}
    )  # fmt: skip
    connection = platform_connection_authorise(
        owner=creator,
        platform="kuaishou",
        code="c",
        state=oauth_state_new(owner=creator, platform="kuaishou"),
    )
    httpserver.expect_request("/oauth2/refresh_token").respond_with_json(
        {"result": 1, "access_token": "ka2", "expires_in": 172800, "refresh_token": "kr2",
         "open_id": "ks-open", "scopes": ["user_video_info"]}
    )  # fmt: skip

    def photos(request):
        if request.args["access_token"] == "ka1":
            body = {"result": 100200108, "error_msg": "access_token过期"}
        else:
            row = {"photo_id": "p1", "caption": "x", "view_count": 7}
            body = {"result": 1, "video_list": [row]}
        return Response(__import__("json").dumps(body), content_type="application/json")

    httpserver.expect_request("/openapi/photo/list").respond_with_handler(photos)
    assert platform_connection_sync(connection=connection).fetched == 1

    httpserver.clear()
    httpserver.expect_request("/openapi/photo/list").respond_with_json(
        {"result": 100200109, "error_msg": "用户取消该 app 授权"}
    )
    with pytest.raises(PlatformError) as error:
        platform_connection_sync(connection=connection, force=True)
    assert error.value.reauthorise and not error.value.retry


def test_cadence_by_age():
    assert cadence_interval(timedelta(hours=3)) == timedelta(hours=1)
    assert cadence_interval(timedelta(days=3)) == timedelta(hours=6)
    assert cadence_interval(timedelta(days=20)) == timedelta(days=1)
    assert cadence_interval(timedelta(days=60)) == timedelta(days=7)
    assert cadence_interval(timedelta(days=91)) is None


def test_a_due_sync_skips_videos_not_due(creator, httpserver):
    httpserver.expect_request("/x/web-interface/view").respond_with_json(
        bili_view(BV1, pubdate=1764547200)
    )
    connection = platform_connection_create(owner=creator, platform="bilibili", video_ids=[BV1])
    first = timezone.now()
    platform_connection_sync(connection=connection, now=first)
    # published 2025-12-01: older than 90 days → no further scheduled syncs
    connection.refresh_from_db()
    assert connection.next_run_at is None
    assert (
        platform_connection_sync(connection=connection, now=first + timedelta(hours=2)).fetched == 0
    )
    assert platform_connection_sync(connection=connection, force=True).fetched == 1


def test_api_is_owner_scoped_and_never_shows_the_key(creator, other_creator):
    api = token_client(creator)
    response = api.post(API, {"platform": "youtube-shorts", "api_key": "AIzaVERYSECRET9876",
                              "video_ids": YT}, format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert "AIzaVERYSECRET9876" not in response.content.decode() and body["secret_hint"] == "…9876"
    pk = body["id"]
    other = token_client(other_creator)
    assert other.get(f"{API}{pk}/").status_code == 404
    assert other.delete(f"{API}{pk}/").status_code == 404
    assert other.post(f"{API}{pk}/sync/").status_code == 404
    assert other.get(API).json()["count"] == 0
    assert api.get(API).json()["count"] == 1
    bad = api.post(API, {"platform": "bilibili", "video_ids": ["nope"]}, format="json")
    assert bad.status_code == 400
    assert (
        api.post(API, {"platform": "bilibili", "account_id": "123"}, format="json").status_code
        == 201
    )
    assert api.delete(f"{API}{pk}/").status_code == 204
    assert not PlatformConnection.objects.filter(pk=pk).exists()


def test_the_page_shows_platform_cards(creator, creator_client, other_creator):
    mine = platform_connection_create(owner=creator, platform="bilibili", video_ids=[BV1])
    mine.last_error = "Bilibili is limiting requests"
    mine.rate_limit_waits = 3
    mine.save()
    theirs = platform_connection_create(owner=other_creator, platform="bilibili", video_ids=[BV2])
    page = creator_client.get("/settings/connections/").content.decode()
    assert f'data-testid="platform-{mine.pk}"' in page and f"platform-{theirs.pk}" not in page
    assert "Bilibili is limiting requests" in page and BV2 not in page


def test_a_young_video_is_synced_hourly_and_beat_fans_out_only_due_connections(
    creator, other_creator, httpserver, monkeypatch
):
    from connectors import tasks

    httpserver.expect_request("/x/web-interface/view").respond_with_json(bili_view(BV1))
    connection = platform_connection_create(owner=creator, platform="bilibili", video_ids=[BV1])
    first = timezone.now()
    platform_connection_sync(connection=connection, now=first)
    connection.refresh_from_db()
    assert timedelta(minutes=59) <= connection.next_run_at - first <= timedelta(minutes=61)
    assert (
        platform_connection_sync(connection=connection, now=first + timedelta(minutes=20)).fetched
        == 0
    )
    assert (
        platform_connection_sync(connection=connection, now=first + timedelta(minutes=61)).fetched
        == 1
    )

    paused = platform_connection_create(owner=other_creator, platform="bilibili", video_ids=[BV2])
    paused.status = PlatformConnection.Status.PAUSED
    paused.save()
    due = platform_connection_create(owner=other_creator, platform="bilibili", video_ids=[BV2])
    queued = []
    monkeypatch.setattr(tasks.platform_connection_sync, "delay", lambda pk: queued.append(pk))
    assert tasks.platform_connections_sync_due() == 1 and queued == [due.pk]


def test_another_creators_platform_pages_answer_404(creator, other_creator, client):
    connection = platform_connection_create(owner=creator, platform="bilibili", video_ids=[BV1])
    client.force_login(other_creator)
    base = "/settings/connections/platforms"
    for action in ("sync", "pause", "delete"):
        assert client.post(f"{base}/{connection.pk}/{action}/").status_code == 404
    connection.refresh_from_db()
    assert connection.status == "active"


def test_the_oauth_callback_connects_only_with_a_signed_state(creator, creator_client, httpserver):
    httpserver.expect_request("/oauth2/access_token").respond_with_json(
        {"result": 1, "access_token": "ka1", "expires_in": 172800, "refresh_token": "kr1",
         "open_id": "ks-open"}
    )  # fmt: skip
    url = "/settings/connections/kuaishou/callback/"
    creator_client.get(url, {"code": "c", "state": "forged"})
    assert not PlatformConnection.objects.exists()
    state = oauth_state_new(owner=creator, platform="kuaishou")
    assert creator_client.get(url, {"code": "c", "state": state}).status_code == 302
    connection = PlatformConnection.objects.get(owner=creator)
    assert connection.platform.slug == "kuaishou" and connection.secret_hint == "…"
    start = creator_client.post("/settings/connections/kuaishou/authorise/")
    assert start.status_code == 302 and "state=" in start["Location"]


def test_sync_now_goes_through_the_service_and_queues_after_commit(
    creator, creator_client, other_creator, monkeypatch, django_capture_on_commit_callbacks
):
    from connectors import tasks

    queued = []
    monkeypatch.setattr(tasks.platform_connection_sync, "delay", lambda *args: queued.append(args))
    connection = platform_connection_create(owner=creator, platform="bilibili", video_ids=[BV1])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        page = creator_client.post(f"/settings/connections/platforms/{connection.pk}/sync/")
    assert page.status_code == 302 and len(callbacks) == 1
    assert queued == [(connection.pk, True)]
    api = token_client(creator)
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"{API}{connection.pk}/sync/").status_code == 202
    assert queued == [(connection.pk, True)] * 2
    # another creator's connection: not found, nothing queued
    with django_capture_on_commit_callbacks(execute=True):
        assert token_client(other_creator).post(f"{API}{connection.pk}/sync/").status_code == 404
    assert len(queued) == 2
    # a revoked authorisation: refused in plain words, nothing queued
    connection.status = PlatformConnection.Status.REAUTHORISE
    connection.save()
    with django_capture_on_commit_callbacks(execute=True):
        refused = api.post(f"{API}{connection.pk}/sync/")
        followed = creator_client.post(
            f"/settings/connections/platforms/{connection.pk}/sync/", follow=True
        )
    assert refused.status_code == 400 and "connect it again" in refused.content.decode()
    assert "connect it again" in followed.content.decode()
    assert len(queued) == 2


def test_the_last_error_is_shown_in_the_readers_language(creator, httpserver):
    """The sync runs in the worker's language; the page and the API show its error in theirs."""
    from django.utils import translation

    httpserver.expect_request("/x/web-interface/view").respond_with_json(bili_view(BV1, code=-412))
    connection = platform_connection_create(owner=creator, platform="bilibili", video_ids=[BV1])
    with translation.override("en"), pytest.raises(PlatformError):
        platform_connection_sync(connection=connection)
    connection = PlatformConnection.objects.select_related("platform").get(pk=connection.pk)
    assert "limiting requests" in connection.last_error  # as the worker wrote it
    assert connection.last_error_detail["params"] == {"code": -412}
    with translation.override("zh-hans"):
        chinese = connection.last_error_text
    assert "-412" in chinese and "limiting" not in chinese and chinese != connection.last_error
    api = token_client(creator)
    body = api.get(f"{API}{connection.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert body["last_error"] == chinese
    body = api.get(f"{API}{connection.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert "limiting requests" in body["last_error"]
    # a later success clears both
    httpserver.clear()
    httpserver.expect_request("/x/web-interface/view").respond_with_json(bili_view(BV1))
    platform_connection_sync(connection=connection, force=True)
    connection.refresh_from_db()
    assert connection.last_error == "" and connection.last_error_detail == {}


def test_a_refusal_mid_sync_keeps_the_chunks_stored_before_it(creator, httpserver, settings):
    """Chunks are stored while the next ones are fetched (a reader thread); the quota running
    out on the third request keeps the first two chunks and records the refusal."""
    import threading

    settings.PLATFORM_SYNC_CHUNK_VIDEOS = 50
    ids = [f"{n:011d}" for n in range(150)]
    calls = {"n": 0}

    def videos(request):
        calls["n"] += 1
        if calls["n"] == 3:
            body = {"error": {"code": 403, "message": "quota",
                              "errors": [{"reason": "quotaExceeded"}]}}  # fmt: skip
            return Response(__import__("json").dumps(body), status=403,
                            content_type="application/json")  # fmt: skip
        items = [{"id": vid, "snippet": {"title": vid, "publishedAt": "2026-12-01T10:00:00Z"},
                  "statistics": {"viewCount": "10", "likeCount": "1", "commentCount": "0"}}
                 for vid in request.args["id"].split(",")]  # fmt: skip
        return Response(__import__("json").dumps({"items": items}), content_type="application/json")

    httpserver.expect_request("/youtube/v3/videos").respond_with_handler(videos)
    before = threading.active_count()
    connection = platform_connection_create(
        owner=creator, platform="youtube-shorts", api_key="AIzaKEY", video_ids=ids
    )
    with pytest.raises(PlatformError):
        platform_connection_sync(connection=connection)
    connection.refresh_from_db()
    assert VideoSnapshot.objects.filter(video__owner=creator).count() == 100
    assert Video.objects.filter(owner=creator).count() == 100
    assert len(connection.synced_at) == 100 and set(connection.synced_at) == set(ids[:100])
    assert connection.snapshots_stored == 100 and connection.status == "failing"
    assert "quota" in connection.last_error
    assert threading.active_count() == before  # the reader thread has ended
    # the next sync asks only for what is due: the 50 not yet synced
    httpserver.clear()
    calls["n"] = 10
    httpserver.expect_request("/youtube/v3/videos").respond_with_handler(videos)
    outcome = platform_connection_sync(connection=connection)
    assert outcome.fetched == 50 and outcome.videos_created == 50
    assert VideoSnapshot.objects.filter(video__owner=creator).count() == 150
