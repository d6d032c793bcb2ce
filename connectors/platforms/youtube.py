"""YouTube (Shorts): YouTube Data API v3 with the creator's API key.

Base URL: ``YOUTUBE_API_BASE``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.translation import pgettext

from . import FetchedVideo, HttpClient, PlatformError, VideoGone, to_count
from .messages import gettext as _

# Read from the YouTube Data API v3 reference (developers.google.com/youtube/v3/docs):
# videos.list (part=statistics,snippet,contentDetails, id= up to 50 comma-separated ids →
# items[].id, snippet.title/publishedAt, statistics.viewCount/likeCount/commentCount as
# strings), channels.list (part=contentDetails → items[].contentDetails.relatedPlaylists.uploads),
# playlistItems.list (playlistId, maxResults ≤ 50, pageToken → items[].contentDetails.videoId,
# nextPageToken) and the error reasons in error.errors[].reason. Checked again (Dec 2026) on
# developers.google.com/youtube/v3/docs/errors: "Core API errors" lists quotaExceeded (403) and
# forbidden (403, "the request may not be properly authorized"). keyInvalid, keyExpired,
# rateLimitExceeded and dailyLimitExceeded are Google's global API error reasons, not on that
# page; no source read here confirms them, they are kept as they were. The key travels in the
# X-goog-api-key header (Google APIs' documented alternative to the key= parameter: "System
# parameters", cloud.google.com/apis/docs/system-parameters), so it is in no URL and no log.
# The daily quota resets at midnight Pacific time (youtube/v3/getting-started#quota).
API = {
    "videos": "/youtube/v3/videos",
    "videos_part": "statistics,snippet,contentDetails",
    "channels": "/youtube/v3/channels",
    "playlist_items": "/youtube/v3/playlistItems",
    "uploads": ("contentDetails", "relatedPlaylists", "uploads"),
    "item_video_id": ("contentDetails", "videoId"),
    "item_published": ("contentDetails", "videoPublishedAt"),
    "item_title": ("snippet", "title"),
    "next_page": "nextPageToken",
    "title": ("snippet", "title"),
    "published": ("snippet", "publishedAt"),
    # CourseReel's snapshot count ← the field in items[].statistics (strings)
    "counts": {"views": "viewCount", "likes": "likeCount", "comments": "commentCount"},
}
IDS_PER_CALL = 50
# The key's daily quota is used up: asking again before it resets only spends calls.
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
# Too many requests a second/minute: a later sync may work.
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
KEY_HEADER = "X-goog-api-key"
QUOTA_ZONE = ZoneInfo("America/Los_Angeles")
KEY_REASONS = frozenset({"keyInvalid", "keyExpired", "API_KEY_INVALID", "forbidden"})


def quota_resets_at(now: datetime | None = None) -> datetime:
    """The next midnight in America/Los_Angeles after ``now`` (aware), when the quota resets."""
    local = (now or datetime.now(UTC)).astimezone(QUOTA_ZONE)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=QUOTA_ZONE)
    return midnight.astimezone(UTC)


def _dig(value, path: tuple[str, ...]):
    for key in path:
        value = (value or {}).get(key) if isinstance(value, dict) else None
    return value


class YouTubeClient(HttpClient):
    slug = "youtube-shorts"
    auth_statuses = frozenset({401})

    def __init__(self, *, api_key: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.base = settings.YOUTUBE_API_BASE
        self.api_key = api_key
        self.session.headers[KEY_HEADER] = api_key

    def carries_error(self, answer) -> bool:
        return isinstance(answer, dict) and isinstance(answer.get("error"), dict)

    @property
    def name(self) -> str:
        return pgettext("platform", "YouTube Shorts")

    def _get(self, path: str, params: dict) -> dict:
        answer = self.request("GET", path, params=params)
        error = answer.get("error") if isinstance(answer, dict) else None
        if not error:
            return answer
        reasons = {e.get("reason", "") for e in error.get("errors") or []}
        reasons |= {d.get("reason", "") for d in error.get("details") or [] if isinstance(d, dict)}
        if reasons & QUOTA_REASONS:
            raise PlatformError(
                _(
                    "YouTube says this API key has used its daily quota; the sync continues "
                    "after the quota resets (midnight Pacific time)."
                ),
                retry_at=quota_resets_at(),
            )
        if reasons & RATE_REASONS:
            raise PlatformError(
                _("%(platform)s is limiting requests; the next sync tries again.")
                % {"platform": self.name},
                retry=True,
            )
        if reasons & KEY_REASONS or "API key" in str(error.get("message", "")):
            raise PlatformError(
                _(
                    "YouTube refused the API key: create a key for the YouTube Data API v3 in "
                    "the Google Cloud console and paste it again."
                ),
                reauthorise=True,
            )
        raise PlatformError(
            _("YouTube refused the request (%(code)s: %(message)s).")
            % {"code": error.get("code", "?"), "message": str(error.get("message", ""))[:120]}
        )

    def videos(self, ids: list[str]) -> Iterator[FetchedVideo | VideoGone]:
        for start in range(0, len(ids), IDS_PER_CALL):
            chunk = ids[start : start + IDS_PER_CALL]
            answer = self._get(API["videos"], {"part": API["videos_part"], "id": ",".join(chunk)})
            found = set()
            for item in answer.get("items") or []:
                stats = item.get("statistics") or {}
                published = _dig(item, API["published"])
                video_id = str(item.get("id"))
                found.add(video_id)
                yield FetchedVideo(
                    platform_video_id=video_id,
                    title=str(_dig(item, API["title"]) or video_id),
                    published_at=parse_datetime(published) if published else None,
                    counts={name: to_count(stats.get(key)) for name, key in API["counts"].items()},
                )
            for video_id in chunk:
                if video_id not in found:
                    yield VideoGone(
                        _("YouTube no longer shows the video %(video)s (deleted or private).")
                        % {"video": video_id}
                    )

    def uploads(self, channel_id: str) -> Iterator[FetchedVideo]:
        answer = self._get(API["channels"], {"part": "contentDetails", "id": channel_id})
        items = answer.get("items") or []
        playlist = _dig(items[0], API["uploads"]) if items else None
        if not playlist:
            raise PlatformError(
                _(
                    "YouTube knows no channel %(channel)s: paste the channel id (UC…) from the "
                    "channel's advanced settings."
                )
                % {"channel": channel_id}
            )
        token, pages = None, 0
        while True:
            params = {"part": "contentDetails,snippet", "playlistId": playlist, "maxResults": 50}
            if token:
                params["pageToken"] = token
            answer = self._get(API["playlist_items"], params)
            for item in answer.get("items") or []:
                published = _dig(item, API["item_published"])
                yield FetchedVideo(
                    platform_video_id=str(_dig(item, API["item_video_id"])),
                    title=str(_dig(item, API["item_title"]) or ""),
                    published_at=parse_datetime(published) if published else None,
                )
            token, pages = answer.get(API["next_page"]), pages + 1
            if not token or pages >= settings.PLATFORM_MAX_PAGES:
                return
