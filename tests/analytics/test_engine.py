import math
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics import engine, services
from analytics.models import CreatorSettings, EngagementMetric, RecomputeRun
from tests.factories import VideoDailyStatFactory, VideoFactory

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


@pytest.mark.parametrize("videos", [3, 40])
def test_query_count_does_not_grow_with_videos(creator, videos):
    for n in range(videos):
        _stat(VideoFactory(owner=creator), n % 30)
    with CaptureQueriesContext(connection) as ctx:
        engine.engagement_recompute(owner_ids=[creator.id], today=TODAY)
    # Reads: videos, stats, weights — three queries whatever the size. Writes: one upsert per
    # batch, the batch being as large as the database accepts (SQLite caps bound parameters).
    upserts = [q for q in ctx.captured_queries if "engagementmetric" in q["sql"].lower()]
    fields = [
        EngagementMetric._meta.get_field(n) for n in ["video", "window", *engine.METRIC_FIELDS]
    ]
    batch = min(engine.UPSERT_BATCH, connection.ops.bulk_batch_size(fields, [None] * 3 * videos))
    assert len(upserts) == math.ceil(3 * videos / batch)
    assert len(ctx.captured_queries) - len(upserts) <= 5


def test_second_run_while_one_is_running_is_skipped(creator):
    VideoFactory(owner=creator)
    held = services.recompute_run_start(owner_id=creator.id, trigger="test")
    assert held is not None
    assert services.metrics_recompute_owner(owner_id=creator.id) is None
    assert RecomputeRun.objects.filter(owner=creator).count() == 1
    services.recompute_run_finish(run=held)
    run = services.metrics_recompute_owner(owner_id=creator.id)
    assert run.status == RecomputeRun.Status.SUCCEEDED
    assert run.rows_written == 3


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
