"""Webhooks listen to the event hub: each event a creator's endpoint asked for becomes an
outbox row in the emitting transaction, built from the event's payload alone."""

from __future__ import annotations

from typing import Any

from core.events import IN_TRANSACTION, Event, subscribe

from . import services
from .models import Event as WebhookEvent

DELIVERED = frozenset(Event(value) for value in WebhookEvent.values)


@subscribe(DELIVERED, phase=IN_TRANSACTION)
def outbox_write(*, event: Event, owner_id: int, payload: dict[str, Any]) -> None:
    services.webhook_event_emit(owner_id=owner_id, event=str(event), payload=payload)
