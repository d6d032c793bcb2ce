"""Bilibili: public video statistics by BV id, and an uploader's videos by ``mid``. No login.

Base URL: ``BILIBILI_API_BASE``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from django.conf import settings
from django.utils.translation import pgettext

from . import FetchedVideo, HttpClient, PlatformError, VideoGone, to_count
from .messages import gettext as _

# Read from SocialSisterYi/bilibili-API-collect: docs/video/info.md (获取视频详细信息, web端:
# code, message, data.title/pubdate/stat{view,danmaku,reply,favorite,coin,share,like}) and
# docs/video/collection.md (根据关键词查找视频: mid, keywords — empty for all of them —, pn, ps up
# to 100 → data.archives[]{aid,bvid,title,pubdate,stat{view}}, data.page{num,size,total}). That
# listing needs no request signature, unlike the space search (/x/space/wbi/arc/search), whose
# "WBI" signature CourseReel does not compute (see the README).
API = {
    "view": "/x/web-interface/view",
    "view_id": "bvid",
    "uploads": "/x/series/recArchivesByKeywords",
    "uploads_params": {"mid": "mid", "page": "pn", "page_size": "ps"},
    "uploads_fixed": {"keywords": ""},
    "uploads_list": ("archives",),
    "uploads_page": "page",
    "uploads_total": "total",
    "item_id": "bvid",
    "item_title": "title",
    "item_published": "pubdate",
    "title": "title",
    "published": "pubdate",
    "stat": "stat",
    # CourseReel's snapshot count ← the field in data.stat
    "counts": {
        "views": "view",
        "danmaku": "danmaku",
        "comments": "reply",
        "saves": "favorite",
        "coins": "coin",
        "shares": "share",
        "likes": "like",
    },
}
GONE_CODES = frozenset({-404, 62002, 62004, 62012})
RATE_CODES = frozenset({-412, -509, -799, -352})
PAGE_SIZE = 100


class BilibiliClient(HttpClient):
    slug = "bilibili"
    # HTTP 412 is Bilibili's risk-control refusal of this server (an HTML page, no JSON)
    rate_statuses = frozenset({412, 429})

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.base = settings.BILIBILI_API_BASE
        self.session.headers["User-Agent"] = settings.PLATFORM_USER_AGENT
        self.session.headers["Referer"] = "https://www.bilibili.com/"

    @property
    def name(self) -> str:
        return pgettext("platform", "Bilibili")

    def carries_error(self, answer) -> bool:
        return isinstance(answer, dict) and answer.get("code") not in (None, 0, "0")

    def _check(self, answer: dict, *, video_id: str = "") -> dict:
        code = answer.get("code", 0)
        try:
            code = int(code)
        except (TypeError, ValueError):
            code = -1
        if code == 0:
            return answer.get("data") or {}
        if code in GONE_CODES:
            raise VideoGone(
                _(
                    "Bilibili no longer shows the video %(video)s (deleted, private or under "
                    "review)."
                )
                % {"video": video_id}
            )
        if code in RATE_CODES:
            raise PlatformError(
                _(
                    "Bilibili is limiting requests from this server (code %(code)s); the next "
                    "sync tries again."
                )
                % {"code": code},
                retry=True,
            )
        if code == -400:
            raise PlatformError(
                _("Bilibili refused the request as malformed: check the BV id or uploader id.")
            )
        raise PlatformError(
            _("Bilibili refused the request (code %(code)s: %(message)s).")
            % {"code": code, "message": str(answer.get("message", ""))[:120]}
        )

    def video(self, bvid: str) -> FetchedVideo:
        data = self._check(
            self.request("GET", API["view"], params={API["view_id"]: bvid}), video_id=bvid
        )
        stat = data.get(API["stat"]) or {}
        published = data.get(API["published"])
        return FetchedVideo(
            platform_video_id=str(data.get("bvid") or bvid),
            title=str(data.get(API["title"]) or bvid),
            published_at=datetime.fromtimestamp(int(published), UTC) if published else None,
            counts={name: to_count(stat.get(key)) for name, key in API["counts"].items()},
        )

    def videos(self, ids: list[str]) -> Iterator[FetchedVideo | VideoGone]:
        for bvid in ids:
            try:
                yield self.video(bvid)
            except VideoGone as gone:
                yield gone

    def uploads(self, mid: str) -> Iterator[FetchedVideo]:
        """The uploader's videos (ids, titles, publish times), page by page."""
        names = API["uploads_params"]
        page, seen = 1, 0
        while True:
            data = self._check(
                self.request(
                    "GET",
                    API["uploads"],
                    params={
                        **API["uploads_fixed"],
                        names["mid"]: mid,
                        names["page"]: page,
                        names["page_size"]: PAGE_SIZE,
                    },
                )
            )
            listing = data
            for key in API["uploads_list"]:
                listing = (listing or {}).get(key) or {}
            rows = listing if isinstance(listing, list) else []
            for row in rows:
                created = row.get(API["item_published"])
                yield FetchedVideo(
                    platform_video_id=str(row.get(API["item_id"])),
                    title=str(row.get(API["item_title"]) or ""),
                    published_at=datetime.fromtimestamp(int(created), UTC) if created else None,
                )
            seen += len(rows)
            total = int((data.get(API["uploads_page"]) or {}).get(API["uploads_total"]) or 0)
            if not rows or seen >= total or page >= settings.PLATFORM_MAX_PAGES:
                return
            page += 1
