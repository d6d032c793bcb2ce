"""The video pipeline board, the video page and the settings page (server side)."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from urllib.parse import unquote

import pytest
from django.utils import timezone

from analytics import funnel
from analytics.models import CreatorSettings, RecomputeState
from core.models import ApiToken
from core.tokens import api_token_digest, api_token_rotate
from tests.factories import (
    CourseFactory,
    EngagementMetricFactory,
    LinkClickFactory,
    TrackingLinkFactory,
    VideoDailyStatFactory,
    VideoFactory,
    platform,
)
from videos.models import PipelineStatus, Video
from videos.selectors import COLUMN_LIMIT

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
NEW_KEY = re.compile(r'id="new-token-key" type="text" value="([^"]+)"')
BOARD = "/videos/"


def detail_url(video: Video) -> str:
    return f"/videos/{video.pk}/"


def move_url(video: Video) -> str:
    return f"/videos/{video.pk}/move/"


def idea(owner, **kwargs) -> Video:
    """An unpublished video: no platform id, no publish time."""
    defaults = {
        "status": PipelineStatus.IDEA,
        "published_at": None,
        "platform_video_id": "",
    }
    return VideoFactory(owner=owner, **{**defaults, **kwargs})


def triggers(response) -> dict:
    return json.loads(response["HX-Trigger"])


def video_form_data(video: Video, **changes) -> dict:
    local = timezone.localtime
    data = {
        "title": video.title,
        "topic": video.topic,
        "target_audience": video.target_audience,
        "hashtags": video.hashtags,
        "script_opening": video.script_opening,
        "script_body": video.script_body,
        "script_closing": video.script_closing,
        "status": video.status,
        "scheduled_at": local(video.scheduled_at).strftime("%Y-%m-%dT%H:%M")
        if video.scheduled_at
        else "",
        "published_at": local(video.published_at).strftime("%Y-%m-%dT%H:%M")
        if video.published_at
        else "",
        "length_seconds": video.length_seconds,
        "production_level": video.production_level,
        "usefulness": video.usefulness,
    }
    data.update(changes)
    return data


WEIGHTS = {
    "engagement_weight_f": "0.6",
    "engagement_weight_d": "0.4",
    "quality_weight_f": "0.2",
    "quality_weight_d": "0.3",
    "quality_weight_cq": "0.5",
    "rank_weight_audience": "0.5",
    "rank_weight_traffic": "0.25",
    "rank_weight_commission": "0.25",
    "attribution_window_days": "10",
}


# --- login and ownership -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/videos/"),
        ("post", "/videos/new/"),
        ("get", "/videos/{id}/"),
        ("post", "/videos/{id}/"),
        ("post", "/videos/{id}/move/"),
        ("get", "/settings/"),
        ("post", "/settings/"),
        ("post", "/settings/token/"),
        ("post", "/settings/token/revoke/"),
    ],
)
def test_every_page_requires_login(client, creator, method, path):
    video = idea(creator)
    url = path.format(id=video.pk)
    response = getattr(client, method)(url, {"status": "script"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    video.refresh_from_db()
    assert video.status == PipelineStatus.IDEA
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "/videos/{id}/", {}),
        ("post", "/videos/{id}/", {"title": "stolen", "status": "script"}),
        ("post", "/videos/{id}/move/", {"status": "script"}),
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_another_creators_video_is_404_and_unchanged(
    creator_client, other_creator, method, path, data, htmx
):
    theirs = idea(other_creator, title="Bob's idea")
    headers = HTMX if htmx else {}
    response = getattr(creator_client, method)(path.format(id=theirs.pk), data, **headers)
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert (theirs.title, theirs.status) == ("Bob's idea", PipelineStatus.IDEA)


def test_board_lists_only_own_videos(creator_client, creator, other_creator):
    idea(creator, title="Mine")
    idea(other_creator, title="Theirs")
    content = creator_client.get(BOARD).content.decode()
    assert "Mine" in content
    assert "Theirs" not in content


def test_new_video_cannot_use_another_creators_course(creator_client, other_creator):
    their_course = CourseFactory(owner=other_creator)
    response = creator_client.post(
        "/videos/new/",
        {"title": "Sneaky", "platform": platform().pk, "course": their_course.pk},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Video.objects.filter(title="Sneaky").exists()


# --- the board --------------------------------------------------------------------------------


def test_board_shows_columns_with_counts_and_cards(creator_client, creator):
    course = CourseFactory(owner=creator, title="Go 微服务实战")
    idea(
        creator,
        course=course,
        title="Goroutines in 3 minutes",
        topic="Go 并发",
        target_audience="后端工程师",
        hashtags="#Go语言 #面试",
        platform=platform("bilibili"),
    )
    idea(creator, status=PipelineStatus.SCRIPT)
    VideoFactory(owner=creator)  # published
    response = creator_client.get(BOARD)
    assert response.status_code == 200
    content = response.content.decode()
    for status in PipelineStatus.values:
        assert f'data-status="{status}"' in content
    assert '<span class="count" data-testid="count-idea">1</span>' in content
    assert '<span class="count" data-testid="count-script">1</span>' in content
    assert '<span class="count" data-testid="count-published">1</span>' in content
    for text in ("Goroutines in 3 minutes", "Go 并发", "后端工程师", "#Go语言", "Go 微服务实战"):
        assert text in content
    assert "badge platform-bilibili" in content
    assert "status-idea" in content


def test_board_filters_live_in_the_url(creator_client, creator):
    course = CourseFactory(owner=creator)
    idea(creator, title="On Douyin", course=course)
    idea(creator, title="On Bilibili", platform=platform("bilibili"))
    idea(creator, title="Interview tricks", topic="面试刷题")

    by_platform = creator_client.get(BOARD, {"platform": "bilibili"}).content.decode()
    assert "On Bilibili" in by_platform and "On Douyin" not in by_platform

    by_course = creator_client.get(BOARD, {"course": course.pk}).content.decode()
    assert "On Douyin" in by_course and "On Bilibili" not in by_course

    by_search = creator_client.get(BOARD, {"q": "面试"}).content.decode()
    assert "Interview tricks" in by_search and "On Douyin" not in by_search

    # Unknown values are ignored instead of failing the page.
    junk = creator_client.get(BOARD, {"platform": "myspace", "course": "x"})
    assert junk.status_code == 200
    assert "On Douyin" in junk.content.decode()


def test_board_htmx_request_gets_only_the_fragment(creator_client, creator):
    idea(creator, title="Fragment card")
    response = creator_client.get(BOARD, {"q": "Fragment"}, **HTMX)
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="board"')
    assert "<html" not in content
    assert "Fragment card" in content
    # The fragment re-fetches itself, with the same filters, after a move.
    assert 'hx-trigger="pipelineChanged from:body"' in content
    assert 'hx-get="/videos/?q=Fragment"' in content
    assert "HX-Request" in response["Vary"]


def test_board_history_restore_gets_the_whole_page(creator_client, creator):
    response = creator_client.get(BOARD, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<html" in response.content.decode()


def test_long_columns_show_the_first_cards_and_expand_on_demand(creator_client, creator):
    for _ in range(COLUMN_LIMIT + 3):
        VideoFactory(owner=creator)
    idea(creator)
    content = creator_client.get(BOARD).content.decode()
    assert content.count('data-testid="card"') == COLUMN_LIMIT + 1
    assert f'<span class="count" data-testid="count-published">{COLUMN_LIMIT + 3}</span>' in content
    assert 'href="?expand=published"' in content
    assert f"Show all {COLUMN_LIMIT + 3}</a>" in content

    expanded = creator_client.get(BOARD, {"expand": "published"}).content.decode()
    assert expanded.count('data-testid="card"') == COLUMN_LIMIT + 4
    assert "Show fewer" in expanded


@pytest.mark.parametrize("size", [3, 30])
def test_board_query_count_is_fixed(creator_client, creator, django_assert_num_queries, size):
    course = CourseFactory(owner=creator)
    for i in range(size):
        idea(
            creator,
            course=course,
            status=PipelineStatus.values[i % 5],
            platform=platform(["douyin", "bilibili", "xigua"][i % 3]),
        )
    # session + user + platforms + courses + videos (with platform and course joined)
    # + the count of videos without a course (the "No course yet (N)" filter, issue 15)
    with django_assert_num_queries(6):
        response = creator_client.get(BOARD, {"expand": "idea"})
    assert sum(column.count for column in response.context["columns"]) == size


# --- moving cards -------------------------------------------------------------------------------


def test_move_with_the_select_changes_status(creator_client, creator):
    video = idea(creator, title="Select me")
    response = creator_client.post(move_url(video), {"status": "script", "next": BOARD}, **HTMX)
    assert response.status_code == 204
    events = triggers(response)
    assert events["pipelineChanged"] is True
    assert events["showMessage"]["level"] == "success"
    assert "Select me" in events["showMessage"]["text"]
    video.refresh_from_db()
    assert video.status == PipelineStatus.SCRIPT


def test_move_by_drag_and_drop_changes_status(creator_client, creator):
    """videos.js posts only ``status`` through htmx.ajax (no form, no next)."""
    video = idea(creator, status=PipelineStatus.SHOOTING)
    response = creator_client.post(
        move_url(video), {"status": "editing"}, HTTP_HX_TRIGGER=f"card-{video.pk}", **HTMX
    )
    assert response.status_code == 204
    assert "pipelineChanged" in triggers(response)
    video.refresh_from_db()
    assert video.status == PipelineStatus.EDITING


def test_move_to_published_stamps_the_publish_time(creator_client, creator):
    video = idea(creator, status=PipelineStatus.SCHEDULED)
    before = timezone.now()
    response = creator_client.post(move_url(video), {"status": "published"}, **HTMX)
    assert response.status_code == 204
    video.refresh_from_db()
    assert video.status == PipelineStatus.PUBLISHED
    assert video.published_at >= before


def test_move_to_published_keeps_an_existing_publish_time(creator_client, creator):
    when = timezone.now() - timedelta(days=2)
    video = idea(creator, status=PipelineStatus.SCHEDULED, published_at=when)
    creator_client.post(move_url(video), {"status": "published"}, **HTMX)
    video.refresh_from_db()
    assert video.published_at == when


def test_move_to_scheduled_without_a_time_is_allowed_but_flagged(creator_client, creator):
    video = idea(creator, status=PipelineStatus.EDITING, scheduled_at=None)
    response = creator_client.post(move_url(video), {"status": "scheduled"}, **HTMX)
    assert response.status_code == 204
    message = triggers(response)["showMessage"]
    assert message["level"] == "warning"
    assert "No publish time" in message["text"]
    video.refresh_from_db()
    assert video.status == PipelineStatus.SCHEDULED


def test_unknown_status_is_refused_with_422_and_nothing_changes(creator_client, creator):
    video = idea(creator)
    stamp = video.updated_at
    response = creator_client.post(move_url(video), {"status": "viral"}, **HTMX)
    assert response.status_code == 422
    assert unquote(response["X-Error-Message"]) == "Unknown pipeline status."
    # The board still redraws so a changed select snaps back; no second toast.
    assert triggers(response) == {"pipelineChanged": True}
    video.refresh_from_db()
    assert (video.status, video.updated_at) == (PipelineStatus.IDEA, stamp)


def test_published_video_with_stats_cannot_move_back(creator_client, creator):
    video = VideoFactory(owner=creator)
    VideoDailyStatFactory(video=video)
    published_at = video.published_at
    response = creator_client.post(move_url(video), {"status": "editing"}, **HTMX)
    assert response.status_code == 422
    assert "stays published" in unquote(response["X-Error-Message"])
    video.refresh_from_db()
    assert (video.status, video.published_at) == (PipelineStatus.PUBLISHED, published_at)


def test_published_video_without_stats_can_move_back(creator_client, creator):
    video = VideoFactory(owner=creator)
    response = creator_client.post(move_url(video), {"status": "editing"}, **HTMX)
    assert response.status_code == 204
    video.refresh_from_db()
    assert (video.status, video.published_at) == (PipelineStatus.EDITING, None)


def test_move_without_javascript_redirects_back_with_a_message(creator_client, creator):
    video = idea(creator)
    response = creator_client.post(
        move_url(video), {"status": "script", "next": "/videos/?q=x"}, follow=True
    )
    assert response.redirect_chain == [("/videos/?q=x", 302)]
    assert "is now in Script" in response.content.decode()
    refused = creator_client.post(
        move_url(video), {"status": "nope", "next": "https://evil.example/"}
    )
    assert refused["Location"] == BOARD


def test_move_needs_post(creator_client, creator):
    video = idea(creator)
    assert creator_client.get(move_url(video)).status_code == 405


# --- new video -------------------------------------------------------------------------------


def test_new_video_creates_an_idea(creator_client, creator):
    course = CourseFactory(owner=creator)
    response = creator_client.post(
        "/videos/new/",
        {
            "title": "三分钟讲透装饰器",
            "platform": platform("bilibili").pk,
            "course": course.pk,
            "topic": "Python",
            "target_audience": "转行新人",
        },
        **HTMX,
    )
    assert response.status_code == 200
    # htmx cannot read a MIME-encoded header, so a Chinese title must travel as \u escapes.
    assert response["HX-Trigger"].isascii()
    events = triggers(response)
    assert events["pipelineChanged"] is True
    assert "三分钟讲透装饰器" in events["showMessage"]["text"]
    video = Video.objects.get(title="三分钟讲透装饰器")
    assert (video.owner, video.status, video.course, video.platform.slug) == (
        creator,
        PipelineStatus.IDEA,
        course,
        "bilibili",
    )
    # The swapped-in form is empty again.
    assert 'value="三分钟讲透装饰器"' not in response.content.decode()


def test_new_video_errors_are_shown_inline(creator_client):
    response = creator_client.post("/videos/new/", {"title": "", "platform": ""}, **HTMX)
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="new_title_errors"' in content
    assert "This field is required." in content
    assert triggers(response)["showMessage"]["level"] == "error"
    assert not Video.objects.exists()


def test_new_video_without_javascript(creator_client):
    response = creator_client.post(
        "/videos/new/", {"title": "Plain form", "platform": platform().pk}, follow=True
    )
    assert response.redirect_chain == [(BOARD, 302)]
    assert "Plain form" in response.content.decode()
    invalid = creator_client.post("/videos/new/", {"title": ""})
    assert invalid.status_code == 200
    assert "This field is required." in invalid.content.decode()


# --- the video page ------------------------------------------------------------------------------


def test_video_page_shows_the_form_and_empty_states(creator_client, creator):
    video = idea(creator, script_opening="先说结论：")
    content = creator_client.get(detail_url(video)).content.decode()
    assert 'for="id_script_opening"' in content
    assert "先说结论：" in content
    assert "No stats imported yet" in content
    assert 'href="/imports/"' in content
    assert "data-chart" not in content


def test_video_page_says_not_computed_when_stats_have_no_metrics(creator_client, creator):
    video = VideoFactory(owner=creator)
    VideoDailyStatFactory(video=video)
    content = creator_client.get(detail_url(video)).content.decode()
    assert 'data-testid="metrics-pending"' in content
    assert "Not computed yet" in content
    assert "<canvas data-chart=" in content


def test_video_page_shows_stored_metrics_with_definitions(creator_client, creator):
    video = VideoFactory(owner=creator)
    VideoDailyStatFactory(video=video)
    EngagementMetricFactory(
        video=video,
        window="lifetime",
        views=123456,
        interactions=2000,
        frequency=1.0,
        depth=0.3,
        engagement=0.65,
        content_quality=4.0,
        composite_quality=1.99,
    )
    content = creator_client.get(detail_url(video)).content.decode()
    # Each figure by its plain name; the symbol and formula on hover and in the glossary.
    assert (
        '<abbr title="interactions per view: F = I / T" tabindex="0" data-figure="F">'
        "Interaction rate</abbr>"
    ) in content
    for symbol, name in (
        ("D", "Interaction depth"),
        ("D_F", "Engagement score"),
        ("CQ", "Content quality"),
        ("CQ_F", "Overall score"),
    ):
        assert f'data-figure="{symbol}">{name}</abbr>' in content
    assert 'data-testid="figures-glossary"' in content
    assert "<code>CQ_F = λ1·F + λ2·D + λ3·CQ</code>" in content
    assert "123,456" in content
    assert "0.650" in content and "1.990" in content and "4.00" in content
    # 7d and 28d have no stored row yet.
    assert "Not computed yet: Last 7 days, Last 28 days." in content


def test_video_page_chart_has_daily_views_and_interactions(creator_client, creator):
    video = VideoFactory(owner=creator)
    VideoDailyStatFactory(video=video, date=date(2026, 3, 1), views=500, interactions=40)
    VideoDailyStatFactory(video=video, date=date(2026, 3, 3), views=700, interactions=60)
    response = creator_client.get(detail_url(video))
    spec = json.loads(response.context["chart_json"])
    assert spec["labels"] == ["1 Mar", "2 Mar", "3 Mar"]  # config/formats/en MONTH_DAY_FORMAT
    views, interactions = spec["datasets"]
    assert views["data"] == [500, None, 700]
    assert interactions["data"] == [40, None, 60]


def test_video_page_chart_keeps_the_latest_90_days(creator_client, creator):
    video = VideoFactory(owner=creator)
    start = date(2025, 1, 1)
    for offset in range(120):
        VideoDailyStatFactory(video=video, date=start + timedelta(days=offset))
    spec = json.loads(creator_client.get(detail_url(video)).context["chart_json"])
    assert len(spec["labels"]) == 90
    assert spec["labels"][-1] == "30 Apr"


@pytest.mark.parametrize("size", [3, 30])
def test_video_page_query_count_is_fixed(creator_client, creator, django_assert_num_queries, size):
    video = VideoFactory(owner=creator)
    start = date(2026, 1, 1)
    for offset in range(size):
        VideoDailyStatFactory(video=video, date=start + timedelta(days=offset))
    for window in ("lifetime", "7d", "28d"):
        EngagementMetricFactory(video=video, window=window)
    link = TrackingLinkFactory(video=video)
    LinkClickFactory.create_batch(size, link=link)
    funnel.funnel_recompute(owner_ids=[creator.pk], today=start, now=timezone.now())
    # session + user + video (platform, course joined) + metrics + daily series
    # + tracking link with its click count + funnel row
    # + the creator's courses for the "Course this video sells" select (issue 15)
    with django_assert_num_queries(8):
        response = creator_client.get(detail_url(video))
    assert response.status_code == 200
    assert response.context["tracking"].link.click_count == size


def test_editing_the_script_saves_and_toasts(creator_client, creator):
    video = idea(creator)
    data = video_form_data(
        video, script_opening="你是不是也遇到过这个问题？", hashtags="#Python #干货"
    )
    response = creator_client.post(detail_url(video), data, **HTMX)
    assert response.status_code == 200
    assert triggers(response)["showMessage"] == {"text": "Video saved.", "level": "success"}
    content = response.content.decode()
    assert content.lstrip().startswith('<form method="post" id="video-form"')
    assert 'id="video-head" class="video-head" hx-swap-oob="true"' in content
    video.refresh_from_db()
    assert video.script_opening == "你是不是也遇到过这个问题？"
    assert video.hashtag_list == ["#Python", "#干货"]


def test_edit_form_times_are_in_the_creators_time_zone(creator_client, creator):
    video = idea(creator, status=PipelineStatus.EDITING)
    data = video_form_data(video, status="scheduled", scheduled_at="2026-03-01T19:30")
    creator_client.post(detail_url(video), data, **HTMX)
    video.refresh_from_db()
    assert video.scheduled_at.isoformat() == "2026-03-01T11:30:00+00:00"  # 19:30 in Shanghai
    content = creator_client.get(detail_url(video)).content.decode()
    assert 'value="2026-03-01T19:30"' in content


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"production_level": "9"}, "production_level", "less than or equal to 5"),
        ({"usefulness": "0"}, "usefulness", "greater than or equal to 1"),
        ({"status": "published", "published_at": ""}, "published_at", "needs its publish time"),
        ({"scheduled_at": "tomorrow-ish"}, "scheduled_at", "Enter a valid date/time."),
    ],
)
def test_edit_form_errors_are_shown_inline_and_nothing_is_saved(
    creator_client, creator, changes, field, message
):
    video = idea(creator, title="Keep me", status=PipelineStatus.EDITING)
    data = video_form_data(video, script_body="new body", **changes)
    response = creator_client.post(detail_url(video), data, **HTMX)
    assert response.status_code == 200
    content = response.content.decode()
    assert f'id="id_{field}_errors"' in content
    assert message in content
    assert 'aria-invalid="true"' in content
    assert triggers(response)["showMessage"]["level"] == "error"
    video.refresh_from_db()
    assert (video.title, video.script_body) == ("Keep me", "")


def test_edit_form_refuses_unpublishing_a_video_with_stats(creator_client, creator):
    video = VideoFactory(owner=creator)
    VideoDailyStatFactory(video=video)
    data = video_form_data(video, status="editing")
    content = creator_client.post(detail_url(video), data, **HTMX).content.decode()
    assert "stays published" in content
    video.refresh_from_db()
    assert video.status == PipelineStatus.PUBLISHED


def test_changing_quality_inputs_enqueues_a_recompute(
    creator_client, creator, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    monkeypatch.setattr(
        "analytics.services.metrics_recompute_enqueue_now", lambda **kwargs: calls.append(kwargs)
    )
    video = idea(creator)
    with django_capture_on_commit_callbacks(execute=True):
        creator_client.post(detail_url(video), video_form_data(video, topic="new topic"), **HTMX)
    assert calls == []
    assert not RecomputeState.objects.filter(owner=creator, stale_since__isnull=False).exists()
    with django_capture_on_commit_callbacks(execute=True):
        creator_client.post(detail_url(video), video_form_data(video, usefulness="5"), **HTMX)
    # video.changed: the figures are marked stale in the edit's transaction, one recompute
    # is queued after it commits.
    assert calls == [{"owner_id": creator.pk, "trigger": "video.changed"}]
    assert RecomputeState.objects.get(owner=creator).stale_since is not None


def test_edit_without_javascript_redirects_with_a_message(creator_client, creator):
    video = idea(creator)
    response = creator_client.post(
        detail_url(video), video_form_data(video, title="Renamed"), follow=True
    )
    assert response.redirect_chain == [(detail_url(video), 302)]
    assert "Video saved." in response.content.decode()
    invalid = creator_client.post(detail_url(video), video_form_data(video, title=""))
    assert invalid.status_code == 200
    assert "This field is required." in invalid.content.decode()


# --- settings ----------------------------------------------------------------------------------


def test_settings_page_creates_default_weights(creator_client, creator):
    response = creator_client.get("/settings/")
    assert response.status_code == 200
    settings = CreatorSettings.objects.get(owner=creator)
    assert settings.engagement_weights == (0.5, 0.5)
    content = response.content.decode()
    assert 'for="id_engagement_weight_f"' in content
    assert "You have no API token." in content


def test_settings_page_query_count(creator_client, creator, django_assert_num_queries):
    CreatorSettings.objects.create(owner=creator)
    # session + user + settings + token
    with django_assert_num_queries(4):
        creator_client.get("/settings/")


def test_saving_weights_stores_them_and_enqueues_a_recompute(creator_client, creator, monkeypatch):
    calls = []
    monkeypatch.setattr(
        "analytics.creator_settings.metrics_recompute_enqueue", lambda **kw: calls.append(kw)
    )
    response = creator_client.post("/settings/", WEIGHTS, **HTMX)
    assert response.status_code == 200
    assert triggers(response)["showMessage"]["level"] == "success"
    settings = CreatorSettings.objects.get(owner=creator)
    assert settings.engagement_weights == (0.6, 0.4)
    assert settings.quality_weights == (0.2, 0.3, 0.5)
    assert settings.rank_weight_traffic == 0.25
    assert calls == [{"owner_id": creator.pk, "trigger": "settings"}]
    # Saving the same values again changes nothing and enqueues nothing.
    again = creator_client.post("/settings/", WEIGHTS, **HTMX)
    assert triggers(again)["showMessage"]["text"] == "Nothing changed."
    assert len(calls) == 1


def test_negative_weight_is_refused_inline(creator_client, creator, monkeypatch):
    calls = []
    monkeypatch.setattr(
        "analytics.creator_settings.metrics_recompute_enqueue", lambda **kw: calls.append(kw)
    )
    data = {**WEIGHTS, "quality_weight_cq": "-0.4"}
    response = creator_client.post("/settings/", data, **HTMX)
    content = response.content.decode()
    assert 'id="id_quality_weight_cq_errors"' in content
    assert "Weights cannot be negative." in content
    assert triggers(response)["showMessage"]["level"] == "error"
    settings = CreatorSettings.objects.get(owner=creator)
    assert settings.quality_weight_cq == 0.4
    assert settings.engagement_weight_f == 0.5  # nothing else saved either
    assert calls == []


@pytest.mark.parametrize(
    ("zeros", "field", "message"),
    [
        (("engagement_weight_f", "engagement_weight_d"), "engagement_weight_f", "engagement"),
        (
            ("quality_weight_f", "quality_weight_d", "quality_weight_cq"),
            "quality_weight_f",
            "quality",
        ),
    ],
)
def test_all_zero_weight_group_is_refused(creator_client, creator, zeros, field, message):
    data = {**WEIGHTS, **dict.fromkeys(zeros, "0")}
    content = creator_client.post("/settings/", data).content.decode()
    assert f'id="id_{field}_errors"' in content
    assert f"The {message} weights cannot all be zero." in content
    assert CreatorSettings.objects.get(owner=creator).engagement_weight_f == 0.5


def test_settings_without_javascript_redirects(creator_client, creator, monkeypatch):
    monkeypatch.setattr("analytics.creator_settings.metrics_recompute_enqueue", lambda **kw: None)
    response = creator_client.post("/settings/", WEIGHTS, follow=True)
    assert response.redirect_chain == [("/settings/", 302)]
    assert "Weights saved." in response.content.decode()


def test_settings_set_the_attribution_window(creator_client, creator, monkeypatch):
    monkeypatch.setattr("analytics.creator_settings.metrics_recompute_enqueue", lambda **kw: None)
    response = creator_client.post("/settings/", {**WEIGHTS, "attribution_window_days": "91"})
    assert response.status_code == 200
    assert "attribution_window_days" in response.context["form"].errors
    creator_client.post("/settings/", WEIGHTS)
    assert CreatorSettings.objects.get(owner=creator).attribution_window_days == 10


def test_create_token_shows_the_key_once_and_replaces_the_old_one(creator_client, creator):
    old = api_token_rotate(user=creator)
    response = creator_client.post("/settings/token/", **HTMX)
    assert response.status_code == 200
    token = ApiToken.objects.get(user=creator)
    assert token.key_hash != old.token.key_hash
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="api-token"')
    key = NEW_KEY.search(content).group(1)
    assert api_token_digest(key) == token.key_hash and key.startswith(token.prefix)
    assert "shown only this once" in content
    # The page itself never shows the key again, only its first characters.
    page = creator_client.get("/settings/").content.decode()
    assert key not in page
    assert "You have an API token" in page and f"<code>{token.prefix}</code>" in page


def test_create_token_without_javascript_renders_the_page_with_the_key(creator_client, creator):
    response = creator_client.post("/settings/token/")
    assert response.status_code == 200
    assert "<html" in response.content.decode()
    key = NEW_KEY.search(response.content.decode()).group(1)
    assert api_token_digest(key) == ApiToken.objects.get(user=creator).key_hash


def test_revoke_token(creator_client, creator, other_creator):
    api_token_rotate(user=creator)
    theirs = api_token_rotate(user=other_creator).token
    response = creator_client.post("/settings/token/revoke/", **HTMX)
    assert response.status_code == 200
    assert "You have no API token." in response.content.decode()
    assert triggers(response)["showMessage"]["text"] == "API token revoked."
    assert not ApiToken.objects.filter(user=creator).exists()
    assert ApiToken.objects.filter(pk=theirs.pk).exists()


def test_token_actions_need_post(creator_client):
    assert creator_client.get("/settings/token/").status_code == 405
    assert creator_client.get("/settings/token/revoke/").status_code == 405


def test_pages_render_in_simplified_chinese(creator_client, creator):
    video = VideoFactory(owner=creator)
    VideoDailyStatFactory(video=video, date=date(2026, 3, 1))
    for url in (BOARD, detail_url(video), "/settings/"):
        response = creator_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200
        assert '<html lang="zh-hans">' in response.content.decode()
    spec = json.loads(
        creator_client.get(detail_url(video), HTTP_ACCEPT_LANGUAGE="zh-hans").context["chart_json"]
    )
    assert spec["labels"] == ["3月1日"]  # config/formats/zh_Hans MONTH_DAY_FORMAT
    assert spec["options"]["locale"] == "zh-hans"


def test_platform_names_are_in_the_page_language(creator_client, creator):
    video = VideoFactory(owner=creator, platform=platform("douyin"), title="Hooks in 3 s")
    english = creator_client.get(detail_url(video), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<span class="badge platform-douyin">Douyin</span>' in english
    for url in (BOARD, detail_url(video)):
        chinese = creator_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert '<span class="badge platform-douyin">抖音</span>' in chinese
        assert ">Douyin<" not in chinese
