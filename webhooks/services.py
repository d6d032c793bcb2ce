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

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from core import outbound
from core.services import instance_create, instance_update

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


# --- endpoints -------------------------------------------------------------------------------


def webhook_endpoint_check(*, endpoint: WebhookEndpoint) -> None:
    """A new URL (a new endpoint, or a changed address) must be one CourseReel may connect
    to (``core.outbound``); a ValidationError on ``url`` otherwise. An unchanged URL is not
    checked again here, so an endpoint can still be switched off after the rules tighten;
    every delivery checks its address again anyway."""
    if endpoint.pk is not None:
        stored = WebhookEndpoint.objects.filter(pk=endpoint.pk).values_list("url", flat=True)
        if endpoint.url in stored:
            return
    outbound.url_check(endpoint.url, field="url")


@transaction.atomic
def webhook_endpoint_create(*, owner, data: dict[str, Any]) -> WebhookEndpoint:
    outbound.url_check(data.get("url") or "", field="url")
    return instance_create(model=WebhookEndpoint, data=data, owner=owner)


@transaction.atomic
def webhook_endpoint_update(*, endpoint: WebhookEndpoint, data: dict[str, Any]) -> WebhookEndpoint:
    if "url" in data and data["url"] != endpoint.url:
        outbound.url_check(data["url"] or "", field="url")
    return instance_update(instance=endpoint, data=data)


@transaction.atomic
def webhook_endpoint_save(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """An endpoint whose fields a form has already set (the admin)."""
    webhook_endpoint_check(endpoint=endpoint)
    endpoint.full_clean()
    endpoint.save()
    return endpoint


# --- deliveries ------------------------------------------------------------------------------


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
        _record(
            delivery,
            status_code=None,
            error=WebhookDelivery.Error.ENDPOINT_DISABLED,
            outcome=FAILED,
        )
        return FAILED
    body = webhook_delivery_body(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.pk),
        SIGNATURE_HEADER: webhook_signature(endpoint.secret, body),
    }
    status_code, error, detail = None, "", ""
    try:
        status_code = outbound.outbound_post(
            endpoint.url, body=body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS
        )
    except outbound.OutboundRefused as refused:
        # Unresolvable now: perhaps for a moment. An address that is not allowed: for good.
        detail = refused.reason
        if refused.reason == outbound.UNRESOLVED:
            outcome, error = RETRY, WebhookDelivery.Error.COULD_NOT_CONNECT
        else:
            outcome, error = FAILED, WebhookDelivery.Error.ADDRESS_NOT_ALLOWED
    except outbound.OutboundUnreachable as unreachable:
        outcome, error, detail = RETRY, WebhookDelivery.Error.COULD_NOT_CONNECT, str(unreachable)
    else:
        if 200 <= status_code < 300:
            outcome = SUCCEEDED
        elif status_code >= 500 or status_code == 429:
            outcome, error = RETRY, WebhookDelivery.Error.HTTP_STATUS
        else:
            outcome, error = FAILED, WebhookDelivery.Error.HTTP_STATUS
    if outcome == RETRY and final:
        outcome = FAILED
    _record(delivery, status_code=status_code, error=error, outcome=outcome, detail=detail)
    return outcome


def _record(
    delivery: WebhookDelivery, *, status_code: int | None, error: str, outcome: str, detail=""
):
    """Store the outcome for the creator (a status code and an error class) and log it for
    the operator, with the network error's details the creator does not see."""
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_status_code = status_code
    delivery.last_error = error
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
        "webhook delivery %s (%s → %s) attempt %s: %s, status %s %s %s",
        delivery.pk,
        delivery.event,
        delivery.endpoint.url,
        delivery.attempts,
        outcome,
        status_code,
        error,
        detail[:300],
    )
