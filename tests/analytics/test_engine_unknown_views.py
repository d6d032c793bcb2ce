"""Views a source does not report are unknown, not zero (issue 13, deliverable 2).

F divides the interactions of the days whose views are known by those days' views; a window
whose days all lack views has an unknown F, and so unknown D_F and CQ_F. D needs no views.
``engagement_recompute`` takes the SQL path on PostgreSQL and the pandas path elsewhere, so
these run against both (CI's PostgreSQL pass).
"""

from datetime import date, timedelta

import pytest

from analytics import engine
from analytics.models import EngagementMetric
from tests.factories import VideoDailyStatFactory, VideoFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 28)
# (days ago, views, interactions, comments, likes); views None = not reported.
ROWS = [
    (0, 1000, 100, 10, 50),
    (2, None, 400, 40, 60),  # 7d, unknown views: out of F, in D
    (5, 500, 25, 5, 5),
    (10, None, 70, 7, 3),  # 28d only, unknown
    (20, 2000, 60, 6, 4),  # 28d only, known
    (40, 3000, 90, 9, 1),  # lifetime only
]


def _stat(video, days_ago, views, interactions, comments, likes):
    return VideoDailyStatFactory(
        video=video,
        date=TODAY - timedelta(days=days_ago),
        views=views,
        interactions=interactions,
        comments=comments,
        likes=likes,
    )


def _expected(rows, days):
    """F, D and the known views from the rows themselves."""
    window = [r for r in rows if days is None or r[0] < days]
    known = [r for r in window if r[1] is not None]
    views = sum(r[1] for r in known)
    interactions = sum(r[2] for r in window)
    return {
        "views": views if known or not window else None,
        "frequency": (sum(r[2] for r in known) / views if views else 0.0) if known else None,
        "depth": sum(r[3] + r[4] for r in window) / interactions,
        "interactions": interactions,
        "views_unknown_days": len(window) - len(known),
    }


def _metrics(video):
    engine.engagement_recompute(owner_ids=[video.owner_id], today=TODAY)
    return {m.window: m for m in EngagementMetric.objects.filter(video=video)}


def test_frequency_uses_only_the_days_whose_views_are_known(creator):
    video = VideoFactory(owner=creator, length_seconds=300, production_level=4, usefulness=3)
    for row in ROWS:
        _stat(video, *row)
    metrics = _metrics(video)
    for window, days in (("7d", 7), ("28d", 28), ("lifetime", None)):
        expected, metric = _expected(ROWS, days), metrics[window]
        assert metric.views == expected["views"], window
        assert metric.interactions == expected["interactions"], window
        assert metric.views_unknown_days == expected["views_unknown_days"], window
        assert metric.frequency == pytest.approx(expected["frequency"]), window
        assert metric.depth == pytest.approx(expected["depth"]), window
        assert metric.engagement == pytest.approx(
            0.5 * expected["frequency"] + 0.5 * expected["depth"]
        )
        assert metric.composite_quality == pytest.approx(
            0.3 * expected["frequency"] + 0.3 * expected["depth"] + 0.4 * 4
        )
    # Spelled out for the 7-day window: (100 + 25) / (1000 + 500), the 400 left out.
    assert metrics["7d"].frequency == pytest.approx(125 / 1500)
    assert metrics["28d"].frequency == pytest.approx(185 / 3500)


def test_no_known_views_leaves_f_and_what_uses_it_unknown(creator):
    video = VideoFactory(owner=creator, length_seconds=120, production_level=2, usefulness=5)
    _stat(video, 1, None, 40, 4, 6)
    _stat(video, 3, None, 60, 6, 4)
    _stat(video, 12, 800, 80, 8, 8)  # known, but outside 7d
    metrics = _metrics(video)
    week = metrics["7d"]
    assert week.views is None and week.views_unknown_days == 2
    assert week.frequency is None and week.engagement is None and week.composite_quality is None
    assert week.depth == pytest.approx(20 / 100)  # D needs no views
    assert week.content_quality == pytest.approx((2 + 2 + 5) / 3)
    assert metrics["28d"].views == 800
    assert metrics["28d"].frequency == pytest.approx(80 / 800)


def test_measured_zero_views_stay_zero_and_f_is_zero(creator):
    video = VideoFactory(owner=creator)
    _stat(video, 1, 0, 30, 3, 3)
    metric = _metrics(video)["7d"]
    assert metric.views == 0 and metric.views_unknown_days == 0
    assert metric.frequency == 0 and metric.engagement == pytest.approx(0.5 * 0.2)


def test_video_without_days_keeps_zero_views_and_zero_f(creator):
    metric = _metrics(VideoFactory(owner=creator))["7d"]
    assert metric.views == 0 and metric.frequency == 0 and metric.views_unknown_days == 0


def test_figures_turn_unknown_and_back_and_a_rerun_writes_nothing(creator):
    video = VideoFactory(owner=creator)
    stat = _stat(video, 1, 100, 10, 1, 1)
    assert _metrics(video)["7d"].frequency == pytest.approx(0.1)
    stat.views = None
    stat.save(update_fields=["views"])
    assert _metrics(video)["7d"].frequency is None
    assert engine.engagement_recompute(owner_ids=[creator.id], today=TODAY) == 0
    stat.views = 50
    stat.save(update_fields=["views"])
    assert _metrics(video)["7d"].frequency == pytest.approx(0.2)


def test_funnel_sums_known_views_and_skips_unknown_engagement(creator):
    from django.utils import timezone

    from analytics.funnel import funnel_recompute
    from tests.factories import CampaignFactory, CourseFactory, ScheduledPostFactory
    from tracking.models import FunnelStat

    course = CourseFactory(owner=creator)
    campaign = CampaignFactory(
        owner=creator, course=course, launch_date=TODAY - timedelta(days=3),
        prelaunch_days=3, followup_days=3,
    )  # fmt: skip
    measured = VideoFactory(owner=creator, course=course, topic="Python")
    unmeasured = VideoFactory(owner=creator, course=course, topic="Python")
    for video in (measured, unmeasured):
        ScheduledPostFactory(campaign=campaign, video=video)
    _stat(measured, 3, 1000, 100, 10, 40)  # launch day
    _stat(unmeasured, 3, None, 500, 50, 50)
    _stat(unmeasured, 2, None, 500, 50, 50)
    engine.engagement_recompute(owner_ids=[creator.id], today=TODAY)
    funnel_recompute(owner_ids=[creator.id], today=TODAY, now=timezone.now())
    stats = FunnelStat.objects.filter(owner=creator)
    launch = stats.get(scope="phase", campaign=campaign, phase="launch")
    assert launch.views == 1000
    assert stats.get(scope="video", video=unmeasured).views == 0
    topic = stats.get(scope="topic")
    assert topic.views == 1000 and topic.videos == 2
    # Mean D_F over the videos whose D_F is known: the measured one alone.
    assert topic.engagement == pytest.approx(0.5 * 0.1 + 0.5 * 0.5)
