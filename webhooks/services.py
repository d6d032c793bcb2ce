"""Emit events to a creator's webhook endpoints and send each delivery, signed.

Deliveries are rows first and HTTP later: ``webhook_event_emit`` writes one row per interested
endpoint inside the caller's transaction and enqueues the sending only after it commits, so a
rolled-back sale never reaches a receiver and a receiver never hears of a row it cannot read.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .models import Event, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-CourseReel-Signature"
EVENT_HEADER = "X-CourseReel-Event"
DELIVERY_HEADER = "X-CourseReel-Delivery"
USER_AGENT = "CourseReel-Webhooks/1"

SUCCEEDED = "succeeded"
FAILED = "failed"
RETRY = "retry"


def webhook_signature(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of the raw body>``, the value of X-CourseReel-Signature."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def webhook_event_emit(*, owner_id: int, event: str, payload: dict[str, Any]) -> list[int]:
    """Record a delivery of ``event`` for each of the creator's active endpoints that want it
    and send them once the current transaction commits. Returns the delivery ids.

    Without endpoints nothing is written and nothing is enqueued, so callers may emit freely.
    """
    if event not in Event.values:
        raise ValueError(f"unknown webhook event {event!r}")
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(owner_id=owner_id, active=True)
        if endpoint.wants(event)
    ]
    if not endpoints:
        return []
    data = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    deliveries = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(endpoint=endpoint, event=event, payload=data) for endpoint in endpoints]
    )
    ids = [delivery.pk for delivery in deliveries]

    def enqueue() -> None:
        from .tasks import webhook_deliver

        for delivery_id in ids:
            webhook_deliver.delay(delivery_id)

    transaction.on_commit(enqueue, robust=True)
    return ids


def webhook_delivery_body(delivery: WebhookDelivery) -> bytes:
    """The exact bytes sent (and signed); the same on every attempt of one delivery."""
    envelope = {
        "id": delivery.pk,
        "event": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


def webhook_delivery_attempt(*, delivery_id: int, final: bool) -> str | None:
    """POST a pending delivery once and record the outcome.

    Returns ``succeeded``, ``failed`` (a 4xx answer, a disabled endpoint, or the last attempt
    failing) or ``retry`` (network error, 429 or 5xx, and attempts remain); None when the
    delivery is gone or already finished, so running the task twice sends nothing twice.
    """
    delivery = (
        WebhookDelivery.objects.select_related("endpoint")
        .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
        .first()
    )
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    if not endpoint.active:
        _record(delivery, status_code=None, error="endpoint disabled", outcome=FAILED)
        return FAILED
    body = webhook_delivery_body(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.pk),
        SIGNATURE_HEADER: webhook_signature(endpoint.secret, body),
    }
    status_code, error = None, ""
    try:
        response = requests.post(
            endpoint.url,
            data=body,
            headers=headers,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"
        outcome = RETRY
    else:
        status_code = response.status_code
        if 200 <= status_code < 300:
            outcome = SUCCEEDED
        elif status_code >= 500 or status_code == 429:
            outcome, error = RETRY, response.text[:500]
        else:
            outcome, error = FAILED, response.text[:500]
    if outcome == RETRY and final:
        outcome = FAILED
    _record(delivery, status_code=status_code, error=error, outcome=outcome)
    return outcome


def _record(delivery: WebhookDelivery, *, status_code: int | None, error: str, outcome: str):
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_status_code = status_code
    delivery.last_error = error[:2000]
    delivery.last_attempt_at = now
    if outcome == SUCCEEDED:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.delivered_at = now
    elif outcome == FAILED:
        delivery.status = WebhookDelivery.Status.FAILED
    delivery.save(
        update_fields=[
            "attempts",
            "last_status_code",
            "last_error",
            "last_attempt_at",
            "status",
            "delivered_at",
            "updated_at",
        ]
    )
    log = logger.info if outcome == SUCCEEDED else logger.warning
    log(
        "webhook delivery %s (%s → %s) attempt %s: %s, status %s %s",
        delivery.pk,
        delivery.event,
        delivery.endpoint.url,
        delivery.attempts,
        outcome,
        status_code,
        error[:200],
    )
