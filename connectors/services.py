"""Writes for shop connections: creating them, and turning what a shop sends into sales.

Every sale goes through the one sale service (``courses.services.sale_record_external`` /
``sale_refund``); this module only finds the course, converts the currency and keeps the
connection's counts, last error and refused events.
"""

from __future__ import annotations

import json
import logging
import re
import secrets as random_secrets
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import jobs
from core.codes import code_normalize, is_code
from core.events import Event, emit
from courses.models import Course, PriceTier
from courses.services import sale_record_external, sale_refund
from videos.models import Platform

from . import refusals
from .models import RefusedEvent, SalesConnection
from .platform_services import secret_hint

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
EXCERPT_CHARS = 400
# Which secrets each kind keeps, and which of them the creator must give.
SECRET_FIELDS = {
    SalesConnection.Kind.STRIPE: ("signing_secret", "restricted_key"),
    SalesConnection.Kind.XIAOE: ("app_id", "client_id", "client_secret"),
    SalesConnection.Kind.GENERIC: ("signing_secret",),
}
REQUIRED_SECRETS = {
    SalesConnection.Kind.STRIPE: ("signing_secret",),
    SalesConnection.Kind.XIAOE: ("app_id", "client_id", "client_secret"),
    SalesConnection.Kind.GENERIC: (),
}


class Refused(Exception):
    """What a shop sent and CourseReel keeps as a refused event: a code and its parameters
    (connectors/refusals.py); ``str()`` is the English text stored with it."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = {name: str(value) for name, value in params.items()}
        super().__init__(refusals.message(code, self.params, translate=False))


@dataclass
class Refund:
    refund_id: str
    amount: Decimal  # in the sale's original currency
    refunded_at: datetime
    cumulative: bool = False


@dataclass
class IncomingSale:
    """A sale as one shop described it, before the course and currency are resolved."""

    external_id: str
    sold_at: datetime
    total: Decimal  # what the buyer paid for all units, in ``currency`` (major units)
    currency: str
    quantity: int = 1
    course_slug: str = ""
    tier_name: str = ""
    course_id: int | None = None  # a mapping names the course by id (Xiaoe-tech)
    tier_id: int | None = None
    tracking_code: str = ""
    platform: str = ""
    channel: dict[str, Any] = field(default_factory=dict)
    refunds: list[Refund] = field(default_factory=list)
    quantity_given: bool = True  # False: the shop did not say (Stripe without metadata)


# --- connections -----------------------------------------------------------------------------


def connection_secrets(connection: SalesConnection) -> dict[str, str]:
    return json.loads(connection.secrets) if connection.secrets else {}


def _secrets_set(connection: SalesConnection, values: dict[str, str]) -> None:
    connection.secrets = json.dumps(values, sort_keys=True)


def generic_secret_new() -> str:
    return "crsec_" + random_secrets.token_urlsafe(32)


def _clean_secrets(kind: str, given: dict[str, Any], *, current: dict[str, str]) -> dict:
    allowed = SECRET_FIELDS[kind]
    values = dict(current)
    values.update({k: str(v).strip() for k, v in given.items() if k in allowed and v})
    errors = {
        name: "This field is required." for name in REQUIRED_SECRETS[kind] if not values.get(name)
    }
    signing = values.get("signing_secret", "")
    if kind == SalesConnection.Kind.STRIPE and signing and not signing.startswith("whsec_"):
        errors["signing_secret"] = (
            "Stripe's signing secret starts with whsec_ (Developers › Webhooks)."
        )
    restricted = values.get("restricted_key", "")
    if kind == SalesConnection.Kind.STRIPE and restricted and not restricted.startswith("rk_"):
        errors["restricted_key"] = _(
            "Paste a restricted key (rk_…) that may only read Checkout Sessions, never the "
            "secret key."
        )
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def connection_create(
    *, owner, kind: str, name: str = "", secrets: dict[str, Any] | None = None
) -> tuple[SalesConnection, str | None]:
    """A new connection. For a generic shop CourseReel makes the signing secret and returns it
    (shown once); Stripe's and Xiaoe-tech's secrets are the creator's to paste."""
    if kind not in SalesConnection.Kind.values:
        raise ValidationError({"kind": _("Choose stripe, xiaoe or generic.")})
    given = dict(secrets or {})
    shown = None
    if kind == SalesConnection.Kind.GENERIC:
        shown = given["signing_secret"] = generic_secret_new()
    connection = SalesConnection(owner=owner, kind=kind, name=name.strip()[:100])
    _secrets_set(connection, _clean_secrets(kind, given, current={}))
    connection.full_clean()
    connection.save()
    return connection, shown


@transaction.atomic
def connection_rotate_secret(
    *, connection: SalesConnection, secrets: dict[str, Any] | None = None
) -> str | None:
    """A generic shop gets a new signing secret (returned, shown once; the old one stops
    working); Stripe and Xiaoe-tech take the new secrets the creator pastes."""
    given = dict(secrets or {})
    shown = None
    if connection.kind == SalesConnection.Kind.GENERIC:
        shown = given["signing_secret"] = generic_secret_new()
    elif not any(given.get(name) for name in SECRET_FIELDS[connection.kind]):
        raise ValidationError({"secrets": _("Paste the new secret.")})
    _secrets_set(
        connection,
        _clean_secrets(connection.kind, given, current=connection_secrets(connection)),
    )
    connection.last_error = ""
    connection.save(update_fields=["secrets", "last_error", "updated_at"])
    return shown


def _rate(value: Any) -> Decimal:
    try:
        rate = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError("A rate is a number above 0, e.g. 7.10.") from None
    if not rate.is_finite() or rate <= 0:
        raise ValidationError("A rate is a number above 0, e.g. 7.10.")
    return rate


def connection_rates_update(*, connection: SalesConnection, rates: dict[str, Any]) -> None:
    """Per-currency rates: how many of the course's currency one unit of that currency is.
    An empty value removes the rate."""
    cleaned = {}
    for code, value in rates.items():
        code = str(code).strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise ValidationError({"currency_rates": f"{code!r} is not a three-letter currency."})
        if value in (None, ""):
            continue
        try:
            cleaned[code] = str(_rate(value))
        except ValidationError as error:
            raise ValidationError({"currency_rates": f"{code}: {error.messages[0]}"}) from None
    connection.currency_rates = cleaned
    connection.save(update_fields=["currency_rates", "updated_at"])


def _mapping_clean(owner, mapping: dict[str, Any], field: str) -> dict[str, dict]:
    """{"<goods or price>": {"course": id, "tier": id|None}}: every course and tier the
    creator's own, the tier of that course."""
    cleaned: dict[str, dict[str, int | None]] = {}
    try:
        wanted = {int(v["course"]) for v in mapping.values() if v and v.get("course")}
    except (TypeError, ValueError, AttributeError):
        raise ValidationError({field: _("Choose one of your own courses.")}) from None
    courses = Course.objects.owned_by(owner).in_bulk(wanted)
    tiers = {
        tier.pk: tier.course_id
        for tier in PriceTier.objects.filter(course__in=courses.values()).only("id", "course")
    }
    for key, target in mapping.items():
        if not target or not target.get("course"):
            continue
        course = courses.get(int(target["course"]))
        if course is None:
            raise ValidationError({field: _("Choose one of your own courses.")})
        tier_id = target.get("tier") or None
        if tier_id and tiers.get(int(tier_id)) != course.pk:
            raise ValidationError({field: _("The tier must belong to the same course.")})
        cleaned[str(key).strip()] = {"course": course.pk, "tier": int(tier_id) if tier_id else None}
    return cleaned


def connection_mapping_update(*, connection: SalesConnection, mapping: dict[str, Any]) -> None:
    """Xiaoe-tech goods → the creator's course (and tier). Every course and tier must be the
    creator's own; mapped goods leave the unmatched list and the next poll reads the window
    again, so orders refused for them become sales."""
    cleaned = _mapping_clean(connection.owner, mapping, "goods_mapping")
    connection.goods_mapping = cleaned
    connection.unmatched_goods = {
        key: name for key, name in connection.unmatched_goods.items() if key not in cleaned
    }
    connection.poll_cursor = None
    connection.save(update_fields=["goods_mapping", "unmatched_goods", "poll_cursor", "updated_at"])


def connection_price_mapping_update(
    *, connection: SalesConnection, mapping: dict[str, Any]
) -> None:
    """Stripe price ids (price_…) → the creator's course and tier, read from a session's line
    items when the connection has a restricted key. Mapped prices leave the unmatched list;
    a refused event is recorded when Stripe resends it (or the creator resends it)."""
    if connection.kind != SalesConnection.Kind.STRIPE:
        raise ValidationError({"price_mapping": _("Only Stripe connections map prices.")})
    cleaned = _mapping_clean(connection.owner, mapping, "price_mapping")
    connection.price_mapping = cleaned
    connection.unmatched_prices = {
        key: name for key, name in connection.unmatched_prices.items() if key not in cleaned
    }
    connection.save(update_fields=["price_mapping", "unmatched_prices", "updated_at"])


def connection_secret_hints(connection: SalesConnection) -> dict[str, str]:
    """What the page and the API show of each stored secret: its last four characters."""
    return {name: secret_hint(value) for name, value in connection_secrets(connection).items()}


def connection_delete(*, connection: SalesConnection) -> None:
    """Its sales stay (revenue is history); they only lose the link to the connection."""
    connection.delete()


# --- what a shop sends ------------------------------------------------------------------------


def excerpt_of(raw: bytes | str | dict) -> str:
    text = (
        raw
        if isinstance(raw, str)
        else (
            json.dumps(raw, ensure_ascii=False, default=str)
            if isinstance(raw, dict)
            else raw.decode("utf-8", "replace")
        )
    )
    return text[:EXCERPT_CHARS]


def refused_record(
    *, connection: SalesConnection, refusal: Refused, external_id: str = "", excerpt: str = ""
) -> RefusedEvent:
    """Keep what was refused, once per (order, reason): a replay or the next poll of the same
    order does not list it again. The code and its parameters are kept with the English text,
    so the page and the API say it in the reader's language."""
    reason = str(refusal)[:300]
    connection.last_refusal = refusal  # what the receive URL answers with
    existing = RefusedEvent.objects.filter(
        connection=connection, external_id=external_id[:120], code=refusal.code, reason=reason
    ).first()
    if existing is not None and external_id:
        return existing
    event = RefusedEvent.objects.create(
        connection=connection,
        reason=reason,
        code=refusal.code,
        params=refusal.params,
        external_id=external_id[:120],
        excerpt=excerpt,
    )
    SalesConnection.objects.filter(pk=connection.pk).update(
        events_refused=F("events_refused") + 1,
        last_error=reason,
        last_error_code=refusal.code,
        last_error_params=refusal.params,
        status=SalesConnection.Status.ERROR,
    )
    return event


def _validation_refusal(error: ValidationError) -> Refused:
    """A sale the model's rules refuse: the order reference another connection holds has a code
    of its own; anything else is "invalid" with the rules' words as its details."""
    if hasattr(error, "error_dict"):
        for errors in error.error_dict.values():
            for item in errors:
                if item.code == "order_ref_taken":
                    return Refused("order_ref_taken", **(item.params or {}))
        details = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
    else:
        details = " ".join(error.messages)
    return Refused("invalid", details=details)


def code_find(*values: str) -> str:
    """The first tracking code in ``values``: a code as printed (K7M-3XPQ), an /r/ link, a URL
    with utm_content, or a code inside free text (an order remark)."""
    for value in values:
        value = (value or "").strip()
        if not value:
            continue
        normalized = code_normalize(value)
        if is_code(normalized):
            return normalized
        for candidate in re.findall(r"[A-Za-z0-9]{3}[-\s]?[A-Za-z0-9]{4}", value):
            folded = code_normalize(candidate)
            if is_code(folded):
                return folded
    return ""


def _course_and_tier(
    connection: SalesConnection, incoming: IncomingSale, found: dict | None = None
):
    """One query for the course (the creator's own, by id or slug) and one for a named tier;
    ``get`` rather than ``first``: no ORDER BY for a row that is unique anyway. ``found``
    keeps what one poll already read (its orders are mostly of a few goods)."""
    key = (incoming.course_id, incoming.course_slug, incoming.tier_id, incoming.tier_name)
    if found is not None and key in found:
        return found[key]
    courses = Course.objects.filter(owner_id=connection.owner_id)
    if incoming.course_id is not None:
        lookup = {"pk": incoming.course_id}
    elif incoming.course_slug:
        lookup = {"slug": incoming.course_slug}
    else:
        raise Refused("no_course_given")
    try:
        course = courses.get(**lookup)
    except Course.DoesNotExist:
        raise Refused("no_course", slug=incoming.course_slug or incoming.course_id) from None
    tier = None
    if incoming.tier_id is not None:
        tier = PriceTier.objects.filter(pk=incoming.tier_id, course=course).first()
    elif incoming.tier_name:
        tier = PriceTier.objects.filter(course=course, name=incoming.tier_name).first()
        if tier is None:
            raise Refused("no_tier", course=course.slug, tier=incoming.tier_name)
    if found is not None:
        found[key] = (course, tier)
    return course, tier


def _conversion(connection: SalesConnection, currency: str, course: Course) -> Decimal | None:
    """The rate into the course's currency; None when it is the same currency."""
    currency = currency.upper()
    if currency == course.currency.upper():
        return None
    rate = connection.currency_rates.get(currency)
    if rate is None:
        raise Refused("no_rate", currency=currency, course_currency=course.currency.upper())
    return Decimal(str(rate))


def stripe_prices_resolve(
    *, connection: SalesConnection, incoming: IncomingSale, session_id: str
) -> None:
    """A Stripe session's course and tier from its line items' price ids, when the connection
    keeps a restricted key and the metadata names no tier (the metadata wins when it does).

    Prices no mapping names are listed on the connection, never guessed: with a course in the
    metadata the sale is recorded without a tier, without one it is refused until they are
    mapped. Called before the sale's transaction (it asks Stripe)."""
    from .stripe_items import StripeReadError, session_line_items

    key = connection_secrets(connection).get("restricted_key", "")
    if not key or incoming.tier_name or not session_id:
        return
    try:
        items = session_line_items(key=key, session_id=session_id)
    except StripeReadError as error:
        if incoming.course_slug:
            return  # the metadata's course still holds; the tier stays unknown
        raise Refused("line_items_unread", error=str(error)) from None
    targets = {}
    unmatched = {}
    for item in items:
        target = connection.price_mapping.get(item.price_id)
        if target:
            targets.setdefault((target["course"], target.get("tier")), []).append(item)
        else:
            unmatched[item.price_id] = item.name
    if unmatched:
        merged = {**connection.unmatched_prices, **unmatched}
        SalesConnection.objects.filter(pk=connection.pk).update(unmatched_prices=merged)
        connection.unmatched_prices = merged
    if len(targets) > 1:
        raise Refused(
            "prices_several",
            prices=", ".join(i.price_id for group in targets.values() for i in group),
        )
    if not targets:
        if incoming.course_slug:
            return
        raise Refused("prices_not_mapped", prices=", ".join(sorted(unmatched)) or "-")
    (course_id, tier_id), mapped = next(iter(targets.items()))
    incoming.course_id, incoming.tier_id = int(course_id), tier_id
    if not incoming.quantity_given:
        incoming.quantity = sum(item.quantity for item in mapped)


def sale_ingest(
    *,
    connection: SalesConnection,
    incoming: IncomingSale,
    excerpt: str = "",
    found: dict | None = None,
    stripe_session_id: str = "",
) -> str:
    """One sale from a shop: created, updated, unchanged, or refused (kept with its reason).
    Refunds it carries are applied once each. ``stripe_session_id``: a Stripe checkout
    session whose line items may name the course and tier (asked before the transaction)."""
    try:
        if stripe_session_id:
            stripe_prices_resolve(
                connection=connection, incoming=incoming, session_id=stripe_session_id
            )
        with transaction.atomic():
            outcome = _sale_ingest(connection, incoming, found)
            # The connection's counts in the sale's transaction (one commit per event), last,
            # so the connection's row is locked only for the commit.
            _connection_heard(connection, outcome)
    except Refused as refusal:
        refused_record(
            connection=connection,
            refusal=refusal,
            external_id=incoming.external_id,
            excerpt=excerpt,
        )
        return "refused"
    except ValidationError as error:
        refused_record(
            connection=connection,
            refusal=_validation_refusal(error),
            external_id=incoming.external_id,
            excerpt=excerpt,
        )
        return "refused"
    return outcome


def _sale_ingest(connection: SalesConnection, incoming: IncomingSale, found=None) -> str:
    course, tier = _course_and_tier(connection, incoming, found)
    rate = _conversion(connection, incoming.currency, course)
    if incoming.total < 0 or incoming.quantity < 1:
        raise Refused("bad_amount", value=incoming.total)
    total = incoming.total if rate is None else (incoming.total * rate)
    platform = None
    if incoming.platform:
        platform = Platform.objects.filter(slug=incoming.platform).first()
    data = {
        "course": course,
        "tier": tier,
        "platform": platform,
        "quantity": incoming.quantity,
        "unit_price": (total / incoming.quantity).quantize(CENT),
        "sold_at": incoming.sold_at,
        "tracking_code": incoming.tracking_code,
        "currency": course.currency.upper(),
        "original_amount": None if rate is None else incoming.total.quantize(CENT),
        "original_currency": "" if rate is None else incoming.currency.upper(),
        "exchange_rate": rate,
        "channel": incoming.channel,
    }
    sale, outcome = sale_record_external(
        owner_id=connection.owner_id,
        connection_id=connection.pk,
        external_id=incoming.external_id,
        data=data,
    )
    refunded = _refunds_apply(sale, incoming.refunds)
    if outcome == "unchanged" and refunded:
        outcome = "updated"
    return outcome


def _refunds_apply(sale, refunds: list[Refund]) -> bool:
    changed = False
    for refund in refunds:
        amount = refund.amount
        if sale.exchange_rate is not None:
            amount = amount * sale.exchange_rate
        changed |= sale_refund(
            sale=sale,
            refund_id=refund.refund_id,
            amount=amount,
            refunded_at=refund.refunded_at,
            cumulative=refund.cumulative,
        )
    return changed


def refund_ingest(
    *, connection: SalesConnection, external_id: str, refunds: list[Refund], excerpt: str = ""
) -> str:
    """Refunds of an order that arrive on their own (Stripe's charge.refunded)."""
    sale = connection.sales.filter(order_ref=external_id).first()
    if sale is None:
        refused_record(
            connection=connection,
            refusal=Refused("no_sale_for_refund", order=external_id),
            external_id=external_id,
            excerpt=excerpt,
        )
        return "refused"
    outcome = "updated" if _refunds_apply(sale, refunds) else "unchanged"
    _connection_heard(connection, outcome)
    return outcome


def _connection_heard(connection: SalesConnection, outcome: str) -> None:
    counts = {}
    if outcome == "created":
        counts["sales_created"] = F("sales_created") + 1
    elif outcome == "updated":
        counts["sales_updated"] = F("sales_updated") + 1
    SalesConnection.objects.filter(pk=connection.pk).update(
        last_event_at=timezone.now(),
        status=SalesConnection.Status.OK,
        last_error="",
        last_error_code="",
        last_error_params={},
        **counts,
    )


# --- pull connections (Xiaoe-tech) ------------------------------------------------------------

REMARK_FIELDS = ("order_remarks", "remarks", "remark", "buyer_remark")
CHANNEL_FIELDS = ("channel_type", "channel_bus_id", "share_user_id")


def xiaoe_order_sale(connection: SalesConnection, order: dict[str, Any]) -> IncomingSale | None:
    """The sale an order describes, None when it is not paid; goods no mapping names are
    listed on the connection and refused (never guessed)."""
    from .xiaoe import xiaoe_parse_time

    paid_at = xiaoe_parse_time(order.get("pay_state_time") or "")
    if paid_at is None:
        return None
    resource = str(order.get("resource_id") or "")
    goods = str(order.get("goods_name") or "")
    target = connection.goods_mapping.get(resource) or connection.goods_mapping.get(goods)
    order_id = str(order.get("order_id") or "")
    if not target:
        if resource or goods:
            SalesConnection.objects.filter(pk=connection.pk).update(
                unmatched_goods={**connection.unmatched_goods, resource or goods: goods}
            )
            connection.unmatched_goods = {**connection.unmatched_goods, resource or goods: goods}
        raise Refused("not_mapped", goods=goods, resource=resource or "-")
    channel = {name: order[name] for name in CHANNEL_FIELDS if order.get(name) not in (None, "")}
    incoming = IncomingSale(
        external_id=order_id,
        sold_at=paid_at,
        total=Decimal(int(order.get("actual_fee") or 0)) / 100,
        currency="CNY",
        quantity=max(1, int(order.get("count") or order.get("buy_num") or 1)),
        course_id=int(target["course"]),
        tier_id=target.get("tier"),
        tracking_code=code_find(
            str(order.get("channel_bus_id") or ""),
            *(str(order.get(f) or "") for f in REMARK_FIELDS),
        ),
        channel=channel,
    )
    if int(order.get("refund_fee") or 0) > 0:
        incoming.refunds.append(
            Refund(
                refund_id="total",
                amount=Decimal(int(order["refund_fee"])) / 100,
                refunded_at=xiaoe_parse_time(order.get("refund_time") or "") or timezone.now(),
                cumulative=True,
            )
        )
    return incoming


def connection_poll(*, connection: SalesConnection) -> dict[str, int]:
    """Ask Xiaoe-tech for the orders updated since the last poll and record them; safe to
    run twice (orders are keyed by their id). Returns the outcomes counted."""
    from datetime import timedelta

    from django.conf import settings

    from .xiaoe import XiaoeClient, XiaoeError

    if connection.kind != SalesConnection.Kind.XIAOE:
        raise ValidationError("Only Xiaoe-tech connections are polled; the others push.")
    values = connection_secrets(connection)
    client = XiaoeClient(
        app_id=values.get("app_id", ""),
        client_id=values.get("client_id", ""),
        secret_key=values.get("client_secret", ""),
        cache_key=f"xiaoe-token:{connection.pk}",
    )
    now = timezone.now()
    since = connection.poll_cursor or now - timedelta(days=settings.SALES_POLL_LOOKBACK_DAYS)
    since -= timedelta(minutes=5)  # overlap: an order updated during the last poll is read again
    counts: dict[str, int] = {}
    found: dict = {}  # the courses and tiers this poll has read, once each
    try:
        for order in client.orders(since=since, until=now):
            excerpt = excerpt_of(
                {
                    k: order.get(k)
                    for k in (
                        "order_id",
                        "goods_name",
                        "resource_id",
                        "actual_fee",
                        "pay_state_time",
                    )
                }
            )
            try:
                incoming = xiaoe_order_sale(connection, order)
            except Refused as refusal:
                refused_record(
                    connection=connection,
                    refusal=refusal,
                    external_id=str(order.get("order_id") or ""),
                    excerpt=excerpt,
                )
                counts["refused"] = counts.get("refused", 0) + 1
                continue
            if incoming is None:
                continue
            outcome = sale_ingest(
                connection=connection, incoming=incoming, excerpt=excerpt, found=found
            )
            counts[outcome] = counts.get(outcome, 0) + 1
    except XiaoeError as error:
        SalesConnection.objects.filter(pk=connection.pk).update(
            last_poll_at=now,
            last_error=str(error)[:300],
            last_error_code=error.code,
            last_error_params=error.params,
            status=SalesConnection.Status.ERROR,
        )
        raise
    updates = {"last_poll_at": now, "poll_cursor": now}
    if not counts.get("refused"):
        updates.update(
            last_error="",
            last_error_code="",
            last_error_params={},
            status=SalesConnection.Status.OK,
        )
    SalesConnection.objects.filter(pk=connection.pk).update(**updates)
    return counts


# --- a poll that runs now: claimed on the row, a heartbeat while it runs, a reaper after -------


def _poll_free(now) -> Q:
    return Q(poll_started_at__isnull=True) | Q(poll_heartbeat_at__lt=jobs.stale_before(now))


def connection_poll_claim(*, connection_id: int) -> datetime | None:
    """Claim the connection for one poll: one conditional UPDATE, so two workers (on any
    machine) never poll it at once. A claim whose heartbeat went stale (its worker was
    killed) is taken over. Returns the claim (its start), None when a live poll holds it."""
    now = timezone.now()
    held = (
        SalesConnection.objects.filter(pk=connection_id, poll_started_at__isnull=False)
        .values_list("poll_heartbeat_at", "poll_worker")
        .first()
    )
    if held is not None and (
        held[0] is None or held[0] >= jobs.stale_before(now) or not jobs.may_be_dead(held[1])
    ):
        return None
    claimed = SalesConnection.objects.filter(_poll_free(now), pk=connection_id).update(
        poll_started_at=now, poll_heartbeat_at=now, poll_worker=jobs.worker_name()
    )
    return now if claimed else None


def connection_poll_beat(*, connection_id: int, claim: datetime) -> int:
    """The running poll's heartbeat; 0 when its claim was settled by the reaper."""
    return SalesConnection.objects.filter(pk=connection_id, poll_started_at=claim).update(
        poll_heartbeat_at=timezone.now()
    )


def connection_poll_release(*, connection_id: int, claim: datetime) -> None:
    SalesConnection.objects.filter(pk=connection_id, poll_started_at=claim).update(
        poll_started_at=None, poll_heartbeat_at=None, poll_worker=""
    )


def connection_poll_guarded(*, connection: SalesConnection) -> dict[str, int] | None:
    """``connection_poll`` under the claim, with a heartbeat from a thread of its own while
    it runs. None when another poll of the connection is running."""
    claim = connection_poll_claim(connection_id=connection.pk)
    if claim is None:
        return None

    def beat() -> int:
        return connection_poll_beat(connection_id=connection.pk, claim=claim)

    try:
        with jobs.heartbeat(beat):
            return connection_poll(connection=connection)
    finally:
        connection_poll_release(connection_id=connection.pk, claim=claim)


@jobs.reaper("sales polls")
def connection_polls_reap() -> int:
    """Settle the polls whose worker died (run by core.tasks.jobs_reap): the claim is cleared
    and the connection says so in plain words. Nothing else needs undoing: every order was
    written in its own transaction and the cursor moves only when a poll finishes, so the
    next poll reads the same orders again (keyed by order id: no sale twice)."""
    now = timezone.now()
    stale = SalesConnection.objects.filter(
        poll_started_at__isnull=False, poll_heartbeat_at__lt=jobs.stale_before(now)
    ).values_list("pk", "poll_worker")
    settled = 0
    lost = Refused("poll_lost")
    for pk, worker in list(stale[:500]):
        if not jobs.may_be_dead(worker):
            continue
        settled += SalesConnection.objects.filter(
            pk=pk, poll_worker=worker, poll_heartbeat_at__lt=jobs.stale_before(now)
        ).update(
            poll_started_at=None,
            poll_heartbeat_at=None,
            poll_worker="",
            status=SalesConnection.Status.ERROR,
            last_error=str(lost),
            last_error_code=lost.code,
            last_error_params={},
        )
    if settled:
        logger.warning("%s sales connection polls stopped without finishing", settled)
    return settled


def connection_poll_request(*, connection: SalesConnection) -> None:
    """The "Poll now" of the page and the API: a poll of a pull connection, queued once the caller's
    transaction commits (``sales.poll_requested``, which the connectors' subscriber turns into
    the task). Push connections are not polled."""
    if connection.kind != SalesConnection.Kind.XIAOE:
        raise ValidationError(_("Only Xiaoe-tech connections are polled; the others push."))
    emit(Event.SALES_POLL_REQUESTED, owner_id=connection.owner_id,
         payload={"connection": connection.pk})  # fmt: skip
