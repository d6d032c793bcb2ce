import math
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics import engine, services
from analytics.models import CreatorSettings, EngagementMetric, RecomputeRun
from tests.factories import (
    CourseFactory,
    PriceTierFactory,
    SaleFactory,
    VideoDailyStatFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 28)


def _stat(video, days_ago, **counts):
    return VideoDailyStatFactory(video=video, date=TODAY - timedelta(days=days_ago), **counts)


def test_windows_sum_the_right_days_and_apply_the_formulas(creator):
    video = VideoFactory(owner=creator, length_seconds=300, production_level=4, usefulness=3)
    _stat(video, 0, views=1000, interactions=100, comments=10, likes=50)
    _stat(video, 6, views=1000, interactions=100, comments=30, likes=10)  # still in 7d
    _stat(video, 7, views=2000, interactions=50, comments=5, likes=5)  # 28d only
    _stat(video, 40, views=4000, interactions=0, comments=0, likes=0)  # lifetime only
    _stat(video, -1, views=999, interactions=999, comments=0, likes=0)  # future: ignored
    engine.engagement_recompute(owner_ids=[creator.id], today=TODAY)

    rows = {m.window: m for m in EngagementMetric.objects.filter(video=video)}
    assert set(rows) == {"lifetime", "7d", "28d"}
    week = rows["7d"]
    assert (week.views, week.interactions, week.comments, week.likes) == (2000, 200, 40, 60)
    assert week.frequency == pytest.approx(0.1)
    assert week.depth == pytest.approx(0.5)
    assert week.engagement == pytest.approx(0.5 * 0.1 + 0.5 * 0.5)
    assert week.content_quality == pytest.approx((5 + 4 + 3) / 3)
    assert week.composite_quality == pytest.approx(0.3 * 0.1 + 0.3 * 0.5 + 0.4 * 4)
    assert rows["28d"].views == 4000
    assert rows["lifetime"].views == 8000
    assert rows["lifetime"].frequency == pytest.approx(250 / 8000)


def test_creator_weights_are_used(creator):
    CreatorSettings.objects.create(owner=creator, engagement_weight_f=1, engagement_weight_d=0)
    video = VideoFactory(owner=creator)
    _stat(video, 1, views=100, interactions=20, comments=5, likes=5)
    engine.engagement_recompute(owner_ids=[creator.id], today=TODAY)
    metric = EngagementMetric.objects.get(video=video, window="7d")
    assert metric.engagement == pytest.approx(0.2)


def test_video_without_stats_gets_zero_engagement_and_its_quality(creator):
    video = VideoFactory(owner=creator, length_seconds=120, production_level=2, usefulness=5)
    engine.engagement_recompute(owner_ids=[creator.id], today=TODAY)
    metric = EngagementMetric.objects.get(video=video, window="lifetime")
    assert (metric.views, metric.frequency, metric.depth, metric.engagement) == (0, 0, 0, 0)
    assert metric.content_quality == pytest.approx(3)


def test_rerun_writes_only_what_changed(creator):
    video = VideoFactory(owner=creator, course=None)
    stat = _stat(video, 1, views=100, interactions=10, comments=1, likes=1)
    assert engine.engagement_recompute(owner_ids=[creator.id], today=TODAY) == 3
    assert engine.engagement_recompute(owner_ids=[creator.id], today=TODAY) == 0
    stat.views = 50
    stat.save(update_fields=["views"])
    # The stat is in all three windows.
    assert engine.engagement_recompute(owner_ids=[creator.id], today=TODAY) == 3
    _stat(video, 20, views=10, interactions=1, comments=0, likes=0)  # 28d and lifetime only
    assert engine.engagement_recompute(owner_ids=[creator.id], today=TODAY) == 2


def test_rerun_is_idempotent_and_updates_in_place(creator):
    video = VideoFactory(owner=creator)
    stat = _stat(video, 1, views=100, interactions=10, comments=1, likes=1)
    engine.engagement_recompute(owner_ids=[creator.id], today=TODAY)
    first = list(EngagementMetric.objects.order_by("id").values_list("id", "views", "engagement"))
    engine.engagement_recompute(owner_ids=[creator.id], today=TODAY)
    again = list(EngagementMetric.objects.order_by("id").values_list("id", "views", "engagement"))
    assert first == again
    stat.views = 50
    stat.save(update_fields=["views"])
    engine.engagement_recompute(owner_ids=[creator.id], today=TODAY)
    assert EngagementMetric.objects.count() == 3
    assert EngagementMetric.objects.get(video=video, window="7d").views == 50


def test_recompute_touches_only_the_given_creator(creator, other_creator):
    mine, theirs = VideoFactory(owner=creator), VideoFactory(owner=other_creator)
    _stat(mine, 1)
    _stat(theirs, 1)
    engine.engagement_recompute(owner_ids=[creator.id], today=TODAY)
    assert EngagementMetric.objects.filter(video=mine).count() == 3
    assert not EngagementMetric.objects.filter(video=theirs).exists()


def _recompute_queries(owner) -> tuple[list[str], list[str], list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        engine.recompute(owner_ids=[owner.id], today=TODAY)
    sql = [q["sql"].lstrip().upper() for q in ctx.captured_queries]
    writes = [q for q in sql if q.startswith(("INSERT", "DELETE", "UPDATE"))]
    reads = [q for q in sql if q.startswith("SELECT")]
    ddl = [q for q in sql if q.startswith(("CREATE", "DROP"))]
    return reads, writes, ddl


@pytest.mark.parametrize("size", [3, 40])
def test_query_count_does_not_grow_with_the_data(creator, size):
    """Reads are fixed; writes are one statement per result table on PostgreSQL (SQLite splits
    them only at its bound-parameter limit)."""
    for n in range(size):
        course = CourseFactory(owner=creator)
        PriceTierFactory(course=course)
        SaleFactory(course=course, sold_at=timezone.now() - timedelta(days=n % 5 + 1))
        _stat(VideoFactory(owner=creator, course=course), n % 30)
    reads, writes, ddl = _recompute_queries(creator)
    # Then: courses, daily sales, mixes, tiers, discounts, launches (campaigns), excluded
    # days, stored fingerprints, platforms, forecast ids.
    courses = 10
    # The funnel: links, sales, clicks per link and day, video platforms, videos, lifetime
    # metrics, campaigns (no links here: no clicks to read for the last-click rule).
    funnel = 7
    if connection.vendor == "postgresql":
        # weights, video ids, set + restore settings, exact-sum check; the figures go into a
        # temporary table (create, drop) and from there into the metrics (update, insert).
        assert len(reads) == 5 + courses + funnel
        assert len(ddl) == 2
        # metrics changed, metrics new, forecasts, delete old points, points, rankings;
        # attributions, funnel rows, delete stale funnel rows
        assert len(writes) == 6 + 3
    else:
        # weights, stats, videos, stored metrics
        assert len(reads) == 4 + courses + funnel
        # points: 90 per course, 8 columns, at most 999 parameters a statement; funnel rows
        # (a row per video, course and platform, 22 columns).
        assert len(writes) <= (
            4
            + math.ceil(size * 90 * 8 / 999)
            + math.ceil(size * 3 * 12 / 999)
            + 2
            + math.ceil(size * 7 / 999)
            + math.ceil(size * 3 * 22 / 999)
        )


@contextmanager
def _lock_held_elsewhere(owner_id):
    """Another process's live run: on PostgreSQL its advisory lock, held on another
    connection; everywhere its "running" row."""
    other = None
    if connection.vendor == "postgresql":
        import psycopg

        db = connection.settings_dict
        other = psycopg.connect(
            dbname=db["NAME"],
            user=db["USER"],
            host=db["HOST"] or "127.0.0.1",
            port=db["PORT"] or 5432,
            password=db["PASSWORD"] or None,
            autocommit=True,
        )
        other.execute("SELECT pg_advisory_lock(%s, %s)", [services.ADVISORY_NAMESPACE, owner_id])
    held = services.recompute_run_start(owner_id=owner_id, trigger="elsewhere")
    try:
        yield held
    finally:
        if other is not None:
            # Unlock before closing: a closed connection's backend releases its locks only
            # when it has exited, which may be after the next test step has looked.
            other.execute(
                "SELECT pg_advisory_unlock(%s, %s)", [services.ADVISORY_NAMESPACE, owner_id]
            )
            other.close()


def test_second_run_while_one_is_running_is_skipped(creator):
    VideoFactory(owner=creator, course=None)
    with _lock_held_elsewhere(creator.id) as held:
        assert held is not None
        assert services.metrics_recompute_owner(owner_id=creator.id) is None
        assert RecomputeRun.objects.filter(owner=creator).count() == 1
        assert not EngagementMetric.objects.exists()
        services.recompute_run_finish(run=held)
    run = services.metrics_recompute_owner(owner_id=creator.id)
    assert run.status == RecomputeRun.Status.SUCCEEDED
    # three windows of one video; no course, no forecast; funnel rows for the video, its
    # platform and its posting hour
    assert run.rows_written == 3 + 3


def test_stale_lock_of_a_dead_worker_is_taken_over(creator):
    VideoFactory(owner=creator)
    RecomputeRun.objects.create(
        owner=creator,
        started_at=timezone.now() - timedelta(hours=1),
        status=RecomputeRun.Status.RUNNING,
    )
    run = services.metrics_recompute_owner(owner_id=creator.id)
    assert run is not None and run.status == RecomputeRun.Status.SUCCEEDED
    assert RecomputeRun.objects.filter(status=RecomputeRun.Status.FAILED).count() == 1


def test_forecast_points_price_each_day_with_its_discount_and_commission(creator):
    from datetime import datetime, time
    from decimal import Decimal

    from analytics.models import ForecastPoint, SalesForecast
    from courses.models import Discount
    from tests.factories import platform

    course = CourseFactory(owner=creator)
    tier = PriceTierFactory(course=course, list_price=Decimal("100.00"))
    douyin = platform("douyin")  # commission 0.10
    start = timezone.make_aware(datetime.combine(TODAY, time.min))
    Discount.objects.create(
        course=course,
        name="launch",
        kind=Discount.Kind.PERCENT,
        value=Decimal("20"),
        starts_at=start,
        ends_at=start + timedelta(days=10),
    )
    for n in range(40):
        SaleFactory(
            course=course,
            tier=tier,
            platform=douyin,
            quantity=2,
            sold_at=start - timedelta(days=n + 1) + timedelta(hours=12),
        )

    engine.recompute(owner_ids=[creator.id], today=TODAY)

    forecast = SalesForecast.objects.get(course=course)
    points = list(ForecastPoint.objects.filter(forecast=forecast).order_by("day"))
    assert len(points) == 90 and points[0].day == TODAY
    assert forecast.history_days == 40
    # Flat sales, 2 a day; the discount's ten days are a promotion (no past one to learn the
    # uplift from: the prior uplift).
    from analytics import forecasting

    assert points[10].units == pytest.approx(2, rel=1e-6)
    assert points[0].units == pytest.approx(2 * forecasting.PROMO_PRIOR, rel=1e-6)
    assert points[9].units == pytest.approx(points[0].units)
    assert points[0].revenue == Decimal(str(round(points[0].units * 80 * 0.9, 2)))
    assert points[10].revenue == Decimal(str(round(points[10].units * 100 * 0.9, 2)))
    assert float(forecast.revenue_next_30) == pytest.approx(
        sum(float(p.revenue) for p in points[:30]), abs=0.05
    )
    assert forecast.units_next_30_lower <= forecast.units_next_30 <= forecast.units_next_30_upper
    assert points[-1].cumulative_units == pytest.approx(sum(p.units for p in points))


def test_growth_rate_override_is_used_and_marked(creator):
    from analytics.models import SalesForecast

    course = CourseFactory(owner=creator, growth_rate_override=0.1)
    SaleFactory(course=course, sold_at=timezone.now() - timedelta(days=3))
    engine.recompute(owner_ids=[creator.id])
    forecast = SalesForecast.objects.get(course=course)
    assert forecast.growth_rate_overridden
    assert forecast.growth_rate == pytest.approx(0.1)


def test_platform_ranking_uses_audience_weights_and_net_price(creator):
    from decimal import Decimal

    from analytics.models import CreatorSettings, PlatformRanking

    CreatorSettings.objects.create(
        owner=creator, rank_weight_audience=1, rank_weight_traffic=0, rank_weight_commission=0
    )
    course = CourseFactory(owner=creator, audience_tags=["developers"])
    PriceTierFactory(course=course, list_price=Decimal("200.00"))
    engine.recompute(owner_ids=[creator.id], today=TODAY)
    rows = {r.platform.slug: r for r in PlatformRanking.objects.filter(course=course)}
    assert len(rows) == 6
    with_developers = {"bilibili", "wechat-channels", "youtube-shorts"}
    assert {slug for slug, r in rows.items() if r.rank <= 3} == with_developers
    assert rows["bilibili"].audience_match == 1.0
    assert rows["douyin"].audience_match == 0.0
    assert rows["bilibili"].net_price == Decimal("140.00")  # 200 × (1 − 0.30)
    assert rows["wechat-channels"].net_price == Decimal("190.00")  # 200 × (1 − 0.05)


def _per_day_unit_net_revenue(inputs, course, days):
    """The definition, one day at a time: what the engine's per-stretch pricing must equal."""
    from datetime import datetime, time

    import numpy as np

    from courses import pricing

    tiers = inputs.tiers.get(course.id, [])
    mix = inputs.tier_mix.get(course.id) or {tiers[0].id: 1}
    total = sum(mix.values())
    by_id = {t.id: t for t in tiers}
    prices = np.zeros(len(days))
    for tier_id, units in mix.items():
        for i, day in enumerate(days):
            noon = timezone.make_aware(datetime.combine(day, time(12)))
            price = pricing.effective_price(
                by_id[tier_id], at=noon, discounts=inputs.discounts.get(course.id, [])
            ).price
            prices[i] += float(price) * (units / total)
    commission = {p.id: float(p.commission_rate) for p in inputs.platforms}
    mix = inputs.platform_mix.get(course.id, {})
    sold = sum(mix.values())
    keep = sum(u * (1 - commission[p]) for p, u in mix.items()) / sold if sold else 1.0
    return prices * keep


def test_unit_net_revenue_prices_each_stretch_as_each_day(creator):
    """Overlapping, tier-only and fixed-amount discounts, one ending exactly at a noon."""
    from datetime import datetime, time
    from decimal import Decimal

    from courses.models import Discount
    from tests.factories import DiscountFactory, platform

    course = CourseFactory(owner=creator)
    cheap = PriceTierFactory(course=course, list_price=Decimal("49.90"))
    dear = PriceTierFactory(course=course, list_price=Decimal("199.00"))
    noon = timezone.make_aware(datetime.combine(TODAY, time(12)))
    for kind, value, tier, start, days in [
        (Discount.Kind.PERCENT, "20", None, -3, 10),
        (Discount.Kind.PERCENT, "35", dear, 5, 4),
        (Discount.Kind.FIXED, "60", dear, 2, 30),
        (Discount.Kind.FIXED, "500", cheap, 40, 1),
        (Discount.Kind.PERCENT, "10", None, 70, 100),
    ]:
        DiscountFactory(
            course=course,
            kind=kind,
            value=Decimal(value),
            tier=tier,
            starts_at=noon + timedelta(days=start, hours=-1),
            ends_at=noon + timedelta(days=start + days),
        )
    for n, (tier, slug) in enumerate([(cheap, "douyin"), (dear, "bilibili"), (dear, "douyin")]):
        SaleFactory(
            course=course,
            tier=tier,
            platform=platform(slug),
            quantity=n + 1,
            sold_at=noon - timedelta(days=n + 1),
        )
    inputs = engine.CourseInputs.load([creator.id], today=TODAY)
    days = [TODAY + timedelta(days=h) for h in range(engine.FORECAST_HORIZON)]
    expected = _per_day_unit_net_revenue(inputs, course, days)
    assert len(set(expected.tolist())) > 4  # the discounts do change the price
    assert engine.unit_net_revenue(inputs, course, days).tolist() == expected.tolist()
