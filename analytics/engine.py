"""The recompute engine: every stored figure of a set of creators, computed in bulk.

Inputs are read with a fixed number of queries (aggregates are done by the database), the math
runs on arrays (formulas.py, forecasting.py, ranking.py) and results are written with upserts
on their natural keys, so running it twice changes nothing. No per-video or per-row queries.
On PostgreSQL the engagement figures never leave the database: the same formulas, written in
SQL, run where the sums are (pinned to the numpy path by tests/analytics/test_engine_sql.py).
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from campaigns.models import Campaign
from core.db import upsert_rows
from courses import pricing
from courses.models import Course, Discount, PriceTier, Sale, sale_units_kept
from videos.models import Platform, Video, VideoDailyStat

from . import forecasting, formulas, ranking
from .funnel import funnel_recompute
from .models import (
    CreatorSettings,
    EngagementMetric,
    ExcludedDay,
    ForecastPoint,
    MetricWindow,
    PlatformRanking,
    SalesForecast,
)

# Window → days counted back from (and including) today; None = everything up to today.
WINDOW_DAYS = {MetricWindow.LIFETIME: None, MetricWindow.LAST_7: 7, MetricWindow.LAST_28: 28}
COUNTS = ("views", "interactions", "comments", "likes")
# Interactions of the days whose views are known (F's numerator), and the days without views.
KNOWN_INTERACTIONS = "known_interactions"
UNKNOWN_DAYS = "views_unknown_days"
# Figures that are None when F is unknown.
UNKNOWN_WITH_F = ("frequency", "engagement", "composite_quality")
METRIC_FIELDS = [
    *COUNTS,
    UNKNOWN_DAYS,
    "frequency",
    "depth",
    "engagement",
    "content_quality",
    "composite_quality",
    "computed_at",
]
FIGURES = METRIC_FIELDS[:-1]
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
    funnel: int = 0  # sale attributions and funnel rows (analytics/funnel.py)

    @property
    def total(self) -> int:
        return self.metrics + self.forecasts + self.forecast_points + self.rankings + self.funnel


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
    ``weights``).

    F counts only the days whose views are known: the interactions of those days over their
    views. ``views`` is the sum of the known views, None (and F, D_F, CQ_F with it) when the
    window has days but none with known views; a window without any day keeps 0 (nothing
    measured, the zero-denominator rule). D uses every day's interactions."""
    aggregates = {}
    for window, days in WINDOW_DAYS.items():
        condition = Q() if days is None else Q(date__gt=today - timedelta(days=days))
        for count in COUNTS:
            aggregates[f"{count}__{window}"] = Sum(count, filter=condition or None)
        aggregates[f"{KNOWN_INTERACTIONS}__{window}"] = Sum(
            "interactions", filter=condition & Q(views__isnull=False)
        )
        aggregates[f"{UNKNOWN_DAYS}__{window}"] = Count(
            "pk", filter=condition & Q(views__isnull=True)
        )
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
        return pd.DataFrame(columns=["video_id", "window", *FIGURES])
    weights_frame = pd.DataFrame.from_dict(weights or creator_weights(owner_ids), orient="index")
    videos = videos.join(weights_frame, on="owner_id").merge(sums, on="video_id", how="left")
    videos["content_quality"] = formulas.content_quality_array(
        videos["length_seconds"] / 60, videos["production_level"], videos["usefulness"]
    )
    frames = []
    for window in WINDOW_DAYS:
        frame = videos[["video_id", "content_quality", *WEIGHT_FIELDS]].copy()
        frame["window"] = str(window)
        for count in (*COUNTS, KNOWN_INTERACTIONS, UNKNOWN_DAYS):
            frame[count] = videos[f"{count}__{window}"].fillna(0).astype(np.int64)
        known = ~(videos[f"views__{window}"].isna() & (frame[UNKNOWN_DAYS] > 0))
        frame["views"] = frame["views"].astype(object).where(known, None)
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True)
    known = frame["views"].notna().to_numpy()
    frequency = np.full(len(frame), np.nan)
    frequency[known] = formulas.interaction_frequency_array(
        frame.loc[known, KNOWN_INTERACTIONS].to_numpy(float),
        frame.loc[known, "views"].to_numpy(float),
    )
    frame["frequency"] = frequency  # NaN = unknown, and so D_F and CQ_F below
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
    return frame[["video_id", "window", *FIGURES]]


def changed_metrics(frame: pd.DataFrame, *, owner_ids: list[int]) -> pd.DataFrame:
    """The rows of ``frame`` that differ from what is stored (new rows included): one read,
    so an hourly recompute over mostly unchanged data sends only what changed."""
    stored = pd.DataFrame(
        list(
            EngagementMetric.objects.filter(video__owner_id__in=owner_ids).values_list(
                "video_id", "window", *FIGURES
            )
        ),
        columns=["video_id", "window", *FIGURES],
    )
    if stored.empty:
        return frame
    merged = frame.merge(
        stored, on=["video_id", "window"], how="left", suffixes=("", "_stored"), indicator=True
    )
    same = pd.Series(merged["_merge"].eq("both").to_numpy(), index=merged.index)
    for name in FIGURES:
        ours, theirs = merged[name].to_numpy(float), merged[f"{name}_stored"].to_numpy(float)
        # Stored floats went through JSON (15 significant digits): compare, don't equate.
        # NaN is an unknown figure (NULL): unknown on both sides is the same.
        same &= np.isclose(ours, theirs, rtol=1e-12, atol=0.0, equal_nan=True)
    return frame[~same.to_numpy()]


def _unknown_as_none(frame: pd.DataFrame) -> pd.DataFrame:
    """NaN figures (unknown) become None, which every database stores as NULL."""
    frame = frame.copy()
    for name in ("views", *UNKNOWN_WITH_F):
        frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    return frame


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
        _unknown_as_none(frame),
        unique_fields=["video", "window"],
        update_fields=METRIC_FIELDS,
        compare_fields=FIGURES,  # computed_at = when the figures last changed
        constants={"computed_at": now},
    )


def engagement_recompute(
    *,
    owner_ids: list[int],
    today: date | None = None,
    now: datetime | None = None,
    weights: dict[int, dict[str, float]] | None = None,
) -> int:
    """Store every (video, window) figure of the creators; returns the rows written.

    PostgreSQL computes everything in the database (``engagement_upsert_sql``); elsewhere
    the figures are computed with pandas/numpy and upserted (``engagement_frame``). Both
    apply formulas.py the same way, to the last bit (tests/analytics/test_engine_sql.py).
    """
    today = today or timezone.localdate()
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        return engagement_upsert_sql(owner_ids=owner_ids, today=today, now=now)
    frame = engagement_frame(owner_ids=owner_ids, today=today, weights=weights)
    return engagement_upsert(frame, now=now, owner_ids=owner_ids)


# --- engagement on PostgreSQL: aggregate, formulas and upsert without leaving the database --

# A sum of non-negative integers is exact in float8 while the total stays below 2**53, and
# float8 sums are much cheaper than numeric ones (bigint's SUM) to accumulate and to combine
# across parallel workers. A run with a larger total sums again in numeric.
EXACT_FLOAT_SUM_LIMIT = 2**53
# For the aggregate, this transaction only: JIT compiling the dozen filtered sums costs more
# than it saves (about 2 s at 10× the bench data), and with the default 4 MB the per-video
# hash table of a large run spills to disk.
AGGREGATE_SETTINGS = {"jit": "off", "work_mem": "64MB"}
_FIGURES_TABLE = "analytics_engagement_figures"
_ENGAGEMENT_WEIGHTS = ("engagement_weight_f", "engagement_weight_d")
_QUALITY_WEIGHTS = ("quality_weight_f", "quality_weight_d", "quality_weight_cq")


def _figures_create_sql(sum_type: str) -> str:
    """The (video, window) rows whose figures differ from the stored ones, or have none
    stored, into a temporary table.

    The window sums take one pass over the daily rows: CREATE TABLE AS may run it in
    parallel, an INSERT or UPDATE never does. F, D, D_F, CQ, CQ_F follow formulas.py
    operation for operation in float8 (IEEE double, as numpy), 0 for a zero denominator;
    F over the days with known views only, NULL (with D_F, CQ_F) when none has (as
    ``engagement_frame``).
    """
    sums, windows = [], []
    for window, days in WINDOW_DAYS.items():
        since = "TRUE" if days is None else f"date > %(since_{window})s"
        sums += [f"SUM({c}::{sum_type}) FILTER (WHERE {since}) AS {c}_{window}" for c in COUNTS]
        sums += [
            f"SUM(interactions::{sum_type}) FILTER (WHERE {since} AND views IS NOT NULL)"
            f" AS {KNOWN_INTERACTIONS}_{window}",
            f"COUNT(*) FILTER (WHERE {since} AND views IS NULL) AS {UNKNOWN_DAYS}_{window}",
        ]
        # Views are unknown when the window has days and none of them with known views.
        views = (
            f"CASE WHEN a.views_{window} IS NULL AND a.{UNKNOWN_DAYS}_{window} > 0 THEN NULL "
            f"ELSE COALESCE(a.views_{window}, 0) END"
        )
        others = [f"COALESCE(a.{c}_{window}, 0)" for c in (*COUNTS[1:], KNOWN_INTERACTIONS)]
        windows.append(
            f"(%(window_{window})s, {views}, {', '.join(others)}, "
            f"COALESCE(a.{UNKNOWN_DAYS}_{window}, 0))"
        )
    window_columns = ", ".join((*COUNTS, KNOWN_INTERACTIONS, UNKNOWN_DAYS))
    weights = ", ".join(
        f"COALESCE(cs.{name}, %(default_{name})s::float8) AS {name}"
        for name in (*_ENGAGEMENT_WEIGHTS, *_QUALITY_WEIGHTS)
    )
    return f"""
        CREATE TEMPORARY TABLE {_FIGURES_TABLE} AS
        SELECT n.*, m.id AS metric_id
        FROM (
            SELECT video_id, "window", {", ".join(COUNTS)}, {UNKNOWN_DAYS},
                   f AS frequency, d AS depth,
                   engagement_weight_f * f + engagement_weight_d * d AS engagement,
                   cq AS content_quality,
                   quality_weight_f * f + quality_weight_d * d + quality_weight_cq * cq
                       AS composite_quality
            FROM (
                SELECT v.id AS video_id, w."window",
                       {", ".join(f"w.{c}::bigint AS {c}" for c in COUNTS)},
                       w.{UNKNOWN_DAYS}::integer AS {UNKNOWN_DAYS},
                       CASE WHEN w.views IS NULL THEN NULL::float8
                            WHEN w.views = 0 THEN 0::float8
                            ELSE w.{KNOWN_INTERACTIONS}::float8 / w.views::float8 END AS f,
                       CASE WHEN w.interactions = 0 THEN 0::float8
                            ELSE (w.comments::float8 + w.likes::float8)
                                 / w.interactions::float8 END AS d,
                       (v.length_seconds::float8 / 60::float8 + v.production_level::float8
                        + v.usefulness::float8) / 3::float8 AS cq,
                       {weights}
                FROM {Video._meta.db_table} v
                LEFT JOIN (
                    SELECT video_id, {", ".join(sums)}
                    FROM {VideoDailyStat._meta.db_table}
                    WHERE video_id = ANY(%(video_ids)s::bigint[]) AND date <= %(today)s
                    GROUP BY video_id
                ) a ON a.video_id = v.id
                LEFT JOIN {CreatorSettings._meta.db_table} cs ON cs.owner_id = v.owner_id
                CROSS JOIN LATERAL (VALUES {", ".join(windows)})
                    AS w("window", {window_columns})
                WHERE v.owner_id = ANY(%(owner_ids)s)
            ) x
        ) n
        LEFT JOIN {EngagementMetric._meta.db_table} m
            ON m.video_id = n.video_id AND m."window" = n."window"
        WHERE m.id IS NULL OR {_changed("m", "n")}
    """


def _changed(stored: str, new: str) -> str:
    return (
        f"({', '.join(f'{stored}.{n}' for n in FIGURES)}) "
        f"IS DISTINCT FROM ({', '.join(f'{new}.{n}' for n in FIGURES)})"
    )


def _figures_write_sql() -> list[str]:
    """Rewrite the stored rows that changed, by primary key, then insert the new ones (an
    UPDATE leaves other rows alone, where ON CONFLICT DO UPDATE would lock each first)."""
    table = EngagementMetric._meta.db_table
    update = (
        f"UPDATE {table} m SET {', '.join(f'{n} = t.{n}' for n in FIGURES)}, "
        f"computed_at = %(now)s FROM {_FIGURES_TABLE} t "
        f"WHERE m.id = t.metric_id AND m.video_id = ANY(%(video_ids)s::bigint[])"
    )
    insert = (
        f'INSERT INTO {table} AS m (video_id, "window", {", ".join(FIGURES)}, computed_at) '
        f'SELECT video_id, "window", {", ".join(FIGURES)}, %(now)s FROM {_FIGURES_TABLE} '
        f"WHERE metric_id IS NULL "
        f'ON CONFLICT (video_id, "window") DO UPDATE SET '
        f"{', '.join(f'{n} = EXCLUDED.{n}' for n in METRIC_FIELDS)} "
        f"WHERE {_changed('m', 'EXCLUDED')}"
    )
    return [update, insert]


def engagement_upsert_sql(*, owner_ids: list[int], today: date, now: datetime) -> int:
    """PostgreSQL only: the engagement recompute with no row going through Python. Returns
    the rows inserted or changed."""
    video_ids = list(
        Video.objects.filter(owner_id__in=owner_ids).order_by().values_list("id", flat=True)
    )
    if not video_ids:
        return 0
    params = {
        "video_ids": video_ids,
        "owner_ids": list(owner_ids),
        "today": today,
        "now": now,
        **{
            f"since_{window}": today - timedelta(days=days)
            for window, days in WINDOW_DAYS.items()
            if days is not None
        },
        **{f"window_{window}": str(window) for window in WINDOW_DAYS},
        **{f"default_{name}": float(value) for name, value in _WEIGHT_DEFAULTS.items()},
    }
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        previous = _set_local(cursor, AGGREGATE_SETTINGS)
        cursor.execute(_figures_create_sql("float8"), params)
        cursor.execute(f"SELECT MAX(GREATEST({', '.join(COUNTS)})) FROM {_FIGURES_TABLE}")
        largest = cursor.fetchone()[0]
        if largest is not None and largest >= EXACT_FLOAT_SUM_LIMIT:
            cursor.execute(f"DROP TABLE {_FIGURES_TABLE}")
            cursor.execute(_figures_create_sql("numeric"), params)
        for statement in _figures_write_sql():
            cursor.execute(statement, params)
            written += cursor.rowcount
        cursor.execute(f"DROP TABLE {_FIGURES_TABLE}")
        _set_local(cursor, previous)
    return written


def _set_local(cursor, settings: dict[str, str]) -> dict[str, str]:
    """Set PostgreSQL settings until the transaction ends; returns their previous values."""
    names = list(settings)
    cursor.execute(
        "SELECT "
        + ", ".join(
            ["current_setting(%s)"] * len(names) + ["set_config(%s, %s, true)"] * len(names)
        ),
        [*names, *(item for pair in settings.items() for item in pair)],
    )
    return dict(zip(names, cursor.fetchone()[: len(names)], strict=True))


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
    # The forecast's calendar: every discount period (past and future) as local days, the
    # start of each course's first campaign's pre-launch window, the creator's excluded days,
    # the days the creator put back into the fit (ExcludedDay rows with reason "restored"),
    # and the fingerprint of the inputs each stored forecast was fitted from.
    promotions: dict[int, list[tuple[date, date]]] = field(default_factory=dict)
    launch: dict[int, date] = field(default_factory=dict)
    excluded: dict[int, list[date]] = field(default_factory=dict)
    restored: dict[int, list[date]] = field(default_factory=dict)
    fingerprints: dict[int, str] = field(default_factory=dict)

    @classmethod
    def load(cls, owner_ids: list[int], *, today: date) -> CourseInputs:
        courses = list(Course.objects.filter(owner_id__in=owner_ids).order_by("id"))
        sales = Sale.objects.filter(course__owner_id__in=owner_ids, sold_at__lt=_start_of(today))
        # Units the buyers kept: a refunded unit is not demand (on the sale's day).
        daily: dict[int, dict[date, int]] = defaultdict(dict)
        for row in (
            sales.annotate(day=TruncDate("sold_at", tzinfo=timezone.get_current_timezone()))
            .values("course_id", "day")
            .annotate(units=Sum(sale_units_kept()))
            .order_by()
        ):
            if row["units"]:
                daily[row["course_id"]][row["day"]] = int(row["units"])
        tier_mix: dict[int, dict[int, int]] = defaultdict(dict)
        platform_mix: dict[int, dict[int, int]] = defaultdict(dict)
        for row in (
            sales.values("course_id", "tier_id", "platform_id")
            .annotate(units=Sum(sale_units_kept()))
            .order_by()
        ):
            row["units"] = int(row["units"] or 0)
            if not row["units"]:
                continue
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
        promotions: dict[int, list[tuple[date, date]]] = defaultdict(list)
        horizon_end = _start_of(today + timedelta(days=FORECAST_HORIZON + 1))
        since = _start_of(today) - timedelta(days=1)
        local = timezone.get_current_timezone()
        for discount in Discount.objects.filter(
            course__owner_id__in=owner_ids, starts_at__lt=horizon_end
        ).order_by("starts_at"):
            if discount.ends_at > since:
                discounts[discount.course_id].append(discount)
            promotions[discount.course_id].append(
                (
                    timezone.localtime(discount.starts_at, local).date(),
                    timezone.localtime(discount.ends_at - timedelta(microseconds=1), local).date(),
                )
            )
        launch: dict[int, date] = {}
        for course_id, launch_date, prelaunch in (
            Campaign.objects.filter(course__owner_id__in=owner_ids)
            .order_by("course_id", "launch_date")
            .values_list("course_id", "launch_date", "prelaunch_days")
        ):
            launch.setdefault(course_id, launch_date - timedelta(days=prelaunch))
        excluded: dict[int, list[date]] = defaultdict(list)
        restored: dict[int, list[date]] = defaultdict(list)
        for course_id, day, reason in ExcludedDay.objects.filter(
            course__owner_id__in=owner_ids
        ).values_list("course_id", "day", "reason"):
            kept = reason == ExcludedDay.Reason.RESTORED
            (restored if kept else excluded)[course_id].append(day)
        fingerprints = dict(
            SalesForecast.objects.filter(course__owner_id__in=owner_ids).values_list(
                "course_id", "inputs_fingerprint"
            )
        )
        return cls(
            courses,
            daily,
            tiers,
            discounts,
            tier_mix,
            platform_mix,
            list(Platform.objects.order_by("name")),
            promotions=promotions,
            launch=launch,
            excluded=excluded,
            restored=restored,
            fingerprints=fingerprints,
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


def day_noons(days: list[date]) -> list[datetime]:
    """The moment each day's price is taken at: noon, local time."""
    return [timezone.make_aware(datetime.combine(day, time(12))) for day in days]


def unit_net_revenue(
    inputs: CourseInputs, course: Course, days: list[date], *, noons: list[datetime] | None = None
) -> np.ndarray:
    """Net revenue of one unit sold on each day: the tier mix of past sales at each day's
    effective price (discounts applied, priced at noon), less the commission of the past
    platform mix. Without past sales: the cheapest tier, sold directly (no commission).

    The price can only change where a discount starts or ends, so each stretch of days between
    two such moments is priced once (pricing.effective_price at its first noon), not each day.
    """
    tiers = inputs.tiers.get(course.id, [])
    if not tiers:
        return np.zeros(len(days))
    noons = day_noons(days) if noons is None else noons
    mix = inputs.tier_mix.get(course.id) or {tiers[0].id: 1}
    total = sum(mix.values())
    by_id = {t.id: t for t in tiers}
    discounts = inputs.discounts.get(course.id, [])
    boundaries = sorted({moment for d in discounts for moment in (d.starts_at, d.ends_at)})
    stretch = np.array([bisect_right(boundaries, noon) for noon in noons], dtype=np.int64)
    _, first_day, day_stretch = np.unique(stretch, return_index=True, return_inverse=True)
    prices = np.zeros(len(days))
    for tier_id, units in mix.items():
        tier = by_id.get(tier_id)
        if tier is None:
            continue
        stretch_prices = np.array(
            [
                float(pricing.effective_price(tier, at=noons[i], discounts=discounts).price)
                for i in first_day
            ]
        )
        prices += stretch_prices[day_stretch] * (units / total)
    commission = {p.id: float(p.commission_rate) for p in inputs.platforms}
    platform_mix = inputs.platform_mix.get(course.id, {})
    sold = sum(platform_mix.values())
    keep = (
        sum(units * (1 - commission.get(pid, 0.0)) for pid, units in platform_mix.items()) / sold
        if sold
        else 1.0
    )
    return prices * keep


def _json_ready(value):
    """numpy scalars and floats rounded for a JSONField."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return round(float(value), 6)
    return value


def _money(value: float) -> Decimal:
    return Decimal(str(round(float(value), 2)))


def forecast_calendar(
    inputs: CourseInputs, course: Course, *, first: date | None, today: date
) -> dict:
    """The course's discount periods, launch, excluded and restored days as day indices of its
    series (day 0 = ``first``, the first sale day), as forecasting.forecast_sales takes them."""
    if first is None:
        return {"promotions": [], "launch_day": None, "excluded_days": (), "restored_days": ()}
    end = (today - first).days + FORECAST_HORIZON
    promotions = [
        ((start - first).days, (last - first).days)
        for start, last in inputs.promotions.get(course.id, [])
        if (last - first).days >= 0 and (start - first).days < end
    ]
    # The launch date the creator set wins over the first campaign's pre-launch window, once it
    # has come (before it, every sale so far is a pre-sale and leaving them all out leaves none).
    own = course.launch_date if course.launch_date and course.launch_date <= today else None
    launch = own or inputs.launch.get(course.id)
    return {
        "promotions": promotions,
        "launch_day": (launch - first).days if launch and launch > first else None,
        "excluded_days": tuple(
            sorted((d - first).days for d in inputs.excluded.get(course.id, []))
        ),
        "restored_days": tuple(
            sorted((d - first).days for d in inputs.restored.get(course.id, []))
        ),
    }


def inputs_fingerprint(series: np.ndarray, unit_revenue: np.ndarray, **inputs) -> str:
    """A hash of everything one course's forecast is computed from."""
    digest = hashlib.sha256(forecasting.MODEL_VERSION.encode())
    digest.update(np.asarray(series, float).tobytes())
    digest.update(np.round(np.asarray(unit_revenue, float), 6).tobytes())
    digest.update(json.dumps(inputs, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _left_out_rows(result, first: date | None, series: np.ndarray) -> list[dict]:
    if first is None:
        return []
    rows = [
        {"day": (first + timedelta(days=d)).isoformat(), "reason": reason, "units": series[d]}
        for d, reason in result.left_out.items()
        if 0 <= d < len(series)
    ]
    rows += [
        {"day": (first + timedelta(days=d)).isoformat(), "reason": forecasting.CLIPPED, "units": u}
        for d, u in result.clipped.items()
    ]
    return sorted(rows, key=lambda row: row["day"])


def forecasts_recompute(inputs: CourseInputs, *, today: date, now: datetime) -> tuple[int, int]:
    """Fit, backtest and store a forecast per course with its daily points: only for the
    courses whose sales, calendar or prices changed since their stored forecast."""
    horizon_days = [today + timedelta(days=h) for h in range(FORECAST_HORIZON)]
    noons = day_noons(horizon_days)
    forecast_rows, points_by_course = [], {}
    for course in inputs.courses:
        units_by_day = inputs.daily_sales.get(course.id, {})
        first = min(units_by_day) if units_by_day else None
        series = daily_series(units_by_day, until=today)
        calendar = forecast_calendar(inputs, course, first=first, today=today)
        unit_revenue = unit_net_revenue(inputs, course, horizon_days, noons=noons)
        fingerprint = inputs_fingerprint(
            series,
            unit_revenue,
            today=today,
            first=first,
            r=course.growth_rate_override,
            **calendar,
        )
        if inputs.fingerprints.get(course.id) == fingerprint:
            continue
        result = forecasting.forecast_sales(
            series,
            horizon=FORECAST_HORIZON,
            r_override=course.growth_rate_override,
            **calendar,
        )
        revenue = result.mean * unit_revenue
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
                "explanation_code": result.explanation_code,
                "explanation_numbers": _json_ready(result.explanation_numbers),
                "backtest": _json_ready(result.backtest),
                "left_out": _json_ready(_left_out_rows(result, first, series)),
                "inputs_fingerprint": fingerprint,
                "parameters": result.params,
                "history_days": result.history_days,
                "units_next_30": units_30,
                "units_next_30_lower": lower_30,
                "units_next_30_upper": upper_30,
                "revenue_next_30": _money(revenue[:SUMMARY_DAYS].sum()),
                "computed_at": now,
            }
        )
        columns = zip(
            horizon_days,
            result.mean.tolist(),
            result.lower.tolist(),
            result.upper.tolist(),
            np.cumsum(result.mean).tolist(),
            revenue.tolist(),
            strict=True,
        )
        points_by_course[course.id] = [
            {
                "day": day,
                "units": units,
                "lower": lower,
                "upper": upper,
                "cumulative_units": cumulative,
                "revenue": _money(day_revenue),
            }
            for day, units, lower, upper, cumulative, day_revenue in columns
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
    point_figures = ["units", "lower", "upper", "cumulative_units", "revenue"]
    upsert_rows(
        ForecastPoint,
        points,
        unique_fields=["forecast", "day"],
        update_fields=point_figures,
        compare_fields=point_figures,  # a rerun the same day rewrites nothing
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
    counts.metrics = engagement_recompute(
        owner_ids=owner_ids, today=today, now=now, weights=weights
    )
    inputs = CourseInputs.load(owner_ids, today=today)
    counts.forecasts, counts.forecast_points = forecasts_recompute(inputs, today=today, now=now)
    counts.rankings = rankings_recompute(inputs, weights=weights, now=now)
    # After engagement: the funnel reads each video's lifetime views from the stored metrics.
    counts.funnel = funnel_recompute(owner_ids=owner_ids, today=today, now=now)
    return counts
