"""/hooks/sales/<token>: where Stripe and generic shops POST their events."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import receive
from .models import SalesConnection
from .ratelimit import receive_over_limit
from .services import (
    connection_secrets,
    excerpt_of,
    refund_ingest,
    sale_ingest,
)

logger = logging.getLogger(__name__)


def _answer(outcome: str, refusal=None) -> JsonResponse:
    if outcome == "refused":
        # For the shop's developer: the code and the English words (a shop has no language).
        return JsonResponse(
            {
                "status": "refused",
                "code": getattr(refusal, "code", ""),
                "reason": str(refusal or ""),
            },
            status=422,
        )
    return JsonResponse({"status": outcome})


@csrf_exempt
@require_POST
def sales_receive(request: HttpRequest, token: str) -> JsonResponse:
    # One query, no join (the services need the owner's id only), no ORDER BY (unique token).
    try:
        connection = SalesConnection.objects.get(receive_token=token)
    except SalesConnection.DoesNotExist:
        connection = None
    if (
        connection is None
        or connection.kind not in SalesConnection.PUSH_KINDS
        or connection.status == SalesConnection.Status.PAUSED
    ):
        return JsonResponse({"error": "No such receive URL."}, status=404)
    length = int(request.headers.get("Content-Length") or 0)
    if length > settings.SALES_RECEIVE_MAX_BYTES:
        return JsonResponse({"error": "The body is too large."}, status=413)
    if receive_over_limit(connection.pk):
        return JsonResponse({"error": "Too many events this minute; retry later."}, status=429)
    body = request.body
    secret = connection_secrets(connection).get("signing_secret", "")
    try:
        if connection.kind == SalesConnection.Kind.STRIPE:
            outcome = _stripe(connection, body, request.headers.get("Stripe-Signature", ""), secret)
        else:
            data = receive.generic_verify(
                body,
                request.headers.get("X-CourseReel-Timestamp", ""),
                request.headers.get("X-CourseReel-Signature", ""),
                secret,
            )
            outcome = sale_ingest(
                connection=connection, incoming=receive.generic_sale(data), excerpt=excerpt_of(body)
            )
    except receive.BadRequest as error:
        # Never the body: it may carry a buyer's details.
        logger.warning("sales connection %s refused a request: %s", connection.pk, error)
        return JsonResponse({"error": str(error)}, status=400)
    return _answer(outcome, getattr(connection, "last_refusal", None))


def _stripe(connection: SalesConnection, body: bytes, header: str, secret: str) -> str:
    event = receive.stripe_verify(body, header, secret)
    kind = event.get("type", "")
    obj = (event.get("data") or {}).get("object") or {}
    if kind in receive.STRIPE_SALE_EVENTS:
        if obj.get("payment_status") not in ("paid", "no_payment_required"):
            return "ignored"  # async payment: async_payment_succeeded follows
        incoming = receive.stripe_session_sale(obj)
        excerpt = excerpt_of({"type": kind, "id": obj.get("id"), "metadata": obj.get("metadata")})
        return sale_ingest(
            connection=connection,
            incoming=incoming,
            excerpt=excerpt,
            stripe_session_id=str(obj.get("id") or ""),
        )
    if kind == receive.STRIPE_REFUND_EVENT:
        key, refunds = receive.stripe_charge_refunds(obj)
        return refund_ingest(
            connection=connection,
            external_id=key,
            refunds=refunds,
            excerpt=excerpt_of({"type": kind, "id": obj.get("id"), "payment_intent": key}),
        )
    return "ignored"
