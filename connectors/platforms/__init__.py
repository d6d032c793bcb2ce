"""Clients for the video platforms' APIs: one module per platform, each with one mapping of
paths and field names (and where it was read), a base URL from settings, explicit timeouts,
bounded retries with backoff and jitter on 429/5xx only, and the platform's own error codes
turned into plain words.

A client returns :class:`FetchedVideo` rows (lifetime counts at the moment of the request); it
never touches the database. ``connectors.platform_services`` stores what they return.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests
from django.conf import settings

from ..ratelimit import platform_rate_wait


class PlatformError(Exception):
    """A request a platform refused or could not answer, in plain words.

    ``retry``: a later attempt may work (timeouts, 5xx, rate limits).
    ``reauthorise``: the creator must connect the account again; retrying is useless.
    ``retry_at``: when the platform says a new attempt can work (an aware datetime, e.g. when
    YouTube's daily quota resets); None when it does not say.
    """

    def __init__(
        self,
        message: str,
        *,
        retry: bool = False,
        reauthorise: bool = False,
        retry_at: datetime | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.retry = retry
        self.reauthorise = reauthorise
        self.retry_at = retry_at

    def __str__(self) -> str:
        return str(self.message)

    @property
    def detail(self) -> dict:
        """The message id and parameters, to show the refusal again in another language."""
        from .messages import detail

        return detail(self.message)


class VideoGone(PlatformError):
    """One video the platform no longer shows (deleted, private); the others still sync."""


@dataclass
class FetchedVideo:
    platform_video_id: str
    title: str = ""
    published_at: datetime | None = None
    # Names of videos.VideoSnapshot.COUNT_FIELDS; None or absent = not reported.
    counts: dict[str, int | None] = field(default_factory=dict)


def to_count(value: Any) -> int | None:
    """A count as platforms send it (int, or a string in YouTube's case); None when absent."""
    if value is None or value == "":
        return None
    try:
        count = int(value)
    except (TypeError, ValueError):
        return None
    return count if count >= 0 else None


class HttpClient:
    """The one way the platform clients talk HTTP. Subclasses set ``slug`` and ``name`` (the
    name a creator reads in messages) and ``base``."""

    slug = ""
    base = ""
    # HTTP statuses by which the platform says "too many requests" (retried later, not now,
    # except 429 which is retried with backoff) ...
    rate_statuses: frozenset[int] = frozenset({429})
    # ... and by which it says the connection's key or token is refused (reconnect).
    auth_statuses: frozenset[int] = frozenset()

    def __init__(self, *, on_rate_wait: Callable[[float], None] | None = None) -> None:
        self.on_rate_wait = on_rate_wait or (lambda seconds: None)
        self.session = requests.Session()

    @property
    def name(self) -> str:  # pragma: no cover - overridden
        return self.slug

    def carries_error(self, answer: Any) -> bool:
        """Whether a JSON answer holds the platform's own error (code, reason), which the
        client maps to words; a 4xx answer without one is refused by its HTTP status."""
        return False

    def refused(self, status: int) -> PlatformError:
        """A 4xx/5xx answer without the platform's own error, in plain words."""
        from .messages import gettext as _

        names = {"platform": self.name, "status": status}
        if status in self.rate_statuses:
            return PlatformError(
                _("%(platform)s is limiting requests; the next sync tries again.")
                % {"platform": self.name},
                retry=True,
            )
        if status >= 500:
            return PlatformError(
                _("%(platform)s answered %(status)s; the next sync tries again.") % names,
                retry=True,
            )
        if status in self.auth_statuses:
            return PlatformError(
                _(
                    "%(platform)s no longer accepts this connection's key or authorisation "
                    "(HTTP %(status)s): connect the account again."
                )
                % names,
                reauthorise=True,
            )
        return PlatformError(
            _("%(platform)s refused the request (HTTP %(status)s) without saying why.") % names
        )

    def request(self, method: str, path: str, **kwargs) -> Any:
        """JSON of a 2xx answer, or of a 4xx answer that holds the platform's own error (the
        client maps it); any other 4xx/5xx raises :class:`PlatformError` by its status. Retries
        429 and 5xx with backoff and jitter, bounded."""
        from .messages import gettext as _

        attempts = max(1, settings.PLATFORM_HTTP_ATTEMPTS)
        url = path if path.startswith("http") else self.base.rstrip("/") + path
        for attempt in range(attempts):
            waited = platform_rate_wait(self.slug)
            if waited:
                self.on_rate_wait(waited)
            try:
                response = self.session.request(
                    method, url, timeout=settings.PLATFORM_TIMEOUT_SECONDS, **kwargs
                )
            except requests.RequestException:
                if attempt + 1 < attempts:
                    time.sleep(self._retry_after(None, attempt))
                    continue
                raise PlatformError(
                    _("%(platform)s could not be reached; the next sync tries again.")
                    % {"platform": self.name},
                    retry=True,
                ) from None
            status = response.status_code
            if status == 429 or status >= 500:
                if attempt + 1 < attempts:
                    wait = self._retry_after(response, attempt)
                    if status == 429:
                        self.on_rate_wait(wait)
                    time.sleep(wait)
                    continue
                raise self.refused(status)
            try:
                answer = response.json()
            except ValueError:
                if status >= 400:
                    # an HTML error page (Bilibili's 412 ban, a proxy's 403): never a success
                    raise self.refused(status) from None
                raise PlatformError(
                    _("%(platform)s answered something that is not JSON.")
                    % {"platform": self.name},
                    retry=True,
                ) from None
            if status >= 400 and not self.carries_error(answer):
                raise self.refused(status)
            return answer
        raise PlatformError(self.name)  # pragma: no cover

    def _retry_after(self, response, attempt: int) -> float:
        header = response.headers.get("Retry-After") if response is not None else None
        try:
            given = float(header) if header else None
        except ValueError:
            given = None
        base = settings.PLATFORM_BACKOFF_SECONDS * 2**attempt
        wait = given if given is not None else base * (0.5 + random.random())
        return min(wait, settings.PLATFORM_BACKOFF_MAX_SECONDS)
