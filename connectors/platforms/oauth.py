"""What the OAuth platforms (Douyin, Kuaishou) share: the tokens an authorisation gives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone


@dataclass
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: datetime | None
    open_id: str = ""

    @classmethod
    def from_answer(cls, data: dict, *, open_id: str = "") -> Tokens:
        expires_in = data.get("expires_in")
        try:
            seconds = int(expires_in) if expires_in is not None else None
        except (TypeError, ValueError):
            seconds = None
        return cls(
            access_token=str(data.get("access_token") or ""),
            refresh_token=str(data.get("refresh_token") or ""),
            expires_at=timezone.now() + timedelta(seconds=seconds) if seconds else None,
            open_id=str(data.get("open_id") or open_id or ""),
        )


TokensSaved = Callable[[Tokens], None]
