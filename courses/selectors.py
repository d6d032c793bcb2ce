"""Reads for courses, always scoped by owner, with related rows fetched up front."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Min, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from . import pricing
from .models import TIER_ORDER, CompetitorPrice, Course, Discount, PriceTier, Sale


def course_list(*, owner) -> QuerySet[Course]:
    return Course.objects.owned_by(owner).prefetch_related("tiers")


def course_get(*, owner, course_id: int) -> Course:
    """The creator's course or Course.DoesNotExist (another creator's id looks missing)."""
    return Course.objects.owned_by(owner).get(pk=course_id)


def course_effective_prices(*, course: Course, at: datetime) -> list[pricing.EffectivePrice]:
    """Each tier's price at ``at``: two queries whatever the number of tiers and discounts."""
    tiers = list(PriceTier.objects.filter(course=course).order_by(*TIER_ORDER))
    discounts = list(course.discounts.all())
    return [pricing.effective_price(tier, at=at, discounts=discounts) for tier in tiers]


@dataclass(frozen=True)
class TierView:
    """A tier as the course page shows it: list price, price now, what applies and till when."""

    tier: PriceTier
    price_now: Decimal
    discount: Discount | None
    band_position: str | None  # below / within / above the competitor band
    band_percent: float | None  # where the tier sits on the band's scale, 0–100
    out_of_order: bool


@dataclass(frozen=True)
class TimelineBar:
    discount: Discount
    left: float  # percent of the timeline
    width: float
    active: bool


@dataclass
class CoursePage:
    course: Course
    tiers: list[TierView]
    out_of_order: list[tuple[PriceTier, PriceTier]]
    band: pricing.PriceBand | None
    band_scale: tuple[Decimal, Decimal] | None
    band_iqr: tuple[float, float] | None  # left and width of the q1–q3 range, percent
    competitors: list[CompetitorPrice]
    timeline: list[TimelineBar]
    timeline_start: date
    timeline_end: date
    timeline_now: float
    daily_sales: list[tuple[date, int]]


TIMELINE_BEFORE_DAYS = 30
TIMELINE_AFTER_DAYS = 60


def _percent(value: Decimal, low: Decimal, high: Decimal) -> float:
    if high <= low:
        return 50.0
    return float((value - low) / (high - low) * 100)


@dataclass(frozen=True)
class Timeline:
    bars: list[TimelineBar]
    start: date
    end: date
    now: float  # percent of the timeline


def discount_timeline(*, discounts: Sequence[Discount], now: datetime) -> Timeline:
    """Discounts as bars from 30 days ago to 60 days ahead (the course page and the workspace)."""
    today = timezone.localdate(now)
    start = today - timedelta(days=TIMELINE_BEFORE_DAYS)
    end = today + timedelta(days=TIMELINE_AFTER_DAYS)
    span = (end - start).days / 100  # days per percent of the timeline
    start_at = timezone.make_aware(datetime.combine(start, datetime.min.time()))
    end_at = timezone.make_aware(datetime.combine(end, datetime.min.time()))
    bars = []
    for discount in discounts:
        if discount.ends_at <= start_at or discount.starts_at >= end_at:
            continue
        left = max((discount.starts_at - start_at).total_seconds(), 0) / 86400 / span
        right = min((discount.ends_at - start_at).total_seconds() / 86400 / span, 100)
        bars.append(
            TimelineBar(
                discount=discount,
                left=left,
                width=max(right - left, 0.8),
                active=discount.starts_at <= now < discount.ends_at,
            )
        )
    return Timeline(
        bars=bars, start=start, end=end, now=(now - start_at).total_seconds() / 86400 / span
    )


def course_page(*, owner, course_id: int, now: datetime, history_days: int = 90) -> CoursePage:
    """Everything the course page shows except the stored analytics results: five queries."""
    course = course_get(owner=owner, course_id=course_id)
    tiers = list(PriceTier.objects.filter(course=course).order_by(*TIER_ORDER))
    discounts = list(course.discounts.select_related("tier").order_by("starts_at"))
    competitors = list(course.competitor_prices.select_related("platform").order_by("price"))
    band = pricing.competitor_band([c.price for c in competitors])
    flagged = pricing.tiers_out_of_order(tiers)
    flagged_ids = {t.id for pair in flagged for t in pair}
    scale = None
    if band:
        low = min([band.low, *(t.list_price for t in tiers)])
        high = max([band.high, *(t.list_price for t in tiers)])
        pad = (high - low) * Decimal("0.08") or Decimal(1)
        scale = (max(low - pad, Decimal(0)), high + pad)
    tier_views = []
    for tier in tiers:
        effective = pricing.effective_price(tier, at=now, discounts=discounts)
        tier_views.append(
            TierView(
                tier=tier,
                price_now=effective.price,
                discount=effective.discount,
                band_position=band.position(tier.list_price) if band else None,
                band_percent=_percent(tier.list_price, *scale) if scale else None,
                out_of_order=tier.id in flagged_ids,
            )
        )
    today = timezone.localdate(now)
    timeline = discount_timeline(discounts=discounts, now=now)
    history_start = today - timedelta(days=history_days)
    daily = dict(
        Sale.objects.filter(
            course=course, sold_at__date__gte=history_start, sold_at__date__lt=today
        )
        .annotate(day=TruncDate("sold_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(units=Sum("quantity"))
        .order_by()
        .values_list("day", "units")
    )
    if daily:  # start the chart at the first sale, not at an empty stretch before launch
        history_start = max(history_start, min(daily))
        history_days = (today - history_start).days
    return CoursePage(
        course=course,
        tiers=tier_views,
        out_of_order=flagged,
        band=band,
        band_scale=scale,
        band_iqr=(
            (_percent(band.q1, *scale), _percent(band.q3, *scale) - _percent(band.q1, *scale))
            if band
            else None
        ),
        competitors=competitors,
        timeline=timeline.bars,
        timeline_start=timeline.start,
        timeline_end=timeline.end,
        timeline_now=timeline.now,
        daily_sales=[
            (history_start + timedelta(days=i), daily.get(history_start + timedelta(days=i), 0))
            for i in range(history_days)
        ],
    )


def course_list_page(*, owner) -> QuerySet[Course]:
    """Courses with their tier count and stored 30-day forecast: one query."""
    return (
        Course.objects.owned_by(owner)
        .select_related("forecast")
        .annotate(tier_count=Count("tiers", distinct=True), min_price=Min("tiers__list_price"))
        .order_by("launch_date", "title")
    )
