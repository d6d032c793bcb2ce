"""Funnel figures: they add up to the raw rows, per video, course, platform, phase, topic and
posting hour, and stay each creator's own."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics import engine
from tests.factories import (
    CampaignFactory,
    CourseFactory,
    LinkClickFactory,
    SaleFactory,
    ScheduledPostFactory,
    VideoDailyStatFactory,
    VideoFactory,
    platform,
)
from tracking import services
from tracking.models import FunnelStat, LinkClick, SaleAttribution

TODAY = timezone.localdate()


def at(day, hour=12):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def recompute(*owners):
    ids = [o.pk for o in owners]
    engine.engagement_recompute(owner_ids=ids, today=TODAY)
    from analytics import funnel

    funnel.funnel_recompute(owner_ids=ids, today=TODAY, now=timezone.now())


@pytest.fixture
def shop(creator):
    """Two courses, videos on two platforms with views, links, clicks and sales of every
    attribution kind."""
    python = CourseFactory(owner=creator, topic="Python", sales_page_url="https://s.example/py")
    rust = CourseFactory(owner=creator, topic="Rust", sales_page_url="https://s.example/rs")
    douyin, bilibili = platform("douyin"), platform("bilibili")
    videos = [
        VideoFactory(owner=creator, course=python, platform=douyin, topic="Python tips",
                     published_at=at(TODAY - timedelta(days=20), 20)),
        VideoFactory(owner=creator, course=python, platform=bilibili, topic="python TIPS",
                     published_at=at(TODAY - timedelta(days=19), 20)),
        VideoFactory(owner=creator, course=rust, platform=douyin, topic="Rust",
                     published_at=at(TODAY - timedelta(days=18), 8)),
    ]  # fmt: skip
    for i, video in enumerate(videos):
        for d in range(1, 6):
            VideoDailyStatFactory(
                video=video, date=TODAY - timedelta(days=d), views=1000 * (i + 1), interactions=50
            )
    links = [services.link_for_video(owner=creator, video=v) for v in videos]
    for i, link in enumerate(links):
        for k in range(3 + i):
            LinkClickFactory(
                link=link, clicked_at=at(TODAY - timedelta(days=2), 10 + k), visitor=f"{k:016x}"
            )
    sales = [
        SaleFactory(course=python, tracking_code=links[0].code, unit_price=Decimal("199.00"),
                    quantity=2, platform=douyin, sold_at=at(TODAY - timedelta(days=1))),
        SaleFactory(course=python, unit_price=Decimal("99.50"), platform=None,
                    sold_at=at(TODAY - timedelta(days=2), 20)),  # last click: links[1]
        SaleFactory(course=rust, source_video=videos[2], unit_price=Decimal("59.90"),
                    platform=bilibili, sold_at=at(TODAY - timedelta(days=1))),
        SaleFactory(course=rust, tracking_code="NOPE-123", unit_price=Decimal("10.00"),
                    sold_at=at(TODAY - timedelta(days=1))),  # unknown code: not credited
        SaleFactory(course=rust, unit_price=Decimal("10.00"),
                    sold_at=at(TODAY - timedelta(days=30))),  # no click within 7 days
    ]  # fmt: skip
    return {"courses": (python, rust), "videos": videos, "links": links, "sales": sales}


def funnel(owner, scope, **filters):
    return FunnelStat.objects.filter(owner=owner, scope=scope, **filters)


def test_funnel_sums_match_the_raw_rows(creator, shop):
    recompute(creator)
    credited = [
        a.sale for a in SaleAttribution.objects.select_related("sale__platform")
        if a.method in ("code", "manual", "last_click")
    ]  # fmt: skip
    assert len(credited) == 3
    gross = sum(s.quantity * s.unit_price for s in credited)
    net = sum(
        s.quantity * s.unit_price * (1 - (s.platform.commission_rate if s.platform else 0))
        for s in credited
    )
    clicks = LinkClick.objects.owned_by(creator).count()
    views = sum(v.daily_stats.aggregate(total=models_sum("views"))["total"] for v in shop["videos"])
    for scope, filters in [
        ("video", {}),
        ("course", {}),
        ("platform", {"course__isnull": True}),
        ("platform", {"course__isnull": False}),
    ]:
        rows = list(funnel(creator, scope, **filters))
        assert sum(r.clicks for r in rows) == clicks == 12, scope
        assert sum(r.views for r in rows) == views == 30000, scope
        assert sum(r.sales for r in rows) == 3, scope
        assert sum(r.units for r in rows) == 4, scope
        assert sum(r.sales_inferred for r in rows) == 1, scope
        assert sum(r.gross_revenue for r in rows) == gross, scope
        assert abs(sum(r.net_revenue for r in rows) - net) <= Decimal("0.01") * len(rows), scope


def models_sum(name):
    from django.db.models import Sum

    return Sum(name)


def test_per_video_rows_and_rates(creator, shop):
    recompute(creator)
    first = funnel(creator, "video").get(video=shop["videos"][0])
    commission = platform("douyin").commission_rate
    assert (first.views, first.clicks, first.visitors, first.sales, first.units) == (
        5000,
        3,
        3,
        1,
        2,
    )
    assert first.gross_revenue == Decimal("398.00")
    assert first.net_revenue == (Decimal("398.00") * (1 - commission)).quantize(Decimal("0.01"))
    assert first.click_rate == pytest.approx(3 / 5000)
    assert first.conversion == pytest.approx(1 / 3)
    second = funnel(creator, "video").get(video=shop["videos"][1])
    assert (second.sales, second.sales_inferred, second.net_revenue) == (1, 1, Decimal("99.50"))


def test_topics_fold_case_and_hours_are_local(creator, shop):
    recompute(creator)
    topics = {r.key: r for r in funnel(creator, "topic")}
    assert set(topics) == {"t:python tips", "t:rust"}
    assert topics["t:python tips"].videos == 2 and topics["t:python tips"].views == 15000
    hours = {r.hour: r.videos for r in funnel(creator, "hour")}
    assert hours == {20: 2, 8: 1}


def test_suggestion_scores_rank_revenue_per_view_with_shrinkage(creator, shop):
    recompute(creator)
    topics = {r.topic: r for r in funnel(creator, "topic")}
    # Python tips earned ~¥480 on 15k views; Rust ¥59.90 × (1 − commission) on 15k views.
    assert topics["Python tips"].score > topics["Rust"].score > 0
    # A brand-new topic with one small lucky sale does not outrank the proven one.
    lucky = VideoFactory(
        owner=creator, course=shop["courses"][0], topic="Lucky", published_at=at(TODAY)
    )
    VideoDailyStatFactory(video=lucky, date=TODAY - timedelta(days=1), views=10)
    SaleFactory(course=shop["courses"][0], source_video=lucky, unit_price=Decimal("99.00"),
                platform=None, sold_at=at(TODAY - timedelta(days=1)))  # fmt: skip
    recompute(creator)
    topics = {r.topic: r for r in funnel(creator, "topic")}
    assert topics["Lucky"].net_revenue / topics["Lucky"].views > 1  # ¥9.90 a view, raw
    assert topics["Python tips"].score > topics["Lucky"].score


def test_without_revenue_topics_rank_by_engagement(creator):
    for topic, interactions in [("A", 10), ("B", 90)]:
        video = VideoFactory(owner=creator, topic=topic)
        VideoDailyStatFactory(
            video=video,
            date=TODAY - timedelta(days=1),
            views=1000,
            interactions=interactions,
            comments=interactions // 5,
            likes=interactions // 2,
        )
    recompute(creator)
    topics = {r.topic: r for r in funnel(creator, "topic")}
    assert topics["B"].score > topics["A"].score
    assert topics["B"].score == pytest.approx(topics["B"].engagement)


def test_phase_funnel_counts_only_inside_each_phase(creator):
    course = CourseFactory(owner=creator, sales_page_url="https://s.example/")
    campaign = CampaignFactory(
        owner=creator, course=course, launch_date=TODAY - timedelta(days=3),
        prelaunch_days=3, followup_days=3,
    )  # fmt: skip
    video = VideoFactory(owner=creator, course=course)
    post = ScheduledPostFactory(
        campaign=campaign, video=video, planned_at=at(TODAY - timedelta(days=5))
    )
    link = services.link_for_post(owner=creator, post=post)
    for d in range(0, 9):  # days launch−5 … launch+3
        VideoDailyStatFactory(video=video, date=TODAY - timedelta(days=8 - d), views=100 + d)
    LinkClickFactory(link=link, clicked_at=at(TODAY - timedelta(days=5)))  # pre-launch
    LinkClickFactory(link=link, clicked_at=at(TODAY - timedelta(days=3)))  # launch day
    LinkClickFactory(link=link, clicked_at=at(TODAY - timedelta(days=10)))  # before the campaign
    SaleFactory(
        course=course,
        tracking_code=link.code,
        unit_price=Decimal("50.00"),
        platform=None,
        sold_at=at(TODAY - timedelta(days=1)),
    )  # follow-up
    recompute(creator)
    rows = {r.phase: r for r in funnel(creator, "phase", campaign=campaign)}
    assert rows["prelaunch"].clicks == 1 and rows["launch"].clicks == 1
    assert rows["followup"].clicks == 0 and rows["followup"].sales == 1
    assert rows["followup"].net_revenue == Decimal("50.00")
    # Views: launch is TODAY−3 → d=5 → 105; pre-launch TODAY−6..−4 → 102+103+104;
    # follow-up TODAY−2..TODAY−0 with data up to TODAY → 106+107+108.
    assert rows["launch"].views == 105
    assert rows["prelaunch"].views == 102 + 103 + 104
    assert rows["followup"].views == 106 + 107 + 108


def test_each_creator_sees_only_their_own_funnel(creator, other_creator, shop):
    theirs = VideoFactory(owner=other_creator, topic="Python tips")
    link = services.link_for_video(owner=other_creator, video=theirs)
    LinkClickFactory.create_batch(5, link=link)
    recompute(creator, other_creator)
    mine = funnel(creator, "platform", course__isnull=True)
    assert sum(r.clicks for r in mine) == 12
    assert sum(r.clicks for r in funnel(other_creator, "platform", course__isnull=True)) == 5
    assert not FunnelStat.objects.owned_by(other_creator).filter(video__in=shop["videos"]).exists()
    before = {r.pk: r.computed_at for r in FunnelStat.objects.owned_by(creator)}
    recompute(other_creator)  # another creator's run leaves these rows alone
    after = {r.pk: r.computed_at for r in FunnelStat.objects.owned_by(creator)}
    assert before == after


def test_groups_that_disappear_are_removed(creator, shop):
    recompute(creator)
    gone = shop["videos"][2]
    assert funnel(creator, "video", video=gone).exists()
    gone.delete()
    recompute(creator)
    assert not funnel(creator, "topic", topic="Rust").exists()
    assert funnel(creator, "video").count() == 2


def test_the_recompute_fills_attribution_and_funnel(creator, shop):
    """What the workers run (per creator, in one transaction) includes the funnel step."""
    from analytics.services import metrics_recompute_owner

    run = metrics_recompute_owner(owner_id=creator.pk, trigger="test")
    assert run is not None and run.status == "succeeded"
    assert SaleAttribution.objects.owned_by(creator).count() == len(shop["sales"])
    assert funnel(creator, "video").count() == len(shop["videos"])
    assert sum(r.clicks for r in funnel(creator, "video")) == 12
    assert run.rows_written >= FunnelStat.objects.owned_by(creator).count()
