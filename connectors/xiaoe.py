"""Xiaoe-tech (小鹅通) open API client: an access token, then the order list page by page.

Paths, field names and error codes live here only; the base URL is ``XIAOE_API_BASE``.
Retries with backoff and jitter on 429/5xx only; the service's codes become plain messages.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.core.cache import cache

from . import refusals

PATHS = {"token": "/token", "orders": "/xe.ecommerce.order.list/1.0.0"}
SHOP_TIME_ZONE = ZoneInfo("Asia/Shanghai")  # the times Xiaoe-tech sends and expects
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# The service's codes for an access token that expired or is no longer valid.
TOKEN_EXPIRED = frozenset({2008, 2009, 40001})
# The service's refusals → codes of connectors/refusals.py (their words are there).
ERRORS = {
    2001: "xiaoe_credentials",
    2004: "xiaoe_permission",
    2005: "xiaoe_ip",
    429: "xiaoe_limited",
}
ATTEMPTS = 3
BACKOFF_SECONDS = 1.0


class XiaoeError(Exception):
    """A request Xiaoe-tech refused or could not answer: a code of connectors/refusals.py and
    its parameters; ``str()`` is the English text."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = {name: str(value) for name, value in params.items()}
        super().__init__(refusals.message(code, self.params, translate=False))


def xiaoe_time(moment: datetime) -> str:
    return moment.astimezone(SHOP_TIME_ZONE).strftime(TIME_FORMAT)


def xiaoe_parse_time(value: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(str(value), TIME_FORMAT).replace(tzinfo=SHOP_TIME_ZONE)
    except ValueError:
        return None


class XiaoeClient:
    def __init__(self, *, app_id: str, client_id: str, secret_key: str, cache_key: str) -> None:
        self.app_id, self.client_id, self.secret_key = app_id, client_id, secret_key
        self.cache_key = cache_key
        self.base = settings.XIAOE_API_BASE.rstrip("/")

    def _request(self, method: str, path: str, **kwargs) -> dict[str, Any]:
        for attempt in range(ATTEMPTS):
            try:
                response = requests.request(
                    method, self.base + path, timeout=settings.XIAOE_TIMEOUT_SECONDS, **kwargs
                )
            except requests.RequestException:
                raise XiaoeError("xiaoe_unreachable") from None
            if response.status_code == 429 or response.status_code >= 500:
                if attempt + 1 < ATTEMPTS:
                    time.sleep(BACKOFF_SECONDS * 2**attempt * (0.5 + random.random()))
                    continue
                if response.status_code == 429:
                    raise XiaoeError(ERRORS[429])
                raise XiaoeError("xiaoe_status", status=response.status_code)
            try:
                return response.json()
            except ValueError:
                raise XiaoeError("xiaoe_not_json") from None
        raise XiaoeError("xiaoe_unreachable")  # pragma: no cover

    def token(self, *, fresh: bool = False) -> str:
        if not fresh and (cached := cache.get(self.cache_key)):
            return cached
        answer = self._request(
            "GET",
            PATHS["token"],
            params={
                "app_id": self.app_id,
                "client_id": self.client_id,
                "secret_key": self.secret_key,
                "grant_type": "client_credential",
            },
        )
        self._raise_for_code(answer)
        data = answer.get("data") or {}
        token = data.get("access_token")
        if not token:
            raise XiaoeError("xiaoe_no_token")
        expires = int(data.get("expires_in") or 7200)
        cache.set(self.cache_key, token, timeout=max(1, expires - 60))
        return token

    def _raise_for_code(self, answer: dict[str, Any]) -> None:
        code = answer.get("code", 0)
        if code in (0, "0"):
            return
        code = int(code)
        if code in ERRORS:
            raise XiaoeError(ERRORS[code])
        raise XiaoeError("xiaoe_refused", code=code, msg=answer.get("msg", ""))

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self._request("POST", path, json={"access_token": self.token(), **body})
        if int(answer.get("code") or 0) in TOKEN_EXPIRED:
            answer = self._request(
                "POST", path, json={"access_token": self.token(fresh=True), **body}
            )
        self._raise_for_code(answer)
        return answer.get("data") or {}

    def orders(self, *, since: datetime, until: datetime) -> Iterator[dict[str, Any]]:
        """Every order updated in [since, until], page by page."""
        page, seen = 1, 0
        while True:
            data = self._post(
                PATHS["orders"],
                {
                    "page": page,
                    "page_size": settings.XIAOE_PAGE_SIZE,
                    "update_begin_time": xiaoe_time(since),
                    "update_end_time": xiaoe_time(until),
                },
            )
            rows = data.get("list") or []
            yield from rows
            seen += len(rows)
            total = int(data.get("total") or 0)
            if not rows or seen >= total:
                return
            page += 1
