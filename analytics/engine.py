"""The recompute engine: every stored figure of a set of creators, computed in bulk.

Inputs are read with a fixed number of queries (aggregates are done by the database), the math
runs on arrays (formulas.py, forecasting.py, ranking.py) and results are written with upserts
on their natural keys, so running it twice changes nothing. No per-video or per-row queries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db.models import Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from core.db import upsert_rows
from courses import pricing
from courses.models import Course, Discount, PriceTier, Sale
from videos.models import Platform, Video, VideoDailyStat

from . import forecasting, formulas, ranking
from .models import (
    CreatorSettings,
    EngagementMetric,
    ForecastPoint,
    MetricWindow,
    PlatformRanking,
    SalesForecast,
)

# Window → days counted back from (and including) today; None = everything up to today.
WINDOW_DAYS = {MetricWindow.LIFETIME: None, MetricWindow.LAST_7: 7, MetricWindow.LAST_28: 28}
COUNTS = ("views", "interactions", "comments", "likes")
METRIC_FIELDS = [
    *COUNTS,
    "frequency",
    "depth",
    "engagement",
    "content_quality",
    "composite_quality",
    "computed_at",
]
FORECAST_HORIZON = 90
SUMMARY_DAYS = 30
WEIGHT_FIELDS = CreatorSettings.WEIGHT_FIELDS
_WEIGHT_DEFAULTS = {
    f.name: f.default for f in CreatorSettings._meta.concrete_fields if f.name in WEIGHT_FIELDS
}


@dataclass
class RecomputeCounts:
    metrics: int = 0
    forecasts: int = 0
    forecast_points: int = 0
    rankings: int = 0

    @property
    def total(self) -> int:
        return self.metrics + self.forecasts + self.forecast_points + self.rankings


def creator_weights(owner_ids: list[int]) -> dict[int, dict[str, float]]:
    """Each creator's weights, defaults for creators who never saved settings."""
    weights = {owner_id: dict(_WEIGHT_DEFAULTS) for owner_id in owner_ids}
    for row in CreatorSettings.objects.filter(owner_id__in=owner_ids).values(
        "owner_id", *WEIGHT_FIELDS
    ):
        weights[row.pop("owner_id")] = row
    return weights


# --- engagement and quality ---------------------------------------------------------------


def engagement_frame(
    *, owner_ids: list[int], today: date, weights: dict[int, dict[str, float]] | None = None
) -> pd.DataFrame:
    """One row per (video, window): counts, F, D, D_F, CQ, CQ_F. Two reads (three without
    ``weights``)."""
    aggregates = {}
    for window, days in WINDOW_DAYS.items():
        condition = None if days is None else Q(date__gt=today - timedelta(days=days))
        for count in COUNTS:
            aggregates[f"{count}__{window}"] = Sum(count, filter=condition)
    sums = pd.DataFrame(
        list(
            VideoDailyStat.objects.filter(video__owner_id__in=owner_ids, date__lte=today)
            .values("video_id")
            .annotate(**aggregates)
            .order_by()
        ),
        columns=["video_id", *aggregates],
    )
    videos = pd.DataFrame(
        list(
            Video.objects.filter(owner_id__in=owner_ids).values_list(
                "id", "owner_id", "length_seconds", "production_level", "usefulness"
            )
        ),
        columns=["video_id", "owner_id", "length_seconds", "production_level", "usefulness"],
    )
    if videos.empty:
        return pd.DataFrame(columns=["video_id", "window", *METRIC_FIELDS[:-1]])
    weights_frame = pd.DataFrame.from_dict(weights or creator_weights(owner_ids), orient="index")
    videos = videos.join(weights_frame, on="owner_id").merge(sums, on="video_id", how="left")
    videos["content_quality"] = formulas.content_quality_array(
        videos["length_seconds"] / 60, videos["production_level"], videos["usefulness"]
    )
    frames = []
    for window in WINDOW_DAYS:
        frame = videos[["video_id", "content_quality", *WEIGHT_FIELDS]].copy()
        frame["window"] = str(window)
        for count in COUNTS:
            frame[count] = videos[f"{count}__{window}"].fillna(0).astype(np.int64)
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True)
    frame["frequency"] = formulas.interaction_frequency_array(frame["interactions"], frame["views"])
    frame["depth"] = formulas.interaction_depth_array(
        frame["comments"], frame["likes"], frame["interactions"]
    )
    frame["engagement"] = (
        frame["engagement_weight_f"] * frame["frequency"]
        + frame["engagement_weight_d"] * frame["depth"]
    )
    frame["composite_quality"] = (
        frame["quality_weight_f"] * frame["frequency"]
        + frame["quality_weight_d"] * frame["depth"]
        + frame["quality_weight_cq"] * frame["content_quality"]
    )
    return frame[["video_id", "window", *METRIC_FIELDS[:-1]]]


def changed_metrics(frame: pd.DataFrame, *, owner_ids: list[int]) -> pd.DataFrame:
    """The rows of ``frame`` that differ from what is stored (new rows included): one read,
    so an hourly recompute over mostly unchanged data sends only what changed."""
    figures = METRIC_FIELDS[:-1]
    stored = pd.DataFrame(
        list(
            EngagementMetric.objects.filter(video__owner_id__in=owner_ids).values_list(
                "video_id", "window", *figures
            )
        ),
        columns=["video_id", "window", *figures],
    )
    if stored.empty:
        return frame
    merged = frame.merge(stored, on=["video_id", "window"], how="left", suffixes=("", "_stored"))
    same = pd.Series(True, index=merged.index)
    for name in figures:
        ours, theirs = merged[name].to_numpy(float), merged[f"{name}_stored"].to_numpy(float)
        # Stored floats went through JSON (15 significant digits): compare, don't equate.
        same &= np.isclose(ours, theirs, rtol=1e-12, atol=0.0)
    return frame[~same.to_numpy()]


def engagement_upsert(
    frame: pd.DataFrame, *, now: datetime, owner_ids: list[int] | None = None
) -> int:
    """Write the frame's rows; with ``owner_ids`` only those that changed. Returns rows sent."""
    if owner_ids is not None and not frame.empty:
        frame = changed_metrics(frame, owner_ids=owner_ids)
    if frame.empty:
        return 0
    return upsert_rows(
        EngagementMetric,
        frame,
        unique_fields=["video", "window"],
        update_fields=METRIC_FIELDS,
        compare_fields=METRIC_FIELDS[:-1],  # computed_at = when the figures last changed
        constants={"computed_at": now},
    )


def engagement_recompute(*, owner_ids: list[int], today: date | None = None) -> int:
    today = today or timezone.localdate()
    frame = engagement_frame(owner_ids=owner_ids, today=today)
    return engagement_upsert(frame, now=timezone.now(), owner_ids=owner_ids)


# --- sales forecasts and platform ranking ---------------------------------------------------


@dataclass
class CourseInputs:
    """Everything the forecast and ranking of the given creators' courses need, in 6 queries."""

    courses: list[Course]
    daily_sales: dict[int, dict[date, int]]
    tiers: dict[int, list[PriceTier]]
    discounts: dict[int, list[Discount]]
    tier_mix: dict[int, dict[int, int]]
    platform_mix: dict[int, dict[int, int]]
    platforms: list[Platform]

    @classmethod
    def load(cls, owner_ids: list[int], *, today: date) -> CourseInputs:
        courses = list(Course.objects.filter(owner_id__in=owner_ids).order_by("id"))
        sales = Sale.objects.filter(course__owner_id__in=owner_ids, sold_at__lt=_start_of(today))
        daily: dict[int, dict[date, int]] = defaultdict(dict)
        for row in (
            sales.annotate(day=TruncDate("sold_at", tzinfo=timezone.get_current_timezone()))
            .values("course_id", "day")
            .annotate(units=Sum("quantity"))
            .order_by()
        ):
            daily[row["course_id"]][row["day"]] = row["units"]
        tier_mix: dict[int, dict[int, int]] = defaultdict(dict)
        platform_mix: dict[int, dict[int, int]] = defaultdict(dict)
        for row in (
            sales.values("course_id", "tier_id", "platform_id")
            .annotate(units=Sum("quantity"))
            .order_by()
        ):
            if row["tier_id"] is not None:
                mix = tier_mix[row["course_id"]]
                mix[row["tier_id"]] = mix.get(row["tier_id"], 0) + row["units"]
            if row["platform_id"] is not None:
                mix = platform_mix[row["course_id"]]
                mix[row["platform_id"]] = mix.get(row["platform_id"], 0) + row["units"]
        tiers: dict[int, list[PriceTier]] = defaultdict(list)
        for tier in PriceTier.objects.filter(course__owner_id__in=owner_ids).order_by("list_price"):
            tiers[tier.course_id].append(tier)
        discounts: dict[int, list[Discount]] = defaultdict(list)
        horizon_end = _start_of(today + timedelta(days=FORECAST_HORIZON + 1))
        for discount in Discount.objects.filter(
            course__owner_id__in=owner_ids,
            ends_at__gt=_start_of(today) - timedelta(days=1),
            starts_at__lt=horizon_end,
        ):
            discounts[discount.course_id].append(discount)
        return cls(
            courses,
            daily,
            tiers,
            discounts,
            tier_mix,
            platform_mix,
            list(Platform.objects.order_by("name")),
        )


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def daily_series(units_by_day: dict[date, int], *, until: date) -> np.ndarray:
    """Daily units from the first sale day to ``until`` (exclusive), zero-filled."""
    if not units_by_day:
        return np.zeros(0)
    first = min(units_by_day)
    days = (until - first).days
    series = np.zeros(max(days, 0))
    for day, units in units_by_day.items():
        offset = (day - first).days
        if 0 <= offset < days:
            series[offset] = units
    return series


def unit_net_revenue(inputs: CourseInputs, course: Course, days: list[date]) -> np.ndarray:
    """Net revenue of one unit sold on each day: the tier mix of past sales at each day's
    effective price (discounts applied, priced at noon), less the commission of the past
    platform mix. Without past sales: the cheapest tier, sold directly (no commission)."""
    tiers = inputs.tiers.get(course.id, [])
    if not tiers:
        return np.zeros(len(days))
    mix = inputs.tier_mix.get(course.id) or {tiers[0].id: 1}
    total = sum(mix.values())
    by_id = {t.id: t for t in tiers}
    discounts = inputs.discounts.get(course.id, [])
    prices = np.zeros(len(days))
    for tier_id, units in mix.items():
        tier = by_id.get(tier_id)
        if tier is None:
            continue
        for i, day in enumerate(days):
            noon = timezone.make_aware(datetime.combine(day, time(12)))
            prices[i] += float(
                pricing.effective_price(tier, at=noon, discounts=discounts).price
            ) * (units / total)
    commission = {p.id: float(p.commission_rate) for p in inputs.platforms}
    platform_mix = inputs.platform_mix.get(course.id, {})
    sold = sum(platform_mix.values())
    keep = (
        sum(units * (1 - commission.get(pid, 0.0)) for pid, units in platform_mix.items()) / sold
        if sold
        else 1.0
    )
    return prices * keep


def _money(value: float) -> Decimal:
    return Decimal(str(round(float(value), 2)))


def forecasts_recompute(inputs: CourseInputs, *, today: date, now: datetime) -> tuple[int, int]:
    """Fit, backtest and store a forecast per course with its daily points."""
    horizon_days = [today + timedelta(days=h) for h in range(FORECAST_HORIZON)]
    forecast_rows, points_by_course = [], {}
    for course in inputs.courses:
        series = daily_series(inputs.daily_sales.get(course.id, {}), until=today)
        result = forecasting.forecast_sales(
            series, horizon=FORECAST_HORIZON, r_override=course.growth_rate_override
        )
        revenue = result.mean * unit_net_revenue(inputs, course, horizon_days)
        units_30, lower_30, upper_30 = result.total_band(SUMMARY_DAYS)
        forecast_rows.append(
            {
                "course_id": course.id,
                "model": result.model,
                "s0": result.s0,
                "growth_rate": result.r,
                "growth_rate_overridden": result.r_overridden,
                "backtest_error_exponential": result.error_exponential,
                "backtest_error_alternative": result.error_alternative,
                "explanation": result.explanation[:400],
                "parameters": result.params,
                "history_days": result.history_days,
                "units_next_30": units_30,
                "units_next_30_lower": lower_30,
                "units_next_30_upper": upper_30,
                "revenue_next_30": _money(revenue[:SUMMARY_DAYS].sum()),
                "computed_at": now,
            }
        )
        cumulative = np.cumsum(result.mean)
        points_by_course[course.id] = [
            {
                "day": day,
                "units": float(result.mean[i]),
                "lower": float(result.lower[i]),
                "upper": float(result.upper[i]),
                "cumulative_units": float(cumulative[i]),
                "revenue": _money(revenue[i]),
            }
            for i, day in enumerate(horizon_days)
        ]
    if not forecast_rows:
        return 0, 0
    upsert_rows(
        SalesForecast,
        forecast_rows,
        unique_fields=["course"],
        update_fields=[k for k in forecast_rows[0] if k != "course_id"],
    )
    forecast_ids = dict(
        SalesForecast.objects.filter(course_id__in=points_by_course).values_list("course_id", "id")
    )
    # Points before today belong to an older forecast window: drop them.
    ForecastPoint.objects.filter(forecast_id__in=forecast_ids.values()).exclude(
        day__range=(horizon_days[0], horizon_days[-1])
    ).delete()
    points = [
        {"forecast_id": forecast_ids[course_id], **point}
        for course_id, course_points in points_by_course.items()
        for point in course_points
    ]
    upsert_rows(
        ForecastPoint,
        points,
        unique_fields=["forecast", "day"],
        update_fields=["units", "lower", "upper", "cumulative_units", "revenue"],
    )
    return len(forecast_rows), len(points)


def rankings_recompute(
    inputs: CourseInputs, *, weights: dict[int, dict[str, float]], now: datetime
) -> int:
    platforms = inputs.platforms
    if not platforms:
        return 0
    names = [p.name for p in platforms]
    traffic = [p.traffic_scale for p in platforms]
    commission = [float(p.commission_rate) for p in platforms]
    rows = []
    for course in inputs.courses:
        w = weights[course.owner_id]
        match = [
            ranking.audience_match(course.audience_tags or [], p.audience_tags or [])
            for p in platforms
        ]
        scores = ranking.platform_scores(
            match,
            traffic,
            commission,
            (w["rank_weight_audience"], w["rank_weight_traffic"], w["rank_weight_commission"]),
        )
        order = ranking.ranks(list(scores), names)
        tiers = inputs.tiers.get(course.id, [])
        price_now = (
            pricing.effective_price(
                tiers[0], at=now, discounts=inputs.discounts.get(course.id, [])
            ).price
            if tiers
            else None
        )
        for i, platform in enumerate(platforms):
            rows.append(
                {
                    "course_id": course.id,
                    "platform_id": platform.id,
                    "audience_match": match[i],
                    "traffic_score": traffic[i] / 10,
                    "commission_rate": commission[i],
                    "score": float(scores[i]),
                    "rank": order[i],
                    "net_price": None
                    if price_now is None
                    else _money(float(price_now) * (1 - commission[i])),
                    "computed_at": now,
                }
            )
    return upsert_rows(
        PlatformRanking,
        rows,
        unique_fields=["course", "platform"],
        update_fields=[
            "audience_match",
            "traffic_score",
            "commission_rate",
            "score",
            "rank",
            "net_price",
            "computed_at",
        ],
    )


def recompute(*, owner_ids: list[int], today: date | None = None) -> RecomputeCounts:
    """All figures of the given creators. The caller provides the transaction and the lock."""
    today = today or timezone.localdate()
    now = timezone.now()
    counts = RecomputeCounts()
    weights = creator_weights(owner_ids)
    counts.metrics = engagement_upsert(
        engagement_frame(owner_ids=owner_ids, today=today, weights=weights),
        now=now,
        owner_ids=owner_ids,
    )
    inputs = CourseInputs.load(owner_ids, today=today)
    counts.forecasts, counts.forecast_points = forecasts_recompute(inputs, today=today, now=now)
    counts.rankings = rankings_recompute(inputs, weights=weights, now=now)
    return counts
