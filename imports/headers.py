"""Which spreadsheet header means which field: the one table to extend for a new export.

Creators upload what each platform's creator centre exports, with that platform's (usually
Chinese) headers, so every field lists the headers it answers to. Headers are compared after
``normalize_header`` (case, spaces, underscores, full-width brackets and a trailing unit such as
"(次)" do not matter), so list each spelling once.

To support a new export: add its headers to ``STAT_HEADERS`` (any platform) or to
``PLATFORM_STAT_HEADERS`` (only that platform's files; a header listed for exactly one platform
also tells the importer which platform a file comes from when none was given).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from videos.models import VideoDailyStat

# --- daily video statistics -----------------------------------------------------------------

PLATFORM_VIDEO_ID = "platform_video_id"
DATE = "date"
TITLE = "title"
PLATFORM = "platform"
COUNT_FIELDS = VideoDailyStat.COUNT_FIELDS

STAT_REQUIRED = (PLATFORM_VIDEO_ID, DATE, "views", "likes", "comments")

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
    "views": (
        "views",
        "plays",
        "play_count",
        "view_count",
        "播放量",
        "播放数",
        "播放次数",
        "观看量",
        "观看次数",
        "浏览量",
    ),
    "interactions": ("interactions", "engagements", "互动量", "互动数", "互动次数"),
    "comments": ("comments", "comment_count", "评论量", "评论数", "评论次数"),
    "likes": ("likes", "like_count", "点赞量", "点赞数", "点赞次数", "获赞数"),
    "shares": ("shares", "share_count", "分享量", "分享数", "分享次数", "转发量", "转发数"),
    "saves": ("saves", "favorites", "collects", "收藏量", "收藏数", "收藏次数"),
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

# A count header with one of these prefixes holds running totals ("累计播放量", "total_views").
CUMULATIVE_PREFIXES = ("累计", "累積", "总", "cumulative", "lifetime", "total")

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


def map_headers(
    headers: list[str],
    *,
    general: dict[str, tuple[str, ...]],
    required: tuple[str, ...],
    per_platform: dict[str, dict[str, tuple[str, ...]]] | None = None,
    platform_slug: str | None = None,
    count_fields: tuple[str, ...] = (),
) -> ColumnMapping:
    """Match each header to a field; report missing required fields and fields named twice."""
    common, specific = _lookup(general, per_platform or {}, platform_slug)
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
        if name is None and count_fields:
            for prefix in CUMULATIVE_PREFIXES:
                if key.startswith(prefix) and common.get(key[len(prefix) :]) in count_fields:
                    name, cumulative = common[key[len(prefix) :]], True
                    break
        if name is None:
            continue
        if name in mapping.fields:
            first = mapping.headers[mapping.fields[name]]
            mapping.problems.append(
                (header, f'means the same as column "{first}" ({name}); keep one of them')
            )
            continue
        mapping.fields[name] = index
        if cumulative:
            mapping.cumulative_fields.add(name)
    if len(hinted_platforms) == 1:
        mapping.platform_slug = hinted_platforms.pop()
    for name in required:
        if name not in mapping.fields:
            known = ", ".join(f'"{alias}"' for alias in general[name][:1] + general[name][-3:])
            mapping.problems.append((None, f"no column for {name} (a header such as {known})"))
    return mapping
