"""Kuaishou (快手) open platform: OAuth 2 authorisation code, then the account's photos (videos)
with their counts. Base URL: ``KUAISHOU_API_BASE``; app ``KUAISHOU_APP_ID``/``SECRET``.
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

# Paths and parameters as Kuaishou's open platform docs name them (open.kuaishou.com/platform/
# openApi: 授权 /oauth2/authorize; 获取 access_token /oauth2/access_token and /oauth2/refresh_token
# with app_id, app_secret, grant_type → result, access_token, expires_in, refresh_token, open_id;
# 查询用户视频列表 GET /openapi/photo/list with access_token, app_id, cursor, count). The official
# pages render in a browser only and were not read here; what was checked, and where:
# - result codes: the 错误码 page of the apifox mirror of those docs ("快手 API", apifox.com/apidoc/
#   project-462993/doc-355272) and a public Python table copying it agree: oauth2.0 100200100
#   missing/bad parameter, 100200101 invalid client (app, developer, redirect), 100200102 request
#   refused (e.g. invalid token), 100200105 bad code, 100200108 access_token expired, 100200109 the
#   user cancelled the app's authorisation, 100200110 the user's authorisation expired, 100200111
#   never authorised, 100200113 refresh_token expired, 100200500 internal error; 内容: 1 success,
#   120001 video does not exist, 100400 bad parameter. The old guesses here (100200101 "expired",
#   28, 29, 100200400/100200401 "rate limit") were wrong or unsourced. No rate-limit code is listed
#   for these calls (only live streaming's 400002); HTTP 429 is retried by HttpClient.
# - the list: public open-source clients of /openapi/photo/list found by code search read the
#   photos from ``video_list`` (not ``data``), items {photo_id, caption, cover, play_url,
#   create_time, like_count, comment_count, view_count, pending}, and page with cursor = a photo_id
#   of the previous page. The issue (#13) gives the list directly under ``data`` (``data[]``); no
#   source read here settles which one Kuaishou sends, so both are read: ``video_list`` first,
#   then ``data`` (a list, or an object holding ``video_list``). Not confirmed by any source
#   found: create_time in milliseconds, and the name of the error text (``error_msg``).
API = {
    "authorize": "/oauth2/authorize",
    "access_token": "/oauth2/access_token",
    "refresh_token": "/oauth2/refresh_token",
    "photo_list": "/openapi/photo/list",
    "scope": "user_info,user_video_info",
    "result": "result",
    "error": "error_msg",
    "list": ("video_list", "data"),  # the photos: the first of these keys holding a list
    "item_id": "photo_id",
    "title": "caption",
    "published_ms": "create_time",
    # CourseReel's snapshot count ← the field in video_list[]
    "counts": {"views": "view_count", "likes": "like_count", "comments": "comment_count"},
}
OK = 1
TOKEN_EXPIRED = frozenset({100200108})
REVOKED = frozenset({100200102, 100200109, 100200110, 100200111, 100200113})
RATE_LIMITED: frozenset[int] = frozenset()  # none documented, see above
TRANSIENT = frozenset({100200500})
PAGE_SIZE = 20


class _Expired(Exception):
    """The access token expired: refresh it and ask again."""


def _photos(answer: dict) -> list[dict]:
    """The page's photos, from ``video_list`` or ``data[]`` (see API["list"])."""
    for key in API["list"]:
        value = answer.get(key)
        if isinstance(value, dict):
            value = value.get(API["list"][0])
        if isinstance(value, list):
            return [row for row in value if isinstance(row, dict)]
    return []


class KuaishouClient(HttpClient):
    slug = "kuaishou"
    auth_statuses = frozenset({401})

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

    def carries_error(self, answer) -> bool:
        return isinstance(answer, dict) and answer.get(API["result"]) not in (None, OK, str(OK))

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
        if result in TRANSIENT:
            raise PlatformError(
                _("Kuaishou answered with an internal error; the next sync tries again."),
                retry=True,
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
                return _photos(answer)
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
