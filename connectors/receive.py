"""What push shops send to a receive URL: verified, then read into IncomingSale / Refund.

Stripe's signature is checked with the official ``stripe`` package; a generic shop signs
``"<timestamp>.<raw body>"`` with HMAC-SHA256 (README "Connecting shops").
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs, urlsplit

import stripe
from django.conf import settings
from django.utils.dateparse import parse_datetime

from .services import IncomingSale, Refund, Refused, code_find

# Stripe amounts are in the currency's minor unit; these have none, these have three.
ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
THREE_DECIMAL = frozenset("bhd jod kwd omr tnd".split())
STRIPE_SALE_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")
STRIPE_REFUND_EVENT = "charge.refunded"


class BadRequest(Exception):
    """Answered 400 with this message; the body is never logged."""


def stripe_verify(body: bytes, header: str, secret: str) -> dict[str, Any]:
    try:
        stripe.Webhook.construct_event(
            body, header, secret, tolerance=settings.SALES_SIGNATURE_TOLERANCE_SECONDS
        )
    except ValueError:
        raise BadRequest("The body is not JSON.") from None
    except stripe.SignatureVerificationError:
        raise BadRequest(
            "The Stripe-Signature does not match this connection's signing secret, or its "
            "timestamp is more than 5 minutes old."
        ) from None
    return json.loads(body)


def stripe_amount(minor: int, currency: str) -> Decimal:
    currency = currency.lower()
    if currency in ZERO_DECIMAL:
        return Decimal(minor)
    return Decimal(minor) / (1000 if currency in THREE_DECIMAL else 100)


def _moment(seconds: Any) -> datetime:
    return datetime.fromtimestamp(int(seconds), tz=UTC)


def stripe_session_sale(session: dict[str, Any]) -> IncomingSale:
    metadata = session.get("metadata") or {}
    currency = (session.get("currency") or "").upper()
    utm = ""
    if session.get("success_url"):
        utm = (parse_qs(urlsplit(session["success_url"]).query).get("utm_content") or [""])[0]
    try:
        quantity = max(1, int(metadata.get("coursereel_quantity") or 1))
    except ValueError:
        quantity = 1
    quantity_given = bool(metadata.get("coursereel_quantity"))
    return IncomingSale(
        external_id=session.get("payment_intent") or session["id"],
        sold_at=_moment(session.get("created") or time.time()),
        total=stripe_amount(int(session.get("amount_total") or 0), currency),
        currency=currency,
        quantity=quantity,
        course_slug=str(metadata.get("coursereel_course") or ""),
        tier_name=str(metadata.get("coursereel_tier") or ""),
        tracking_code=code_find(
            session.get("client_reference_id") or "", metadata.get("coursereel_code") or "", utm
        ),
        channel={"stripe_session": session.get("id", "")},
        quantity_given=quantity_given,
    )


def stripe_charge_refunds(charge: dict[str, Any]) -> tuple[str, list[Refund]]:
    """(the sale's key, its refunds): each refund id once, or the charge's running total when
    the event does not list them."""
    currency = charge.get("currency") or ""
    listed = (charge.get("refunds") or {}).get("data") or []
    if listed:
        refunds = [
            Refund(
                refund_id=r["id"],
                amount=stripe_amount(int(r.get("amount") or 0), currency),
                refunded_at=_moment(r.get("created") or time.time()),
            )
            for r in listed
            if r.get("status", "succeeded") == "succeeded"
        ]
    else:
        refunds = [
            Refund(
                refund_id=f"charge:{charge.get('id', '')}",
                amount=stripe_amount(int(charge.get("amount_refunded") or 0), currency),
                refunded_at=_moment(charge.get("created") or time.time()),
                cumulative=True,
            )
        ]
    return charge.get("payment_intent") or charge.get("id", ""), refunds


# --- a generic shop ---------------------------------------------------------------------------


def generic_signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def generic_verify(body: bytes, timestamp: str, signature: str, secret: str) -> dict[str, Any]:
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        raise BadRequest("X-CourseReel-Timestamp must be the Unix time in seconds.") from None
    if abs(time.time() - sent_at) > settings.SALES_SIGNATURE_TOLERANCE_SECONDS:
        raise BadRequest("X-CourseReel-Timestamp is more than 5 minutes from now.")
    expected = generic_signature(secret, timestamp, body)
    if not hmac.compare_digest(expected, (signature or "").strip()):
        raise BadRequest(
            "X-CourseReel-Signature does not match: sha256=<hex HMAC-SHA256 of "
            '"<timestamp>.<raw body>"> with this connection\'s secret.'
        )
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("The body is not JSON.") from None
    if not isinstance(data, dict):
        raise BadRequest("The body must be one JSON object.")
    return data


def _decimal(value: Any, name: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise BadRequest(f"{name} must be a number.") from None
    if not number.is_finite() or number < 0:
        raise BadRequest(f"{name} must be a number of at least 0.")
    return number


def _when(value: Any, name: str) -> datetime:
    moment = parse_datetime(str(value)) if value else None
    if moment is None:
        raise BadRequest(f"{name} must be an ISO 8601 date and time.")
    if moment.tzinfo is None:
        from django.utils import timezone

        moment = timezone.make_aware(moment)
    return moment


def generic_sale(data: dict[str, Any]) -> IncomingSale:
    missing = [
        k
        for k in ("order_id", "sold_at", "course", "unit_price", "currency")
        if not data.get(k) and data.get(k) != 0
    ]
    if missing:
        raise BadRequest("Missing: " + ", ".join(missing) + ".")
    try:
        quantity = int(data.get("quantity") or 1)
    except (TypeError, ValueError):
        raise BadRequest("quantity must be a whole number.") from None
    if quantity < 1:
        raise BadRequest("quantity must be at least 1.")
    currency = str(data["currency"]).upper()
    if len(currency) != 3:
        raise BadRequest("currency must be a three-letter code (CNY, USD …).")
    incoming = IncomingSale(
        external_id=str(data["order_id"])[:80],
        sold_at=_when(data["sold_at"], "sold_at"),
        total=_decimal(data["unit_price"], "unit_price") * quantity,
        currency=currency,
        quantity=quantity,
        course_slug=str(data["course"]),
        tier_name=str(data.get("tier") or ""),
        tracking_code=code_find(str(data.get("tracking_code") or ""))
        or str(data.get("tracking_code") or "")[:300],
        platform=str(data.get("platform") or ""),
    )
    if data.get("refund_amount") not in (None, "", 0, "0"):
        incoming.refunds.append(
            Refund(
                refund_id="total",
                amount=_decimal(data["refund_amount"], "refund_amount"),
                refunded_at=_when(data.get("refunded_at") or data["sold_at"], "refunded_at"),
                cumulative=True,
            )
        )
    return incoming


__all__ = ["BadRequest", "Refused"]
