"""The event hub: how a write tells the rest of CourseReel what happened.

Domain services announce what they did — ``emit(Event.SALE_RECORDED, owner_id=…, payload=…)``
— and never import the apps that react. Those apps subscribe from their ``AppConfig.ready``:

- *in the transaction* (``IN_TRANSACTION``): the handler runs inside the emitting transaction,
  so what it writes (webhook outbox rows, "these figures are stale") commits or rolls back
  with the write that caused it. A crash after the commit loses nothing.
- *after commit* (``AFTER_COMMIT``): the handler runs once the outermost transaction commits
  and never when it rolls back; this is where tasks are enqueued. A handler that raises is
  logged and does not stop the others (``robust``): the write has already committed.

A payload carries everything its subscribers need (for webhooks, the JSON body the creator
receives), as JSON-ready values. The events and their payloads are listed in README "Layout".
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum
from typing import Any, Protocol

from django.db import transaction

logger = logging.getLogger(__name__)

IN_TRANSACTION = "in_transaction"
AFTER_COMMIT = "after_commit"
PHASES = (IN_TRANSACTION, AFTER_COMMIT)


class Event(StrEnum):
    SALE_RECORDED = "sale.recorded"
    SALE_REFUNDED = "sale.refunded"
    STATS_CHANGED = "stats.changed"
    CLICKS_RECORDED = "clicks.recorded"
    VIDEO_CHANGED = "video.changed"
    COURSE_CHANGED = "course.changed"
    CAMPAIGN_CHANGED = "campaign.changed"
    IMPORT_FINISHED = "import.finished"
    METRICS_RECOMPUTED = "metrics.recomputed"
    SETTINGS_CHANGED = "settings.changed"
    PLATFORM_SYNC_REQUESTED = "platform.sync_requested"
    SALES_POLL_REQUESTED = "sales.poll_requested"


# Events after which the creator's stored figures no longer match their data.
FIGURE_EVENTS = frozenset(
    {
        Event.SALE_RECORDED,
        Event.SALE_REFUNDED,
        Event.STATS_CHANGED,
        Event.CLICKS_RECORDED,
        Event.VIDEO_CHANGED,
        Event.COURSE_CHANGED,
        Event.CAMPAIGN_CHANGED,
        Event.SETTINGS_CHANGED,
    }
)


class Handler(Protocol):
    def __call__(self, *, event: Event, owner_id: int, payload: dict[str, Any]) -> None: ...


_subscribers: dict[str, dict[Event, list[Handler]]] = {phase: defaultdict(list) for phase in PHASES}


def subscribe(events: Event | set[Event] | frozenset[Event], *, phase: str) -> Callable:
    """Decorator: call the handler for each of ``events`` in ``phase``. Registering the same
    function twice (a module imported again) keeps one registration."""
    if phase not in PHASES:
        raise ValueError(f"unknown phase {phase!r}")
    wanted = {events} if isinstance(events, Event) else set(events)

    def register(handler: Handler) -> Handler:
        for event in wanted:
            handlers = _subscribers[phase][Event(event)]
            key = (handler.__module__, handler.__qualname__)
            handlers[:] = [h for h in handlers if (h.__module__, h.__qualname__) != key]
            handlers.append(handler)
        return handler

    return register


_quiet: ContextVar[bool] = ContextVar("coursereel_events_quiet", default=False)


@contextmanager
def quiet() -> Iterator[None]:
    """Writes inside announce nothing: for data that is made up rather than recorded (the demo
    creators), whose caller computes the figures itself and must not send webhooks."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def subscribers(event: Event, phase: str) -> list[Handler]:
    return list(_subscribers[phase].get(Event(event), ()))


def emit(event: Event | str, *, owner_id: int, payload: dict[str, Any] | None = None) -> None:
    """Announce ``event`` for the creator ``owner_id``.

    In-transaction handlers run now, in the caller's transaction (a service emits inside the
    atomic block of its write, so a handler that fails fails the write, and a write rolled
    back takes the handlers' rows with it); called outside one, they get a transaction of
    their own. After-commit handlers run when the outermost transaction commits.
    """
    event = Event(event)
    if _quiet.get():
        return
    payload = dict(payload or {})
    if transaction.get_connection().in_atomic_block:
        _run_in_transaction(event, owner_id, payload)
    else:
        with transaction.atomic():
            _run_in_transaction(event, owner_id, payload)
    for handler in subscribers(event, AFTER_COMMIT):
        transaction.on_commit(
            _bound(handler, event=event, owner_id=owner_id, payload=payload), robust=True
        )


def _run_in_transaction(event: Event, owner_id: int, payload: dict[str, Any]) -> None:
    for handler in subscribers(event, IN_TRANSACTION):
        handler(event=event, owner_id=owner_id, payload=payload)


def _bound(handler: Handler, **kwargs: Any) -> Callable[[], None]:
    def run() -> None:
        handler(**kwargs)

    run.__qualname__ = f"after_commit:{handler.__module__}.{handler.__qualname__}"
    return run
