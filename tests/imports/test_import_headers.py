"""The header table's spelling rules: 累计/total forms of any alias, crawler snake_case stems,
crawl times, and the platform from the ids' shapes."""

from __future__ import annotations

import pytest

from imports.headers import (
    FILE_COUNT_FIELDS,
    PLATFORM_STAT_HEADERS,
    STAT_FALLBACK_HEADERS,
    STAT_HEADERS,
    STAT_REQUIRED,
    map_headers,
    platform_from_ids,
)


def understood(*headers: str, platform_slug: str | None = None):
    mapping = map_headers(
        list(headers),
        general=STAT_HEADERS,
        required=STAT_REQUIRED,
        per_platform=PLATFORM_STAT_HEADERS,
        platform_slug=platform_slug,
        count_fields=FILE_COUNT_FIELDS,
        fallback=STAT_FALLBACK_HEADERS,
    )
    return {mapping.headers[i]: name for name, i in mapping.fields.items()}, mapping


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("累计播放", "views"),
        ("累计播放量", "views"),
        ("累计点赞", "likes"),
        ("累计评论", "comments"),
        ("累计分享", "shares"),
        ("累计收藏", "saves"),
        ("播放总量", "views"),
        ("总点赞数", "likes"),
        ("total_views", "views"),
        ("views_total", "views"),
        ("lifetime_likes", "likes"),
        ("total_play_count", "views"),
    ],
)
def test_running_total_forms_of_any_alias(header, field):
    fields, mapping = understood(header, platform_slug="douyin")
    assert fields == {header: field} and mapping.cumulative_fields == {field}


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("play_count", "views"),
        ("video_play_count", "views"),
        ("view_count", "views"),
        ("play", "views"),
        ("view", "views"),
        ("play_cnt", "views"),
        ("digg_count", "likes"),
        ("liked_count", "likes"),
        ("like_cnt", "likes"),
        ("video_like_count", "likes"),
        ("reply", "comments"),
        ("reply_count", "comments"),
        ("comment_count", "comments"),
        ("share_count", "shares"),
        ("collect", "saves"),
        ("collected_count", "saves"),
        ("favorite", "saves"),
        ("favorite_count", "saves"),
        ("coin", "coins"),
        ("coin_count", "coins"),
        ("danmaku", "danmaku"),
        ("danmaku_count", "danmaku"),
        ("crawl_time", "crawled_at"),
        ("crawled_at", "crawled_at"),
        ("timestamp", "crawled_at"),
        ("create_time", "crawled_at"),
    ],
)
def test_crawler_spellings(header, field):
    fields, mapping = understood(header)
    assert fields == {header: field} and not mapping.cumulative_fields


def test_create_time_is_the_crawl_time_only_without_a_real_one():
    fields, mapping = understood("aweme_id", "create_time", "add_ts", "liked_count")
    assert fields == {
        "aweme_id": "platform_video_id",
        "add_ts": "crawled_at",
        "liked_count": "likes",
    }
    assert not mapping.problems
    assert mapping.describe()[1] == {"column": "create_time", "field": None}


@pytest.mark.parametrize(
    ("ids", "slug"),
    [
        (["BV1xx411c7mD", "av170001"], "bilibili"),
        (["7301234567890123456"], "douyin"),
        (["dQw4w9WgXcQ"], "youtube-shorts"),
        (["dQw4w9WgXcQ", "BV1xx411c7mD"], None),
        (["12345678901"], None),  # 11 digits: not taken as a YouTube id
        (["7301234567890123456", "730123456789012345"], None),
        ([], None),
    ],
)
def test_platform_from_the_ids_shapes(ids, slug):
    assert platform_from_ids(ids) == slug
