"""Kuaishou (快手) open platform: OAuth 2 authorisation code, then the account's photos (videos)
with their counts. Base URL: ``KUAISHOU_API_BASE``; app ``KUAISHOU_APP_ID``/``SECRET``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from . import FetchedVideo, HttpClient, PlatformError, to_count
from .oauth import Tokens, TokensSaved

# Read from Kuaishou's open platform docs (open.kuaishou.com/platform/openApi: 授权 /oauth2/
# authorize, 获取 access_token /oauth2/access_token and /oauth2/refresh_token with app_id,
# app_secret, grant_type → result, access_token, expires_in, refresh_token, open_id; 视频列表
# GET /openapi/photo/list with access_token, app_id, cursor, count → result, data[]{photo_id,
# caption, create_time (ms), view_count, like_count, comment_count}; result 1 = success).
API = {
    "authorize": "/oauth2/authorize",
    "access_token": "/oauth2/access_token",
    "refresh_token": "/oauth2/refresh_token",
    "photo_list": "/openapi/photo/list",
    "scope": "user_info,user_video_info",
    "result": "result",
    "error": "error_msg",
    "list": "data",
    "item_id": "photo_id",
    "title": "caption",
    "published_ms": "create_time",
    # CourseReel's snapshot count ← the field in data[]
    "counts": {"views": "view_count", "likes": "like_count", "comments": "comment_count"},
}
OK = 1
TOKEN_EXPIRED = frozenset({100200101, 28})
REVOKED = frozenset({100200102, 100200103, 100200104, 100200105, 29})
RATE_LIMITED = frozenset({100200400, 100200401})
PAGE_SIZE = 20


class _Expired(Exception):
    """The access token expired: refresh it and ask again."""


class KuaishouClient(HttpClient):
    slug = "kuaishou"

    def __init__(
        self, *, tokens: Tokens | None = None, on_tokens: TokensSaved | None = None, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.base = settings.KUAISHOU_API_BASE
        self.tokens = tokens
        self.on_tokens = on_tokens or (lambda tokens: None)

    @property
    def name(self) -> str:
        return pgettext("platform", "Kuaishou")

    @staticmethod
    def authorize_url(*, redirect_uri: str, state: str) -> str:
        query = urlencode(
            {
                "app_id": settings.KUAISHOU_APP_ID,
                "scope": API["scope"],
                "response_type": "code",
                "ui": "pc",
                "redirect_uri": redirect_uri,
                "state": state,
            }
        )
        return f"{settings.KUAISHOU_API_BASE.rstrip('/')}{API['authorize']}?{query}"

    def _revoked(self) -> PlatformError:
        return PlatformError(
            _(
                "Kuaishou no longer accepts this connection (the authorisation expired or was "
                "revoked): connect the account again."
            ),
            reauthorise=True,
        )

    def _check(self, answer: dict) -> dict:
        try:
            result = int(answer.get(API["result"], 0))
        except (TypeError, ValueError):
            result = 0
        if result == OK:
            return answer
        if result in TOKEN_EXPIRED:
            raise _Expired()
        if result in REVOKED:
            raise self._revoked()
        if result in RATE_LIMITED:
            raise PlatformError(
                _("Kuaishou is limiting requests; the next sync tries again."), retry=True
            )
        raise PlatformError(
            _("Kuaishou refused the request (code %(code)s: %(message)s).")
            % {"code": result, "message": str(answer.get(API["error"], ""))[:120]}
        )

    def _save(self, answer: dict) -> Tokens:
        tokens = Tokens.from_answer(answer, open_id=self.tokens.open_id if self.tokens else "")
        if not tokens.access_token:
            raise PlatformError(_("Kuaishou sent no access token."), retry=True)
        self.tokens = tokens
        self.on_tokens(tokens)
        return tokens

    def exchange_code(self, code: str) -> Tokens:
        answer = self.request(
            "GET",
            API["access_token"],
            params={
                "app_id": settings.KUAISHOU_APP_ID,
                "app_secret": settings.KUAISHOU_APP_SECRET,
                "code": code,
                "grant_type": "authorization_code",
            },
        )
        try:
            return self._save(self._check(answer))
        except _Expired:
            raise self._revoked() from None

    def refresh(self) -> Tokens:
        if not self.tokens or not self.tokens.refresh_token:
            raise self._revoked()
        answer = self.request(
            "GET",
            API["refresh_token"],
            params={
                "app_id": settings.KUAISHOU_APP_ID,
                "app_secret": settings.KUAISHOU_APP_SECRET,
                "refresh_token": self.tokens.refresh_token,
                "grant_type": "refresh_token",
            },
        )
        try:
            return self._save(self._check(answer))
        except _Expired:
            raise self._revoked() from None

    def _page(self, cursor: str) -> list[dict]:
        for attempt in range(2):
            params = {"access_token": self.tokens.access_token,
                      "app_id": settings.KUAISHOU_APP_ID, "count": PAGE_SIZE}  # fmt: skip
            if cursor:
                params["cursor"] = cursor
            try:
                answer = self._check(self.request("GET", API["photo_list"], params=params))
                return answer.get(API["list"]) or []
            except _Expired:
                if attempt:
                    raise PlatformError(
                        _("Kuaishou refused a fresh access token; the next sync tries again."),
                        retry=True,
                    ) from None
                self.refresh()
        raise AssertionError("unreachable")  # pragma: no cover

    def uploads(self, account_id: str = "") -> Iterator[FetchedVideo]:
        """Every photo of the authorised account; the cursor is the last photo id of a page."""
        cursor, pages = "", 0
        while True:
            rows = self._page(cursor)
            for item in rows:
                created = item.get(API["published_ms"])
                yield FetchedVideo(
                    platform_video_id=str(item.get(API["item_id"])),
                    title=str(item.get(API["title"]) or "")[:200],
                    published_at=(
                        datetime.fromtimestamp(int(created) / 1000, UTC) if created else None
                    ),
                    counts={name: to_count(item.get(key)) for name, key in API["counts"].items()},
                )
            pages += 1
            if len(rows) < PAGE_SIZE or pages >= settings.PLATFORM_MAX_PAGES:
                return
            cursor = str(rows[-1].get(API["item_id"]))
