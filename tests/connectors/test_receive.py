"""Push shops: Stripe's signed events and a generic shop's HMAC, replays, refunds, currencies,
refusals and attribution by tracking code."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from connectors import refusals
from connectors.models import RefusedEvent, SalesConnection
from connectors.services import connection_rates_update
from courses.models import Sale
from tests.factories import VideoFactory
from tracking.services import link_for_video

from .conftest import (
    generic_post,
    receive_path,
    stripe_post,
    stripe_refund_event,
    stripe_session_event,
)

pytestmark = pytest.mark.django_db

ORDER = {
    "order_id": "A-1001",
    "sold_at": "2026-12-01T10:00:00+08:00",
    "course": "python-101",
    "quantity": 1,
    "unit_price": "99.00",
    "currency": "CNY",
}


# --- Stripe ----------------------------------------------------------------------------------


def test_a_paid_checkout_session_records_one_sale_in_major_units(client, stripe_connection, course):
    response = stripe_post(client, stripe_connection, stripe_session_event())
    assert response.status_code == 200, response.content
    sale = Sale.objects.get()
    assert (sale.course, sale.order_ref, sale.unit_price) == (course, "pi_1", Decimal("99.00"))
    assert sale.currency == "CNY" and sale.connection == stripe_connection
    stripe_connection.refresh_from_db()
    assert stripe_connection.sales_created == 1
    assert stripe_connection.status == SalesConnection.Status.OK
    assert stripe_connection.last_event_at is not None


def test_the_same_event_twice_and_the_async_success_are_one_sale(client, stripe_connection, course):
    event = stripe_session_event()
    assert stripe_post(client, stripe_connection, event).json() == {"status": "created"}
    assert stripe_post(client, stripe_connection, event).json() == {"status": "unchanged"}
    later = stripe_session_event(type_="checkout.session.async_payment_succeeded")
    assert stripe_post(client, stripe_connection, later).status_code == 200
    assert Sale.objects.count() == 1


def test_an_unpaid_session_writes_nothing(client, stripe_connection, course):
    event = stripe_session_event(payment_status="unpaid")
    assert stripe_post(client, stripe_connection, event).json() == {"status": "ignored"}
    assert not Sale.objects.exists()


def test_a_session_without_payment_intent_is_keyed_by_its_id(client, stripe_connection, course):
    event = stripe_session_event(payment_intent=None, session_id="cs_only")
    stripe_post(client, stripe_connection, event)
    assert Sale.objects.get().order_ref == "cs_only"


def test_a_tier_comes_from_the_metadata(client, stripe_connection, course, tier):
    stripe_post(client, stripe_connection, stripe_session_event(tier="Pro", amount=19900))
    assert Sale.objects.get().tier == tier


@pytest.mark.parametrize(
    "header",
    ["t=1,v1=deadbeef", "", "garbage"],
)
def test_a_wrong_stripe_signature_is_400_and_writes_nothing(
    client, stripe_connection, course, header, caplog
):
    import json

    raw = json.dumps(stripe_session_event()).encode()
    response = client.post(
        receive_path(stripe_connection), data=raw, content_type="application/json",
        headers={"Stripe-Signature": header},
    )  # fmt: skip
    assert response.status_code == 400
    assert not Sale.objects.exists()
    assert "python-101" not in caplog.text  # logged without the body


def test_a_stale_stripe_timestamp_is_400(client, stripe_connection, course):
    event = stripe_session_event()
    response = stripe_post(client, stripe_connection, event, timestamp=int(time.time()) - 301)
    assert response.status_code == 400
    assert not Sale.objects.exists()


def test_another_secret_is_400(client, stripe_connection, course):
    response = stripe_post(client, stripe_connection, stripe_session_event(), secret="whsec_other")
    assert response.status_code == 400


def test_zero_decimal_currencies_are_respected(client, stripe_connection, course):
    connection_rates_update(connection=stripe_connection, rates={"JPY": "0.048"})
    stripe_post(client, stripe_connection, stripe_session_event(amount=2000, currency="jpy"))
    sale = Sale.objects.get()
    assert sale.original_amount == Decimal("2000.00") and sale.original_currency == "JPY"
    assert sale.unit_price == Decimal("96.00") and sale.exchange_rate == Decimal("0.048")


def test_refunds_partial_then_full_each_once(client, stripe_connection, course):
    stripe_post(client, stripe_connection, stripe_session_event(amount=10000))
    first = stripe_refund_event(refunds=[("re_1", 3000)])
    assert stripe_post(client, stripe_connection, first).json() == {"status": "updated"}
    assert stripe_post(client, stripe_connection, first).json() == {"status": "unchanged"}
    sale = Sale.objects.get()
    assert sale.refund_amount == Decimal("30.00") and sale.refunded_at is not None
    both = stripe_refund_event(refunds=[("re_2", 7000), ("re_1", 3000)])
    stripe_post(client, stripe_connection, both)
    sale.refresh_from_db()
    assert sale.refund_amount == Decimal("100.00")
    assert sorted(sale.refund_ids) == ["re_1", "re_2"]


def test_a_refund_for_an_unknown_payment_is_refused_and_shown(client, stripe_connection, course):
    response = stripe_post(
        client, stripe_connection, stripe_refund_event(payment_intent="pi_x", refunds=[("re_9", 1)])
    )
    assert response.status_code == 422
    assert RefusedEvent.objects.get().external_id == "pi_x"


def test_refund_emits_sale_refunded_to_webhooks(client, stripe_connection, course, creator):
    from webhooks.models import WebhookDelivery, WebhookEndpoint

    WebhookEndpoint.objects.create(
        owner=creator, url="https://hooks.example/x", events=["sale.refunded"], secret="s"
    )
    stripe_post(client, stripe_connection, stripe_session_event(amount=10000))
    stripe_post(client, stripe_connection, stripe_refund_event(refunds=[("re_1", 2500)]))
    delivery = WebhookDelivery.objects.get(event="sale.refunded")
    assert delivery.payload["sales"][0]["refund_amount"] == "25.00"


@pytest.mark.parametrize("where", ["client_reference_id", "metadata", "success_url"])
def test_stripe_attribution_by_tracking_code(client, stripe_connection, course, creator, where):
    video = VideoFactory(owner=creator, course=course)
    code = link_for_video(owner=creator, video=video).code
    printed = f"{code[:3].upper()}-{code[3:].upper()}"
    kwargs = {
        "client_reference_id": {"code": printed},
        "metadata": {},
        "success_url": {"success_url": f"https://shop.example/ok?utm_content={code}"},
    }[where]
    event = stripe_session_event(**kwargs)
    if where == "metadata":
        event["data"]["object"]["metadata"]["coursereel_code"] = code
    stripe_post(client, stripe_connection, event)
    assert Sale.objects.get().tracking_code == code


# --- a generic shop ------------------------------------------------------------------------------


def test_a_signed_order_records_a_sale(client, generic, course):
    response = generic_post(client, generic, ORDER)
    assert response.status_code == 200, response.content
    sale = Sale.objects.get()
    assert (sale.order_ref, sale.unit_price, sale.quantity) == ("A-1001", Decimal("99.00"), 1)


def test_a_replay_is_one_sale_and_a_change_updates_it(client, generic, course):
    generic_post(client, generic, ORDER)
    generic_post(client, generic, ORDER)
    generic_post(client, generic, {**ORDER, "quantity": 2})
    sale = Sale.objects.get()
    assert sale.quantity == 2
    generic.refresh_from_db()
    assert (generic.sales_created, generic.sales_updated) == (1, 1)


@pytest.mark.parametrize(
    "change",
    [{"secret": "crsec_wrong"}, {"offset": -400}, {"offset": 400}, {"timestamp": "yesterday"}],
)
def test_bad_signature_or_stale_timestamp_is_400(client, generic, course, change):
    if "offset" in change:  # computed now, not when the tests were collected
        change = {"timestamp": int(time.time()) + change["offset"]}
    assert generic_post(client, generic, ORDER, **change).status_code == 400
    assert not Sale.objects.exists() and not RefusedEvent.objects.exists()


def test_malformed_json_is_400(client, generic, course):
    response = generic_post(client, generic, b"{not json")
    assert response.status_code == 400 and "JSON" in response.json()["error"]
    assert not Sale.objects.exists()


def test_an_unknown_course_is_stored_as_refused(client, generic, course):
    response = generic_post(client, generic, {**ORDER, "course": "no-such"})
    assert response.status_code == 422
    assert "no-such" in response.json()["reason"] and response.json()["code"] == "no_course"
    refused = RefusedEvent.objects.get()
    assert refused.external_id == "A-1001" and "no-such" in refused.reason
    generic_post(client, generic, {**ORDER, "course": "no-such"})  # a replay is listed once
    assert RefusedEvent.objects.count() == 1
    generic.refresh_from_db()
    assert generic.events_refused == 1 and generic.status == SalesConnection.Status.ERROR
    assert not Sale.objects.exists()


def test_another_currency_without_rate_is_refused_then_converted(client, generic, course):
    order = {**ORDER, "currency": "USD", "unit_price": "14.00", "quantity": 2}
    assert generic_post(client, generic, order).status_code == 422
    refused = RefusedEvent.objects.get()
    assert refused.code == "no_rate" and refused.params == {
        "currency": "USD",
        "course_currency": "CNY",
    }
    assert refused.reason == refusals.MESSAGES["no_rate"] % refused.params
    connection_rates_update(connection=generic, rates={"usd": "7.10"})
    generic.refresh_from_db()
    assert generic_post(client, generic, order).status_code == 200
    sale = Sale.objects.get()
    assert sale.original_amount == Decimal("28.00") and sale.original_currency == "USD"
    assert sale.unit_price == Decimal("99.40") and sale.currency == "CNY"


def test_generic_refund_total_is_applied_once_and_partial(client, generic, course):
    generic_post(client, generic, {**ORDER, "unit_price": "100.00"})
    refund = {
        **ORDER,
        "unit_price": "100.00",
        "refund_amount": "40",
        "refunded_at": "2026-12-02T10:00:00+08:00",
    }
    generic_post(client, generic, refund)
    generic_post(client, generic, refund)
    sale = Sale.objects.get()
    assert sale.refund_amount == Decimal("40.00")
    generic_post(client, generic, {**refund, "refund_amount": "100"})
    sale.refresh_from_db()
    assert sale.refund_amount == Decimal("100.00")


def test_generic_attribution_and_platform(client, generic, course, creator):
    video = VideoFactory(owner=creator, course=course)
    code = link_for_video(owner=creator, video=video).code
    generic_post(client, generic, {**ORDER, "tracking_code": code.upper(), "platform": "douyin"})
    sale = Sale.objects.get()
    assert sale.tracking_code == code and sale.platform.slug == "douyin"


def test_receive_is_post_only_csrf_exempt_and_bounded(client, generic, course, settings):
    assert client.get(receive_path(generic)).status_code == 405
    settings.SALES_RECEIVE_MAX_BYTES = 50
    assert generic_post(client, generic, ORDER).status_code == 413


def test_receive_is_rate_limited_per_connection(
    client, generic, course, creator, settings, monkeypatch
):
    from connectors import ratelimit
    from connectors.services import connection_create

    settings.SALES_RECEIVE_PER_MINUTE = 2
    # The limit counts per clock minute: keep all four requests inside one (a run that crossed
    # a minute boundary started a fresh count and failed).
    now = time.time()
    monkeypatch.setattr(ratelimit.time, "time", lambda: now)
    other, secret = connection_create(owner=creator, kind="generic")
    other.plain_secret = secret
    assert generic_post(client, generic, ORDER).status_code == 200
    assert generic_post(client, generic, ORDER).status_code == 200
    assert generic_post(client, generic, ORDER).status_code == 429
    assert generic_post(client, other, {**ORDER, "order_id": "B"}).status_code == 200


def test_an_unknown_token_is_404(client, course):
    assert (
        client.post("/hooks/sales/nope", data=b"{}", content_type="application/json").status_code
        == 404
    )


def test_a_partial_refund_reduces_the_revenue_the_funnel_counts(client, generic, course):
    from analytics.funnel import sales_frame

    generic_post(client, generic, {**ORDER, "unit_price": "100.00"})
    generic_post(client, generic, {**ORDER, "unit_price": "100.00", "refund_amount": "40"})
    frame = sales_frame([generic.owner_id])
    assert frame["gross_cents"].tolist() == [6000]
