from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from campaigns import services
from campaigns.models import ScheduledPost
from tests.factories import CampaignFactory, ScheduledPostFactory, VideoFactory, platform
from videos.models import PipelineStatus

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 5)
LAUNCH = date(2026, 12, 10)


def _at(day, hour=19, minute=30):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.fixture
def campaign():
    c = CampaignFactory(launch_date=LAUNCH, prelaunch_days=3, followup_days=2)
    c.platforms.set([platform("douyin"), platform("bilibili")])
    return c


def test_post_create_refuses_past_days_other_platforms_and_days_outside(campaign):
    with pytest.raises(ValidationError) as past:
        services.post_create(
            campaign=campaign,
            platform=platform("douyin"),
            planned_at=_at(TODAY - timedelta(days=1)),
            today=TODAY,
        )
    assert "planned_at" in past.value.message_dict
    with pytest.raises(ValidationError) as other:
        services.post_create(
            campaign=campaign, platform=platform("xigua"), planned_at=_at(LAUNCH), today=TODAY
        )
    assert "platform" in other.value.message_dict
    with pytest.raises(ValidationError) as outside:
        services.post_create(
            campaign=campaign,
            platform=platform("douyin"),
            planned_at=_at(LAUNCH + timedelta(days=5)),
            today=TODAY,
        )
    assert "planned_at" in outside.value.message_dict
    assert not ScheduledPost.objects.exists()


def test_move_keeps_the_time_of_day(campaign):
    post = ScheduledPostFactory(
        campaign=campaign, platform=platform("douyin"), planned_at=_at(LAUNCH, 21, 15)
    )
    services.post_move(
        post=post, day=LAUNCH + timedelta(days=1), platform=platform("bilibili"), today=TODAY
    )
    post.refresh_from_db()
    local = timezone.localtime(post.planned_at)
    assert (local.date(), local.hour, local.minute) == (LAUNCH + timedelta(days=1), 21, 15)
    assert post.platform.slug == "bilibili"
    assert post.phase == "followup"


def test_move_outside_the_window_changes_nothing(campaign):
    post = ScheduledPostFactory(
        campaign=campaign, platform=platform("douyin"), planned_at=_at(LAUNCH)
    )
    with pytest.raises(ValidationError):
        services.post_move(post=post, day=LAUNCH + timedelta(days=9), today=TODAY)
    post.refresh_from_db()
    assert timezone.localdate(post.planned_at) == LAUNCH


def test_suggest_fills_open_future_slots_once_and_can_be_accepted(campaign):
    ScheduledPostFactory(campaign=campaign, platform=platform("douyin"), planned_at=_at(LAUNCH, 12))
    for _n in range(3):
        VideoFactory(owner=campaign.owner, course=campaign.course, status=PipelineStatus.EDITING)
    # Days from TODAY (12-07 .. 12-12 are in the campaign; 12-05/06 are before it) → 6 days.
    created = services.schedule_suggest(campaign=campaign, per_day=1, today=TODAY)
    assert len(created) == 6 * 2 - 1  # every day on both platforms, less the one already posted
    assert all(p.is_suggestion for p in created)
    # Suggestions come at the creator's usual time on the platform (12:30 on Douyin here).
    douyin = [p for p in created if p.platform.slug == "douyin"]
    assert {timezone.localtime(p.planned_at).time() for p in douyin} == {time(12, 30)}
    assert sum(1 for p in created if p.video_id) == 3  # the course's unposted videos first
    # Asking again replaces the suggestions instead of piling them up.
    again = services.schedule_suggest(campaign=campaign, per_day=1, today=TODAY)
    assert len(again) == len(created)
    assert ScheduledPost.objects.filter(is_suggestion=True).count() == len(created)
    assert services.suggestions_accept(campaign=campaign) == len(created)
    assert not ScheduledPost.objects.filter(is_suggestion=True).exists()
    assert services.schedule_suggest(campaign=campaign, per_day=1, today=TODAY) == []


def test_suggest_refuses_silly_counts(campaign):
    with pytest.raises(ValidationError):
        services.schedule_suggest(campaign=campaign, per_day=9, today=TODAY)


def test_discard_removes_only_suggestions(campaign):
    kept = ScheduledPostFactory(
        campaign=campaign, platform=platform("douyin"), planned_at=_at(LAUNCH)
    )
    services.schedule_suggest(campaign=campaign, per_day=1, today=TODAY)
    assert services.suggestions_discard(campaign=campaign) > 0
    assert list(ScheduledPost.objects.values_list("id", flat=True)) == [kept.id]
