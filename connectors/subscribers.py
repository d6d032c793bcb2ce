"""The connectors listen to the event hub: a "sync now" or "poll now" becomes its task after
commit."""

from __future__ import annotations

from typing import Any

from core.events import AFTER_COMMIT, Event, subscribe


@subscribe(Event.PLATFORM_SYNC_REQUESTED, phase=AFTER_COMMIT)
def platform_sync_enqueue(*, event: Event, owner_id: int, payload: dict[str, Any]) -> None:
    from .tasks import platform_connection_sync

    platform_connection_sync.delay(payload["connection"], True)


@subscribe(Event.SALES_POLL_REQUESTED, phase=AFTER_COMMIT)
def sales_poll_enqueue(*, event: Event, owner_id: int, payload: dict[str, Any]) -> None:
    from .tasks import sales_connection_poll

    sales_connection_poll.delay(payload["connection"])
