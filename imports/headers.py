"""Which spreadsheet header means which field: the one table to extend for a new export.

Creators upload what each platform's creator centre exports, with that platform's (usually
Chinese) headers, so every field lists the headers it answers to. Headers are compared after
``normalize_header`` (case, spaces, underscores, full-width brackets and a trailing unit such as
"(次)" do not matter), so list each spelling once.

To support a new export: add its headers to ``STAT_HEADERS`` (any platform) or to
``PLATFORM_STAT_HEADERS`` (only that platform's files; a header listed for exactly one platform
also tells the importer which platform a file comes from when none was given).

Two spelling rules save listing every variant: a count header with a running-total prefix or
suffix ("累计播放", "播放总量", "total_views") is that count, as lifetime totals; and the
snake_case forms crawlers and browser extensions write ("video_play_count", "like_cnt",
"liked_count") are the count whose stem ("play", "like", "liked") is listed. When no platform
is given, the ids themselves can name it (``PLATFORM_ID_SHAPES``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import pandas as pd
from django.utils.translation import gettext as _

from videos.models import VideoDailyStat, VideoSnapshot

# --- daily video statistics -----------------------------------------------------------------

PLATFORM_VIDEO_ID = "platform_video_id"
DATE = "date"
TITLE = "title"
PLATFORM = "platform"
CRAWLED_AT = "crawled_at"  # the moment a crawler or extension read the counts
COUNT_FIELDS = VideoDailyStat.COUNT_FIELDS
# Counts only lifetime totals carry (VideoSnapshot has them, a day's statistics do not).
SNAPSHOT_ONLY_FIELDS = tuple(n for n in VideoSnapshot.COUNT_FIELDS if n not in COUNT_FIELDS)
FILE_COUNT_FIELDS = COUNT_FIELDS + SNAPSHOT_ONLY_FIELDS

# A file needs the video id, a date or a crawl time, and at least one count (checked by
# ``stat_columns_missing``): a source without views imports what it has.
STAT_REQUIRED = (PLATFORM_VIDEO_ID,)

STAT_HEADERS: dict[str, tuple[str, ...]] = {
    PLATFORM_VIDEO_ID: (
        "platform_video_id",
        "video_id",
        "video id",
        "id",
        "视频ID",
        "视频编号",
        "作品ID",
        "作品编号",
        "内容ID",
    ),
    DATE: ("date", "day", "stat_date", "日期", "统计日期", "数据日期", "时间"),
    CRAWLED_AT: (
        "crawled_at",
        "crawl_time",
        "crawl_at",
        "crawl_ts",
        "fetched_at",
        "fetch_time",
        "scraped_at",
        "observed_at",
        "snapshot_time",
        "record_time",
        "timestamp",
        "ts",
        "add_ts",
        "last_modify_ts",
        "抓取时间",
        "采集时间",
        "爬取时间",
        "记录时间",
    ),
    "views": (
        "views",
        "plays",
        "play",
        "view",
        "播放量",
        "播放数",
        "播放次数",
        "观看量",
        "观看次数",
        "浏览量",
    ),
    "interactions": ("interactions", "engagements", "互动量", "互动数", "互动次数"),
    "comments": ("comments", "comment", "reply", "replies", "评论量", "评论数", "评论次数"),
    "likes": ("likes", "like", "liked", "digg", "点赞量", "点赞数", "点赞次数", "获赞数"),
    "shares": ("shares", "share", "分享量", "分享数", "分享次数", "转发量", "转发数"),
    "saves": (
        "saves",
        "save",
        "favorites",
        "favorite",
        "fav",
        "collects",
        "collect",
        "collected",
        "收藏量",
        "收藏数",
        "收藏次数",
    ),
    "coins": ("coins", "coin", "投币", "投币数", "投币量", "硬币数"),
    "danmaku": ("danmaku", "danmu", "弹幕", "弹幕数", "弹幕量"),
    "link_clicks": (
        "link_clicks",
        "clicks",
        "链接点击",
        "链接点击量",
        "链接点击数",
        "链接点击次数",
        "商品点击",
        "购物车点击",
    ),
    TITLE: ("title", "video_title", "标题", "视频标题", "作品标题", "作品名称", "视频名称"),
    PLATFORM: ("platform", "平台", "渠道平台"),
}

# Headers only one platform's export uses; keys are Platform slugs.
PLATFORM_STAT_HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "douyin": {PLATFORM_VIDEO_ID: ("抖音视频ID", "item_id", "aweme_id")},
    "kuaishou": {PLATFORM_VIDEO_ID: ("快手作品ID", "photo_id")},
    "bilibili": {
        PLATFORM_VIDEO_ID: ("BV号", "稿件BV号", "bvid", "稿件ID"),
        "views": ("播放",),
        "likes": ("点赞",),
        "comments": ("评论",),
        "shares": ("分享",),
        "saves": ("收藏",),
        TITLE: ("稿件标题",),
    },
    "xigua": {PLATFORM_VIDEO_ID: ("西瓜视频ID", "group_id")},
    "wechat-channels": {PLATFORM_VIDEO_ID: ("视频号视频ID", "feed_id"), "likes": ("喜欢",)},
    "youtube-shorts": {
        PLATFORM_VIDEO_ID: ("Content", "Video"),
        "comments": ("Comments added",),
        "shares": ("Shares",),
        "saves": ("Saves",),
        TITLE: ("Video title",),
    },
}

# Used for the crawl time only when the file has no crawl-time column of the listed kinds:
# crawlers write the video's own creation time there too, which is no observation time.
STAT_FALLBACK_HEADERS: dict[str, tuple[str, ...]] = {
    CRAWLED_AT: ("create_time", "created_at", "update_time", "updated_at"),
}

# A count header with one of these prefixes or suffixes holds running totals ("累计播放量",
# "播放总量", "total_views", "views_total", "lifetime_views").
CUMULATIVE_PREFIXES = ("累计", "累積", "总", "cumulative", "lifetime", "total", "all")
CUMULATIVE_SUFFIXES = ("总量", "总数", "累计", "total", "lifetime", "cumulative", "sum")
# Crawler spellings around a count's stem: "video_play_count", "like_cnt", "comments_num".
SNAKE_PREFIXES = ("video", "stat", "aweme")
SNAKE_SUFFIXES = ("count", "cnt", "num", "number")

# Platform video ids by shape, to name a file's platform when nothing else does. A file is
# given a platform this way only when every id has that platform's shape. All-digit ids are
# not taken as YouTube's: an 11-digit number is more likely some other platform's id.
PLATFORM_ID_SHAPES: dict[str, str] = {
    "bilibili": r"BV[0-9A-Za-z]{10}|[aA][vV]\d+",
    "douyin": r"\d{19}",
    "youtube-shorts": r"(?!\d{11}$)[A-Za-z0-9_-]{11}",
}

# --- sales lists ----------------------------------------------------------------------------

SOLD_AT = "sold_at"
COURSE = "course"
TIER = "tier"
QUANTITY = "quantity"
UNIT_PRICE = "unit_price"
ORDER_REF = "order_ref"
SOURCE_VIDEO = "source_video"
TRACKING_CODE = "tracking_code"

SALE_REQUIRED = (SOLD_AT, COURSE, QUANTITY, UNIT_PRICE)

SALE_HEADERS: dict[str, tuple[str, ...]] = {
    SOLD_AT: (
        "sold_at",
        "date",
        "datetime",
        "time",
        "order_time",
        "日期",
        "时间",
        "下单时间",
        "支付时间",
        "成交时间",
        "订单时间",
        "付款时间",
    ),
    COURSE: ("course", "course_slug", "course_title", "课程", "课程名称", "商品", "商品名称"),
    TIER: ("tier", "price_tier", "档位", "版本", "规格", "套餐", "SKU"),
    PLATFORM: ("platform", "channel", "平台", "渠道", "销售平台"),
    QUANTITY: ("quantity", "qty", "units", "数量", "购买数量", "件数"),
    UNIT_PRICE: ("unit_price", "price", "单价", "成交单价", "实付单价", "成交价", "售价"),
    ORDER_REF: ("order_ref", "order_id", "order", "订单号", "订单编号", "订单ID"),
    SOURCE_VIDEO: ("source_video", "video_id", "platform_video_id", "视频ID", "来源视频", "作品ID"),
    TRACKING_CODE: ("tracking_code", "utm", "推广码", "追踪码", "渠道码", "分销码"),
}

# --- platform names as files and people write them ------------------------------------------

PLATFORM_NAMES: dict[str, tuple[str, ...]] = {
    "douyin": ("douyin", "抖音", "tiktok cn"),
    "kuaishou": ("kuaishou", "快手"),
    "bilibili": ("bilibili", "哔哩哔哩", "b站", "bili"),
    "xigua": ("xigua", "西瓜", "西瓜视频"),
    "wechat-channels": ("wechat-channels", "wechat", "channels", "视频号", "微信视频号"),
    "youtube-shorts": ("youtube-shorts", "youtube", "shorts", "yt"),
}


_UNIT_SUFFIX = re.compile(r"[\(\[（【][^\)\]）】]*[\)\]）】]$")
_SEPARATORS = re.compile(r"[\s_\-·:：]+")


def normalize_header(text: object) -> str:
    """The comparable form of a header: NFKC (full-width → ASCII), lower case, without spaces,
    underscores, a BOM or a trailing unit in brackets ("播放量（次）" → "播放量")."""
    value = unicodedata.normalize("NFKC", str(text or "")).replace("\ufeff", "").strip()
    value = _UNIT_SUFFIX.sub("", value).strip()
    return _SEPARATORS.sub("", value).lower()


def normalize_platform_name(text: object) -> str:
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", str(text or "")).strip()).lower()


def platform_slug_for(text: object, known_slugs: dict[str, str] | None = None) -> str | None:
    """The Platform slug a name in a file or on the command line means, or None.

    ``known_slugs`` maps normalized Platform names/slugs from the database to their slug, so
    an operator-added platform is recognised by its own name.
    """
    value = normalize_platform_name(text)
    if not value:
        return None
    for slug, names in PLATFORM_NAMES.items():
        if value in {normalize_platform_name(n) for n in (slug, *names)}:
            return slug
    return (known_slugs or {}).get(value)


@dataclass
class ColumnMapping:
    """How a file's header row was understood."""

    fields: dict[str, int] = field(default_factory=dict)  # canonical field → column index
    headers: list[str] = field(default_factory=list)  # as the creator wrote them
    cumulative_fields: set[str] = field(default_factory=set)  # headers said "running total"
    platform_slug: str | None = None  # inferred from a platform-only header
    problems: list[tuple[str | None, str]] = field(default_factory=list)  # (column, message)

    def header_of(self, canonical: str) -> str:
        index = self.fields.get(canonical)
        return self.headers[index] if index is not None else canonical

    def describe(self) -> list[dict[str, str | None]]:
        """Each column of the file and what it became (None: ignored) — for the preview."""
        by_index = {index: name for name, index in self.fields.items()}
        return [
            {"column": header, "field": by_index.get(index)}
            for index, header in enumerate(self.headers)
        ]


def _lookup(
    general: dict[str, tuple[str, ...]],
    per_platform: dict[str, dict[str, tuple[str, ...]]],
    platform_slug: str | None,
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """normalized header → field, for all files and for each platform's files."""
    common = {
        normalize_header(alias): name for name, aliases in general.items() for alias in aliases
    }
    specific: dict[str, dict[str, str]] = {}
    for slug, table in per_platform.items():
        if platform_slug and slug != platform_slug:
            continue
        for name, aliases in table.items():
            for alias in aliases:
                specific.setdefault(normalize_header(alias), {})[slug] = name
    return common, specific


def _count_stems(
    general: dict[str, tuple[str, ...]],
    per_platform: dict[str, dict[str, tuple[str, ...]]],
    count_fields: tuple[str, ...],
) -> dict[str, str]:
    """normalized alias → count field, from every table (a platform's own "播放" included),
    for the spelling rules: "累计播放" is views whichever platform the file names."""
    stems: dict[str, set[str]] = {}
    for table in (general, *per_platform.values()):
        for name, aliases in table.items():
            if name in count_fields:
                for alias in aliases:
                    stems.setdefault(normalize_header(alias), set()).add(name)
    return {key: names.pop() for key, names in stems.items() if len(names) == 1}


def _affixed(key: str, prefixes: tuple[str, ...], suffixes: tuple[str, ...]) -> list[str]:
    """``key`` without one of the prefixes and/or one of the suffixes (longest rest first)."""
    heads = [key] + [key[len(p) :] for p in prefixes if key.startswith(p) and len(key) > len(p)]
    rests = []
    for head in heads:
        rests.append(head)
        rests += [head[: -len(x)] for x in suffixes if head.endswith(x) and len(head) > len(x)]
    return [rest for rest in rests if rest != key]


def _count_field(key: str, stems: dict[str, str]) -> tuple[str | None, bool]:
    """(count field, holds running totals) a count header spelled by the rules means."""
    for rest in [key, *_affixed(key, SNAKE_PREFIXES, SNAKE_SUFFIXES)]:
        for candidate in (rest, rest[:-1] if rest.endswith("s") else None):
            if candidate and candidate in stems and rest != key:
                return stems[candidate], False
    for rest in _affixed(key, CUMULATIVE_PREFIXES, CUMULATIVE_SUFFIXES):
        name, _snake = _count_field(rest, stems)
        if name is None and rest in stems:
            name = stems[rest]
        if name is not None:
            return name, True
    return None, False


def map_headers(
    headers: list[str],
    *,
    general: dict[str, tuple[str, ...]],
    required: tuple[str, ...],
    per_platform: dict[str, dict[str, tuple[str, ...]]] | None = None,
    platform_slug: str | None = None,
    count_fields: tuple[str, ...] = (),
    fallback: dict[str, tuple[str, ...]] | None = None,
) -> ColumnMapping:
    """Match each header to a field; report missing required fields and fields named twice.

    With ``count_fields``, count headers spelled by the rules (running-total prefixes and
    suffixes, crawler snake_case) are matched too. ``fallback`` headers take a field only when
    no other column has it, and never clash with one that does."""
    common, specific = _lookup(general, per_platform or {}, platform_slug)
    stems = _count_stems(general, per_platform or {}, count_fields) if count_fields else {}
    mapping = ColumnMapping(headers=[str(h if h is not None else "").strip() for h in headers])
    hinted_platforms: set[str] = set()
    for index, header in enumerate(mapping.headers):
        key = normalize_header(header)
        if not key:
            continue
        name, cumulative = common.get(key), False
        if name is None and key in specific:
            candidates = specific[key]
            if len(set(candidates.values())) == 1:
                name = next(iter(candidates.values()))
                if len(candidates) == 1:
                    hinted_platforms.add(next(iter(candidates)))
        if name is None and stems:
            name, cumulative = _count_field(key, stems)
        if name is None:
            continue
        if name in mapping.fields:
            first = mapping.headers[mapping.fields[name]]
            mapping.problems.append(
                (
                    header,
                    _('means the same as column "%(first)s" (%(field)s); keep one of them')
                    % {"first": first, "field": name},
                )
            )
            continue
        mapping.fields[name] = index
        if cumulative:
            mapping.cumulative_fields.add(name)
    for name, aliases in (fallback or {}).items():
        keys = {normalize_header(alias) for alias in aliases}
        for index, header in enumerate(mapping.headers):
            if name not in mapping.fields and normalize_header(header) in keys:
                mapping.fields[name] = index
    if len(hinted_platforms) == 1:
        mapping.platform_slug = hinted_platforms.pop()
    for name in required:
        if name not in mapping.fields:
            mapping.problems.append((None, _missing_column(name, general)))
    return mapping


def _missing_column(name: str, general: dict[str, tuple[str, ...]]) -> str:
    known = ", ".join(f'"{alias}"' for alias in general[name][:1] + general[name][-3:])
    return _("no column for %(field)s (a header such as %(examples)s)") % {
        "field": name,
        "examples": known,
    }


def stat_columns_missing(mapping: ColumnMapping) -> list[str]:
    """What a statistics file lacks besides the required columns: a date or a crawl time,
    and at least one count (a source without views imports the counts it has)."""
    missing = []
    if DATE not in mapping.fields and CRAWLED_AT not in mapping.fields:
        missing.append(
            _(
                'no column for the date or the crawl time (a header such as "date", "日期", '
                '"crawl_time" or "timestamp")'
            )
        )
    if not any(name in mapping.fields for name in FILE_COUNT_FIELDS):
        missing.append(
            _(
                "no column with a count (views, likes, comments, shares, saves, …; a header "
                'such as "播放量", "点赞数", "like_count" or "累计播放")'
            )
        )
    return missing


def platform_from_ids(ids: list[str]) -> str | None:
    """The one platform whose id shape every id has (``PLATFORM_ID_SHAPES``), else None."""
    if not ids:
        return None
    series = pd.Series(ids, dtype=object).astype(str).str.strip()
    for slug, shape in PLATFORM_ID_SHAPES.items():
        if series.str.fullmatch(shape).all():
            return slug
    return None
