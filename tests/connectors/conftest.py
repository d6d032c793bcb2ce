"""Shops as they speak: Stripe's signed events, a generic shop's HMAC, Xiaoe-tech's API on a
local HTTP server (pytest-httpserver)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from decimal import Decimal

import pytest

from connectors.models import SalesConnection
from connectors.receive import generic_signature
from connectors.services import connection_create
from tests.factories import CourseFactory, PriceTierFactory

STRIPE_SECRET = "whsec_test_0123456789abcdef"


@pytest.fixture
def course(creator):
    return CourseFactory(owner=creator, slug="python-101", currency="CNY")


@pytest.fixture
def tier(course):
    return PriceTierFactory(course=course, name="Pro", list_price=Decimal("199.00"))


@pytest.fixture
def generic(creator):
    connection, secret = connection_create(owner=creator, kind="generic")
    connection.plain_secret = secret
    return connection


@pytest.fixture
def stripe_connection(creator):
    connection, _ = connection_create(
        owner=creator, kind="stripe", secrets={"signing_secret": STRIPE_SECRET}
    )
    return connection


def receive_path(connection: SalesConnection) -> str:
    return f"/hooks/sales/{connection.receive_token}"


def generic_post(client, connection, body: dict | bytes, *, secret=None, timestamp=None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = generic_signature(secret or connection.plain_secret, timestamp, raw)
    return client.post(
        receive_path(connection),
        data=raw,
        content_type="application/json",
        headers={"X-CourseReel-Timestamp": timestamp, "X-CourseReel-Signature": signature},
    )


def stripe_header(raw: bytes, *, secret=STRIPE_SECRET, timestamp=None) -> str:
    """Stripe-Signature as Stripe computes it: t=<unix>,v1=<hex HMAC-SHA256 of "t.payload">."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def stripe_post(client, connection, event: dict, **kwargs):
    raw = json.dumps(event).encode()
    return client.post(
        receive_path(connection),
        data=raw,
        content_type="application/json",
        headers={"Stripe-Signature": stripe_header(raw, **kwargs)},
    )


def stripe_session_event(
    *,
    session_id="cs_test_1",
    payment_intent="pi_1",
    amount=9900,
    currency="cny",
    course="python-101",
    tier=None,
    code=None,
    success_url=None,
    type_="checkout.session.completed",
    payment_status="paid",
) -> dict:
    metadata = {"coursereel_course": course}
    if tier:
        metadata["coursereel_tier"] = tier
    return {
        "id": f"evt_{session_id}",
        "object": "event",
        "type": type_,
        "created": int(time.time()),
        "data": {
            "object": {
                "id": session_id,
                "object": "checkout.session",
                "amount_total": amount,
                "currency": currency,
                "created": 1764547200,
                "payment_intent": payment_intent,
                "payment_status": payment_status,
                "client_reference_id": code,
                "metadata": metadata,
                "success_url": success_url or "https://shop.example/thanks",
            }
        },
    }  # fmt: skip


def stripe_refund_event(*, payment_intent="pi_1", refunds=(), currency="cny", amount_refunded=0):
    return {
        "id": "evt_refund",
        "object": "event",
        "type": "charge.refunded",
        "data": {
            "object": {
                "id": "ch_1",
                "object": "charge",
                "payment_intent": payment_intent,
                "currency": currency,
                "amount_refunded": amount_refunded,
                "created": 1764550800,
                "refunds": {
                    "object": "list",
                    "data": [
                        {"id": rid, "amount": amt, "created": 1764550800, "status": "succeeded"}
                        for rid, amt in refunds
                    ],
                },
            }
        },
    }


@pytest.fixture
def platform_servers(settings, httpserver):
    """Every platform's base URL at the test's local HTTP server, the OAuth apps configured,
    backoff short and no request budget: what the platform connector tests share."""
    base = httpserver.url_for("").rstrip("/")
    settings.BILIBILI_API_BASE = base
    settings.YOUTUBE_API_BASE = base
    settings.DOUYIN_API_BASE = base
    settings.KUAISHOU_API_BASE = base
    settings.DOUYIN_CLIENT_KEY, settings.DOUYIN_CLIENT_SECRET = "ck", "cs"
    settings.KUAISHOU_APP_ID, settings.KUAISHOU_APP_SECRET = "ka", "ks"
    settings.PLATFORM_BACKOFF_SECONDS = 0.01
    settings.PLATFORM_RATE_PER_SECOND = {}
    return base
