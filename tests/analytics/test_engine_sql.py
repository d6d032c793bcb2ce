"""PostgreSQL computes the engagement figures in SQL; formulas.py stays the source of truth.

The SQL path must give the figures the pandas/numpy path (``engine.engagement_frame``, which
SQLite keeps using) gives, on varied data: zero denominators, window edges, future days, no
stats at all, per-creator weights, totals too large for an exact float sum.
"""

import math
import random
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from analytics import engine
from analytics.models import CreatorSettings, EngagementMetric
from tests.factories import CreatorFactory, VideoDailyStatFactory, VideoFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL path is PostgreSQL's"),
]
TODAY = date(2026, 11, 28)


def _stat(video, days_ago, **counts):
    return VideoDailyStatFactory(video=video, date=TODAY - timedelta(days=days_ago), **counts)


def _varied_data(rng: random.Random) -> list[int]:
    """Three creators (custom weights, zero weights, defaults) with videos of every kind."""
    owners = [CreatorFactory() for _ in range(3)]
    CreatorSettings.objects.create(
        owner=owners[0],
        engagement_weight_f=0.1,
        engagement_weight_d=1 / 3,
        quality_weight_f=0.7,
        quality_weight_d=0.05,
        quality_weight_cq=2 / 7,
    )
    CreatorSettings.objects.create(
        owner=owners[1], engagement_weight_f=0, engagement_weight_d=1, quality_weight_cq=0
    )
    for owner in owners:
        for n in range(12):
            video = VideoFactory(
                owner=owner,
                course=None,
                length_seconds=rng.choice([1, 59, 61, 300, 3599, rng.randint(1, 7200)]),
                production_level=rng.randint(1, 5),
                usefulness=rng.randint(1, 5),
            )
            if n == 0:
                continue  # no stats at all
            for days_ago in sorted(rng.sample(range(-2, 60), k=rng.randint(1, 25))):
                views = rng.choice([0, 1, 7, None, rng.randint(0, 10**6)])
                interactions = rng.choice([0, 3, rng.randint(0, 10**5)])
                _stat(
                    video,
                    days_ago,
                    views=views,
                    interactions=interactions,
                    comments=rng.choice([0, rng.randint(0, 5000)]),
                    likes=rng.choice([0, rng.randint(0, 5000)]),
                )
        # Zero denominators with non-zero numerators: F and D must be 0, not an error.
        no_views = VideoFactory(owner=owner, course=None)
        _stat(no_views, 1, views=0, interactions=40, comments=3, likes=2)
        no_interactions = VideoFactory(owner=owner, course=None)
        _stat(no_interactions, 2, views=500, interactions=0, comments=9, likes=4)
        # Views not reported: F over the known days only, unknown when no day has views.
        some_unknown = VideoFactory(owner=owner, course=None)
        for days_ago, views in ((1, None), (3, 400), (10, None), (30, 0)):
            _stat(some_unknown, days_ago, views=views, interactions=20, comments=2, likes=3)
        all_unknown = VideoFactory(owner=owner, course=None)
        for days_ago in (2, 20):
            _stat(all_unknown, days_ago, views=None, interactions=50, comments=5, likes=5)
        # Window edges: 6 and 27 days ago are in, 7 and 28 out; tomorrow is ignored.
        edges = VideoFactory(owner=owner, course=None)
        for days_ago in (-1, 0, 6, 7, 27, 28):
            _stat(edges, days_ago, views=100 + days_ago, interactions=10, comments=1, likes=2)
    return [o.id for o in owners]


def _stored(owner_ids):
    return {
        (row["video_id"], row["window"]): row
        for row in EngagementMetric.objects.filter(video__owner_id__in=owner_ids).values()
    }


def _assert_same_figures(frame, stored):
    assert len(stored) == len(frame)
    for row in frame.to_dict("records"):
        ours = stored[(row["video_id"], row["window"])]
        for name in (*engine.COUNTS, engine.UNKNOWN_DAYS):
            assert ours[name] == row[name], name
        for name in ("frequency", "depth", "engagement", "content_quality", "composite_quality"):
            if ours[name] is None or math.isnan(row[name]):  # unknown on both paths
                assert ours[name] is None and math.isnan(row[name]), name
                continue
            assert ours[name] == pytest.approx(row[name], rel=1e-9, abs=1e-9), name


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_path_gives_the_pandas_figures(seed):
    owner_ids = _varied_data(random.Random(seed))
    frame = engine.engagement_frame(owner_ids=owner_ids, today=TODAY)
    written = engine.engagement_upsert_sql(owner_ids=owner_ids, today=TODAY, now=timezone.now())
    assert written == len(frame)
    stored = _stored(owner_ids)
    _assert_same_figures(frame, stored)
    zero_views = [r for r in stored.values() if r["views"] == 0]
    zero_interactions = [r for r in stored.values() if r["interactions"] == 0]
    assert zero_views and all(r["frequency"] == 0 for r in zero_views)
    unknown = [r for r in stored.values() if r["views"] is None]
    assert unknown and all(r["frequency"] is None for r in unknown)
    assert all(r["engagement"] is None and r["composite_quality"] is None for r in unknown)
    assert any(r["views_unknown_days"] and r["frequency"] is not None for r in stored.values())
    assert zero_interactions and all(r["depth"] == 0 for r in zero_interactions)


def test_sql_path_writes_only_what_changed_and_keeps_computed_at():
    owner_ids = _varied_data(random.Random(4))
    first = timezone.now() - timedelta(hours=1)
    assert engine.engagement_upsert_sql(owner_ids=owner_ids, today=TODAY, now=first) > 0
    assert engine.engagement_upsert_sql(owner_ids=owner_ids, today=TODAY, now=timezone.now()) == 0
    assert set(EngagementMetric.objects.values_list("computed_at", flat=True)) == {first}
    video = EngagementMetric.objects.filter(video__owner_id=owner_ids[0]).first().video
    _stat(video, 30, views=5, interactions=1, comments=0, likes=0)  # lifetime only
    assert engine.engagement_upsert_sql(owner_ids=owner_ids, today=TODAY, now=timezone.now()) == 1


def test_totals_beyond_exact_float_sums_are_summed_exactly():
    owner = CreatorFactory()
    video = VideoFactory(owner=owner, course=None)
    big = engine.EXACT_FLOAT_SUM_LIMIT + 1  # not a float8: a float sum would round it
    _stat(video, 1, views=big, interactions=big, comments=1, likes=2)
    _stat(video, 2, views=1, interactions=3, comments=0, likes=0)
    frame = engine.engagement_frame(owner_ids=[owner.id], today=TODAY)
    engine.engagement_upsert_sql(owner_ids=[owner.id], today=TODAY, now=timezone.now())
    stored = _stored([owner.id])
    assert stored[(video.id, "lifetime")]["views"] == big + 1
    assert stored[(video.id, "lifetime")]["interactions"] == big + 3
    _assert_same_figures(frame, stored)


def test_session_settings_are_restored():
    owner = CreatorFactory()
    _stat(VideoFactory(owner=owner, course=None), 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit'), current_setting('work_mem')")
        before = cursor.fetchone()
        engine.engagement_upsert_sql(owner_ids=[owner.id], today=TODAY, now=timezone.now())
        cursor.execute("SELECT current_setting('jit'), current_setting('work_mem')")
        assert cursor.fetchone() == before
