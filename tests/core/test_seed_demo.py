"""`seed_demo`: idempotent, rich enough to show every page, and two creators kept apart."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from campaigns.models import Campaign, Phase
from core.models import owner_path
from core.services import CREATOR_APPS, CREATOR_GROUP
from courses.models import CompetitorPrice, Course, Discount, Level, PriceTier, Sale
from demo.services import DEMO_COURSES, demo_seed
from videos.models import Video, VideoDailyStat

User = get_user_model()


def _seed(*args: str) -> None:
    call_command("seed_demo", *args, stdout=StringIO())


def _row_counts() -> dict[str, int]:
    counts = {
        model._meta.label: model.objects.count()
        for label in CREATOR_APPS
        for model in apps.get_app_config(label).get_models()
    }
    counts["auth.User"] = User.objects.count()
    return counts


def _owned_models():
    return [
        model
        for label in CREATOR_APPS
        for model in apps.get_app_config(label).get_models()
        if owner_path(model)
    ]


@pytest.fixture
def seeded(db):
    _seed()
    return User.objects.get(username="demo"), User.objects.get(username="demo2")


def test_second_run_changes_no_row_count(seeded):
    before = _row_counts()
    _seed()
    assert _row_counts() == before
    assert before["videos.Video"] > 0 and before["courses.Sale"] > 0


def test_reset_recreates_the_same_counts(seeded):
    before = _row_counts()
    old_video_ids = set(Video.objects.values_list("pk", flat=True))
    _seed("--reset")
    assert _row_counts() == before
    # The rows really were recreated, not left in place.
    assert old_video_ids.isdisjoint(Video.objects.values_list("pk", flat=True))


def test_videos_platforms_pipeline_and_history(seeded):
    demo, _ = seeded
    videos = Video.objects.owned_by(demo)
    assert videos.count() >= 60
    assert videos.values("platform").distinct().count() >= 5
    assert videos.values("status").distinct().count() >= 4
    stat_days = VideoDailyStat.objects.owned_by(demo).values("date").distinct().count()
    assert stat_days >= 90


def test_courses_levels_tiers_discounts_and_market(seeded):
    demo, _ = seeded
    courses = list(Course.objects.owned_by(demo))
    assert len(courses) == 3
    assert {c.level for c in courses} == set(Level.values)
    for course in courses:
        assert PriceTier.objects.filter(course=course).exists(), course
    now = timezone.now()
    assert Discount.objects.owned_by(demo).filter(starts_at__lte=now, ends_at__gt=now).exists()
    assert CompetitorPrice.objects.owned_by(demo).count() >= 3
    sales = Sale.objects.owned_by(demo)
    sale_days = {timezone.localdate(s) for s in sales.values_list("sold_at", flat=True)}
    assert len(sale_days) >= 30


def test_upcoming_campaign_has_both_windows_and_a_gap(seeded):
    demo, _ = seeded
    today = timezone.localdate()
    campaign = Campaign.objects.owned_by(demo).get(launch_date__gt=today)
    posts = list(campaign.posts.select_related("campaign"))
    phases = {post.phase for post in posts}
    assert {Phase.PRELAUNCH, Phase.FOLLOWUP} <= phases
    assert None not in phases

    chosen = list(campaign.platforms.all())
    assert chosen
    posted = {(post.platform_id, timezone.localdate(post.planned_at)) for post in posts}
    window_days = [
        day
        for day in campaign.days
        if campaign.phase_of_day(day) in (Phase.PRELAUNCH, Phase.FOLLOWUP)
    ]
    gaps = [(p, day) for p in chosen for day in window_days if (p.pk, day) not in posted]
    assert gaps
    # A gap is a hole in a plan, not a platform that was never planned at all.
    assert all(any(pk == p.pk for pk, _ in posted) for p in chosen)


def test_demo2_owns_its_own_rows_and_shares_none_with_demo(seeded):
    demo, demo2 = seeded
    for model in (Course, Video, Campaign, VideoDailyStat, Sale):
        assert model.objects.owned_by(demo2).exists(), model
    for model in _owned_models():
        mine = set(model.objects.owned_by(demo).values_list("pk", flat=True))
        theirs = set(model.objects.owned_by(demo2).values_list("pk", flat=True))
        assert mine.isdisjoint(theirs), model
        # No row of one creator points at a row of the other (a sale, a post, a campaign...).
        for field in model._meta.concrete_fields:
            related = field.related_model
            if not field.is_relation or related is None or owner_path(related) is None:
                continue
            for owner, stranger in ((demo, demo2), (demo2, demo)):
                crossing = model.objects.owned_by(owner).filter(
                    **{f"{field.name}__in": related.objects.owned_by(stranger)}
                )
                assert not crossing.exists(), (model, field.name)


@pytest.mark.parametrize("username", ["demo", "demo2"])
def test_demo_logins_are_creators_not_superusers(seeded, client, username):
    user = User.objects.get(username=username)
    assert not user.is_superuser
    assert user.is_staff
    assert user.groups.filter(name=CREATOR_GROUP).exists()
    # Through the login form: it hands the request to authenticate(), which django-axes needs.
    response = client.post("/accounts/login/", {"username": username, "password": username})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/admin/").status_code == 200


def test_seed_runs_the_recompute(seeded):
    from analytics.models import EngagementMetric, MetricWindow

    demo, _ = seeded
    video_ids = set(Video.objects.owned_by(demo).values_list("pk", flat=True))
    lifetime = EngagementMetric.objects.owned_by(demo).filter(window=MetricWindow.LIFETIME)
    assert set(lifetime.values_list("video_id", flat=True)) == video_ids
    # The figures are real: a video with daily stats has its lifetime views summed.
    stat = VideoDailyStat.objects.owned_by(demo).first()
    total = sum(stat.video.daily_stats.values_list("views", flat=True))
    assert lifetime.get(video=stat.video).views == total > 0


def test_no_recompute_flag_skips_metrics(db):
    from analytics.models import EngagementMetric

    _seed("--no-recompute")
    assert Video.objects.exists()
    assert not EngagementMetric.objects.exists()


def test_the_discount_running_now_ends_soon(seeded):
    demo, _ = seeded
    now = timezone.now()
    running = Discount.objects.owned_by(demo).filter(starts_at__lte=now, ends_at__gt=now)
    assert running.filter(ends_at__lte=now + timedelta(days=7)).exists()


@pytest.mark.django_db
def test_demo_videos_have_unique_titles_matching_their_course():
    demo_seed(username="demo", password="demo")
    videos = list(Video.objects.filter(owner__username="demo").select_related("course"))
    pairs = [(v.title, v.platform_id) for v in videos]
    assert len(pairs) == len(set(pairs))
    assert len({v.title for v in videos}) == len(videos)
    specs = {spec.slug: spec for spec in DEMO_COURSES}
    for video in videos:
        assert video.topic in specs[video.course.slug].video_topics
        # Its hashtags are the course's own (no #Go语言 on a Python course's video).
        assert set(video.hashtags.split()) <= set(specs[video.course.slug].hashtags)
