"""Dirty tracking (issue 18): the hourly run recomputes only the stale creators, and what it
stores is exactly what a full pass stores."""

import random
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from analytics import funnel, services
from analytics.models import (
    EngagementMetric,
    ForecastPoint,
    PlatformRanking,
    RecomputeRun,
    RecomputeState,
    SalesForecast,
)
from courses import services as course_services
from courses.models import Sale
from tests.factories import (
    CourseFactory,
    CreatorFactory,
    DiscountFactory,
    LinkClickFactory,
    PriceTierFactory,
    SaleFactory,
    TrackingLinkFactory,
    VideoDailyStatFactory,
    VideoFactory,
    platform,
)
from tests.processes import database_url
from tracking import services as tracking_services
from tracking.models import FunnelStat, SaleAttribution
from videos import services as video_services
from videos.models import VideoDailyStat

pytestmark = pytest.mark.django_db

# Every stored figure, by its natural key; ids and computed_at (when, not what) left out.
SNAPSHOTS = {
    EngagementMetric: ("video_id", "window"),
    SalesForecast: ("course_id",),
    ForecastPoint: ("forecast__course_id", "day"),
    PlatformRanking: ("course_id", "platform_id"),
    SaleAttribution: ("sale_id",),
    FunnelStat: ("owner_id", "scope", "key"),
}


def snapshot() -> dict:
    result = {}
    for model, key in SNAPSHOTS.items():
        names = [
            f.attname
            for f in model._meta.concrete_fields
            if f.attname not in ("id", "computed_at", "forecast_id")
        ]
        rows = {}
        for row in model.objects.values(*key, *names):
            rows[tuple(row[k] for k in key)] = row
        result[model.__name__] = rows
    return result


def make_creator(n: int):
    owner = CreatorFactory(username=f"dirty-{n}")
    today = timezone.localdate()
    courses = []
    for c in range(2):
        course = CourseFactory(owner=owner, audience_tags=["developers"])
        tier = PriceTierFactory(course=course, list_price=Decimal(99 + 50 * c))
        courses.append((course, tier))
        for d in range(12):
            SaleFactory(
                course=course,
                tier=tier,
                platform=platform(),
                sold_at=timezone.now() - timedelta(days=2 + d, hours=c),
            )
    for v in range(3):
        course = courses[v % 2][0]
        video = VideoFactory(owner=owner, course=course, topic=["Python", "Go"][v % 2])
        for d in range(1, 15):
            VideoDailyStatFactory(video=video, date=today - timedelta(days=d), views=500 + 37 * d)
        link = TrackingLinkFactory(video=video, owner=owner)
        for h in range(3):
            LinkClickFactory(link=link, clicked_at=timezone.now() - timedelta(days=3, hours=h))
    return owner


def apply_change(rng: random.Random, owner) -> None:
    """One write through the services, as the pages, API, importers and shops make them."""
    videos = list(owner.videos.order_by("id"))
    video = rng.choice(videos)
    kind = rng.choice(["stats", "sale", "refund", "video", "course", "click"])
    if kind == "stats":
        day = timezone.localdate() - timedelta(days=rng.randint(0, 20))
        stat = VideoDailyStat.objects.filter(video=video, date=day).first() or VideoDailyStat(
            video=video, date=day
        )
        stat.views = rng.randint(100, 5000)
        stat.interactions = rng.randint(10, 300)
        stat.comments, stat.likes = rng.randint(0, 10), rng.randint(0, 50)
        video_services.daily_stat_save(stat=stat, owner=owner)
    elif kind == "sale":
        course = video.course
        course_services.sale_record(
            owner=owner,
            data={
                "course": course,
                "tier": course.tiers.first(),
                "platform": platform(),
                "quantity": rng.randint(1, 3),
                "unit_price": Decimal("99.00"),
                "sold_at": timezone.now() - timedelta(hours=rng.randint(1, 60)),
            },
        )
    elif kind == "refund":
        sale = rng.choice(list(Sale.objects.filter(course__owner=owner).order_by("id")))
        course_services.sale_refund(
            sale=sale,
            refund_id=f"r{rng.random()}",
            amount=Decimal("10.00"),
            refunded_at=timezone.now(),
        )
    elif kind == "video":
        video_services.video_update(
            video=video, data={"usefulness": 1 + (video.usefulness % 5), "topic": "Rust"}
        )
    elif kind == "course":
        course_services.course_update(
            course=video.course, data={"audience_tags": rng.choice([["students"], ["teens"]])}
        )
    else:
        tracking_services.click_record(
            link_id=video.tracking_links.first().id, visitor=f"{rng.randrange(16**8):08x}"
        )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_hourly_run_stores_what_a_full_pass_stores(seed):
    rng = random.Random(seed)
    owners = [make_creator(n) for n in range(4)]
    services.metrics_recompute_full()
    assert services.creator_ids_stale() == []  # nothing changed since

    touched = set()
    for _ in range(10):
        owner = rng.choice(owners[:3])  # the fourth creator is left alone
        apply_change(rng, owner)
        touched.add(owner.id)
    assert set(services.creator_ids_stale()) == touched

    runs = services.metrics_recompute_stale()
    assert {run.owner_id for run in runs} == touched
    assert services.creator_ids_stale() == []
    after_hourly = snapshot()
    services.metrics_recompute_full()
    assert snapshot() == after_hourly
    assert after_hourly["FunnelStat"] and after_hourly["SaleAttribution"]


def test_a_day_change_a_discount_or_a_click_makes_a_creator_stale(creator):
    VideoDailyStatFactory(video=VideoFactory(owner=creator))
    course = CourseFactory(owner=creator)
    tier = PriceTierFactory(course=course)
    services.metrics_recompute_full()
    now = timezone.now()
    assert services.creator_ids_stale(now=now) == []
    assert services.creator_ids_stale(now=now + timedelta(days=1)) == [creator.id]

    DiscountFactory(
        course=course,
        tier=tier,
        starts_at=now + timedelta(minutes=5),
        ends_at=now + timedelta(days=3),
    )
    assert services.creator_ids_stale(now=now + timedelta(minutes=1)) == []
    assert services.creator_ids_stale(now=now + timedelta(minutes=10)) == [creator.id]

    # Clicks are written by the redirect without an event: their ids tell.
    RecomputeState.objects.filter(owner=creator).update(fresh_as_of=now + timedelta(minutes=10))
    assert services.creator_ids_stale(now=now + timedelta(minutes=11)) == []
    LinkClickFactory(link=TrackingLinkFactory(video=creator.videos.first()))
    assert services.creator_ids_stale(now=now + timedelta(minutes=11)) == [creator.id]


def test_chunks_group_creators_to_a_target_size():
    owners = [CreatorFactory(username=f"chunk-{n}") for n in range(5)]
    for owner, count in zip(owners, [3, 1, 1, 4, 2], strict=True):
        VideoFactory.create_batch(count, owner=owner)
    ids = [o.id for o in owners]
    assert services.creator_chunks(ids, size=4) == [[ids[0], ids[1]], [ids[2]], [ids[3]], [ids[4]]]
    assert services.creator_chunks(ids, size=100) == [ids]


@contextmanager
def run_in_progress(owner):
    """Another worker recomputing ``owner``: on PostgreSQL it holds the creator's advisory lock
    on a connection of its own; elsewhere its running row with a fresh heartbeat tells."""
    if connection.vendor == "postgresql":
        with psycopg.connect(database_url(), autocommit=True) as other:
            other.execute(
                "SELECT pg_advisory_lock(%s, %s)", [services.ADVISORY_NAMESPACE, owner.id]
            )
            yield
        return
    busy = RecomputeRun.objects.create(
        owner=owner, started_at=timezone.now(), heartbeat_at=timezone.now(), worker="x"
    )
    yield
    busy.delete()


def test_a_chunk_leaves_out_a_creator_whose_run_is_in_progress():
    owners = [make_creator(n) for n in range(2)]
    with run_in_progress(owners[1]):
        runs = services.metrics_recompute_owners(owner_ids=[o.id for o in owners], trigger="t")
    assert [run.owner_id for run in runs] == [owners[0].id]
    assert EngagementMetric.objects.filter(video__owner=owners[0]).exists()
    assert not EngagementMetric.objects.filter(video__owner=owners[1]).exists()
    assert services.creator_ids_stale() == [owners[1].id]


def test_the_command_does_the_stale_creators_or_all_of_them(capsys):
    owners = [make_creator(n) for n in range(2)]
    call_command("recompute_metrics", "--full")
    assert "2 of 2 creators recomputed" in capsys.readouterr().out
    call_command("recompute_metrics")
    assert "0 of 0 creators recomputed" in capsys.readouterr().out
    apply_change(random.Random(5), owners[1])
    call_command("recompute_metrics")
    out = capsys.readouterr().out
    assert f"owner {owners[1].id}:" in out and "1 of 1 creators recomputed" in out


def test_the_funnel_reads_clicks_to_the_microsecond_and_by_local_day(creator):
    link = TrackingLinkFactory(video=VideoFactory(owner=creator))
    # 23:59:59.999999 in Shanghai, and a click the next local day (16:00 UTC is midnight).
    moments = [
        datetime(2026, 11, 1, 15, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 11, 1, 16, 0, 0, 1, tzinfo=UTC),
    ]
    for at in moments:
        LinkClickFactory(link=link, clicked_at=at)
    clicks = funnel.click_times(
        owner_ids=[creator.id], link_ids=[link.id], since=moments[0], until=moments[1]
    )
    assert sorted(clicks["clicked_at"].dt.to_pydatetime()) == moments
    daily = funnel.daily_clicks([creator.id]).sort_values("day")
    assert daily["day"].tolist() == [date(2026, 11, 1), date(2026, 11, 2)]
    assert daily["clicks"].tolist() == [1, 1]


def test_beat_runs_the_stale_creators_hourly_and_every_creator_nightly():
    from django_celery_beat.models import PeriodicTask

    tasks = {t.task: t for t in PeriodicTask.objects.filter(task__startswith="analytics.tasks")}
    hourly = tasks["analytics.tasks.recompute_all_metrics"]
    assert (hourly.interval.every, hourly.interval.period) == (1, "hours")
    nightly = tasks["analytics.tasks.recompute_full_metrics"]
    assert (nightly.crontab.minute, nightly.crontab.hour) == ("5", "0")
    assert str(nightly.crontab.timezone) == settings.TIME_ZONE  # the creators' midnight
