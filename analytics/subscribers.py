"""Analytics listens to the event hub: a write that changes a creator's data marks their
figures stale in its own transaction and queues one recompute after it commits."""

from __future__ import annotations

from typing import Any

from core.events import AFTER_COMMIT, FIGURE_EVENTS, IN_TRANSACTION, Event, subscribe

from . import services


@subscribe(FIGURE_EVENTS, phase=IN_TRANSACTION)
def figures_stale(*, event: Event, owner_id: int, payload: dict[str, Any]) -> None:
    services.figures_mark_stale(owner_id=owner_id)


@subscribe(FIGURE_EVENTS, phase=AFTER_COMMIT)
def recompute_queue(*, event: Event, owner_id: int, payload: dict[str, Any]) -> None:
    services.metrics_recompute_enqueue_now(owner_id=owner_id, trigger=str(event))
