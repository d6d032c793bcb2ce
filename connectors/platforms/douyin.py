"""Douyin (抖音) open platform: OAuth 2 authorisation code, then the account's video list with
statistics. Base URL: ``DOUYIN_API_BASE``; app credentials ``DOUYIN_CLIENT_KEY``/``SECRET``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.utils.translation import pgettext

from . import FetchedVideo, HttpClient, PlatformError, to_count
from .messages import gettext as _
from .oauth import Tokens, TokensSaved

# Read from Douyin's open platform docs (developer.open-douyin.com: 获取授权码, 获取 access_token,
# 刷新 access_token, 查询授权账号视频列表 .../video-management/douyin/search-video/
# account-video-list) as ArtisanCloud's Go SDK documents them (ArtisanCloud/MediaXDoc
# docs/mediax/byteDance/douYin/…/content/video/client.md: count ≤ 20, cursor 0 first):
# authorise at /platform/oauth/connect/;
# POST /oauth/access_token/ and /oauth/refresh_token/ → data.access_token, refresh_token,
# expires_in, open_id, error_code; GET /api/douyin/v1/video/video_list/ (open_id, cursor,
# count; header access-token) → data.list[]{item_id, title, create_time, statistics{…}},
# data.cursor, data.has_more.
API = {
    "authorize": "/platform/oauth/connect/",
    "access_token": "/oauth/access_token/",
    "refresh_token": "/oauth/refresh_token/",
    "video_list": "/api/douyin/v1/video/video_list/",
    "scope": "user_info,video.list.bind",
    "token_header": "access-token",
    "list": "list",
    "cursor": "cursor",
    "has_more": "has_more",
    "item_id": "item_id",
    "title": "title",
    "published": "create_time",
    "statistics": "statistics",
    # CourseReel's snapshot count ← the field in data.list[].statistics
    "counts": {
        "views": "play_count",
        "likes": "digg_count",
        "comments": "comment_count",
        "shares": "share_count",
    },
}
# Codes checked against developer.open-douyin.com (read via the docs search, Dec 2026):
# 获取授权令牌 and 刷新 access_token: 10008 / 2190008 access_token expired (refresh), 10010
# refresh_token expired; 刷新 refresh_token: 10005 缺少参数 (a missing parameter, not a revoked
# grant: it used to be listed here), 10004 no permission, 10020 refresh limit reached;
# 状态码排查工具 (status-code): 28001008 access_token expired, 28001012 the user did not authorise
# this OpenAPI, 28003017 quota used up, 28003018 too many requests, 28001005 / 2100004 system
# busy (retry); a trade-system 错误码 page: 2190002 access_token invalid, 2190004 the app lacks
# the capability (an app setting, not the creator's grant: it used to be listed as revoked).
# 2190015, 2190016 and 10017 were not found in any page read; they are kept as they were.
TOKEN_EXPIRED = frozenset({10008, 2190008, 28001008})
# The refresh token expired, was used up or the creator revoked the app's access.
REVOKED = frozenset({10010, 10020, 2190002, 2190015, 28001012})
RATE_LIMITED = frozenset({2100004, 2190016, 10017, 28001005, 28003017, 28003018})
PAGE_SIZE = 20


class DouyinClient(HttpClient):
    slug = "douyin"
    auth_statuses = frozenset({401})

    def __init__(
        self, *, tokens: Tokens | None = None, on_tokens: TokensSaved | None = None, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.base = settings.DOUYIN_API_BASE
        self.tokens = tokens
        self.on_tokens = on_tokens or (lambda tokens: None)

    @property
    def name(self) -> str:
        return pgettext("platform", "Douyin")

    @staticmethod
    def authorize_url(*, redirect_uri: str, state: str) -> str:
        query = urlencode(
            {
                "client_key": settings.DOUYIN_CLIENT_KEY,
                "response_type": "code",
                "scope": API["scope"],
                "redirect_uri": redirect_uri,
                "state": state,
            }
        )
        return f"{settings.DOUYIN_AUTHORIZE_BASE.rstrip('/')}{API['authorize']}?{query}"

    def carries_error(self, answer) -> bool:
        if not isinstance(answer, dict):
            return False
        data, extra = answer.get("data"), answer.get("extra")
        codes = [part.get("error_code") for part in (data, extra) if isinstance(part, dict)]
        return any(code not in (None, 0, "0") for code in codes)

    def _data(self, answer: dict) -> dict:
        data = answer.get("data") if isinstance(answer, dict) else None
        data = data if isinstance(data, dict) else {}
        extra = answer.get("extra") if isinstance(answer, dict) else None
        code = data.get("error_code") or (extra or {}).get("error_code") or 0
        try:
            code = int(code)
        except (TypeError, ValueError):
            code = -1
        if code == 0:
            return data
        if code in TOKEN_EXPIRED:
            raise _Expired()
        if code in REVOKED:
            raise PlatformError(
                _(
                    "Douyin no longer accepts this connection (the authorisation expired or was "
                    "revoked): connect the account again."
                ),
                reauthorise=True,
            )
        if code in RATE_LIMITED:
            raise PlatformError(
                _("Douyin is limiting requests; the next sync tries again."), retry=True
            )
        description = data.get("description") or (extra or {}).get("description") or ""
        raise PlatformError(
            _("Douyin refused the request (code %(code)s: %(message)s).")
            % {"code": code, "message": str(description)[:120]}
        )

    def _save(self, data: dict) -> Tokens:
        tokens = Tokens.from_answer(data, open_id=self.tokens.open_id if self.tokens else "")
        if not tokens.access_token:
            raise PlatformError(_("Douyin sent no access token."), retry=True)
        self.tokens = tokens
        self.on_tokens(tokens)
        return tokens

    def exchange_code(self, code: str) -> Tokens:
        answer = self.request(
            "POST",
            API["access_token"],
            data={
                "client_key": settings.DOUYIN_CLIENT_KEY,
                "client_secret": settings.DOUYIN_CLIENT_SECRET,
                "code": code,
                "grant_type": "authorization_code",
            },
        )
        try:
            return self._save(self._data(answer))
        except _Expired:
            raise PlatformError(
                _("Douyin refused the authorisation code: connect the account again."),
                reauthorise=True,
            ) from None

    def refresh(self) -> Tokens:
        if not self.tokens or not self.tokens.refresh_token:
            raise PlatformError(
                _(
                    "Douyin no longer accepts this connection (the authorisation expired or was "
                    "revoked): connect the account again."
                ),
                reauthorise=True,
            )
        answer = self.request(
            "POST",
            API["refresh_token"],
            data={
                "client_key": settings.DOUYIN_CLIENT_KEY,
                "grant_type": "refresh_token",
                "refresh_token": self.tokens.refresh_token,
            },
        )
        try:
            return self._save(self._data(answer))
        except _Expired:
            raise PlatformError(
                _(
                    "Douyin no longer accepts this connection (the authorisation expired or was "
                    "revoked): connect the account again."
                ),
                reauthorise=True,
            ) from None

    def _list_page(self, cursor: int) -> dict:
        for attempt in range(2):
            try:
                return self._data(
                    self.request(
                        "GET",
                        API["video_list"],
                        params={"open_id": self.tokens.open_id, "cursor": cursor,
                                "count": PAGE_SIZE},
                        headers={API["token_header"]: self.tokens.access_token},
                    )
                )  # fmt: skip
            except _Expired:
                if attempt:
                    raise PlatformError(
                        _("Douyin refused a fresh access token; the next sync tries again."),
                        retry=True,
                    ) from None
                self.refresh()
        raise AssertionError("unreachable")  # pragma: no cover

    def uploads(self, account_id: str = "") -> Iterator[FetchedVideo]:
        """Every video of the authorised account with its lifetime counts."""
        cursor, pages = 0, 0
        while True:
            data = self._list_page(cursor)
            for item in data.get(API["list"]) or []:
                stats = item.get(API["statistics"]) or {}
                created = item.get(API["published"])
                yield FetchedVideo(
                    platform_video_id=str(item.get(API["item_id"])),
                    title=str(item.get(API["title"]) or "")[:200],
                    published_at=datetime.fromtimestamp(int(created), UTC) if created else None,
                    counts={name: to_count(stats.get(key)) for name, key in API["counts"].items()},
                )
            pages += 1
            if not data.get(API["has_more"]) or pages >= settings.PLATFORM_MAX_PAGES:
                return
            cursor = data.get(API["cursor"]) or 0


class _Expired(Exception):
    """The access token expired: refresh it and ask again."""
