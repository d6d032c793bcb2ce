from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from campaigns import phases
from campaigns.models import ScheduledPost
from tests.factories import CampaignFactory, VideoFactory, platform

LAUNCH = date(2026, 12, 10)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (LAUNCH - timedelta(days=8), None),  # one day before the window opens
        (LAUNCH - timedelta(days=7), phases.PRELAUNCH),  # first pre-launch day
        (LAUNCH - timedelta(days=1), phases.PRELAUNCH),  # last pre-launch day
        (LAUNCH, phases.LAUNCH),
        (LAUNCH + timedelta(days=1), phases.FOLLOWUP),  # first follow-up day
        (LAUNCH + timedelta(days=7), phases.FOLLOWUP),  # last follow-up day
        (LAUNCH + timedelta(days=8), None),
    ],
)
def test_phase_at_window_edges(day, expected):
    assert phases.campaign_phase(day, launch_date=LAUNCH, prelaunch_days=7, followup_days=7) == (
        expected
    )


def test_zero_day_windows_leave_only_launch_day():
    kwargs = {"launch_date": LAUNCH, "prelaunch_days": 0, "followup_days": 0}
    assert phases.campaign_phase(LAUNCH, **kwargs) == phases.LAUNCH
    assert phases.campaign_phase(LAUNCH - timedelta(days=1), **kwargs) is None
    assert phases.campaign_days(**kwargs) == [LAUNCH]


@given(pre=st.integers(0, 60), post=st.integers(0, 60))
def test_every_campaign_day_has_exactly_one_phase(pre, post):
    days = phases.campaign_days(launch_date=LAUNCH, prelaunch_days=pre, followup_days=post)
    assert len(days) == pre + 1 + post
    labels = [
        phases.campaign_phase(d, launch_date=LAUNCH, prelaunch_days=pre, followup_days=post)
        for d in days
    ]
    assert labels.count(phases.PRELAUNCH) == pre
    assert labels.count(phases.LAUNCH) == 1
    assert labels.count(phases.FOLLOWUP) == post


@pytest.mark.django_db
def test_post_phase_is_derived_in_the_creators_time_zone():
    """23:30 UTC on the day before launch is already launch day in Asia/Shanghai (UTC+8)."""
    campaign = CampaignFactory(launch_date=LAUNCH)
    moment = datetime(2026, 12, 9, 23, 30, tzinfo=ZoneInfo("UTC"))
    post = ScheduledPost(campaign=campaign, platform=platform(), planned_at=moment)
    assert timezone.get_current_timezone_name() == "Asia/Shanghai"
    assert post.phase == phases.LAUNCH
    early = datetime(2026, 12, 9, 15, 59, tzinfo=ZoneInfo("UTC"))  # 23:59 in Shanghai
    assert ScheduledPost(campaign=campaign, planned_at=early).phase == phases.PRELAUNCH


@pytest.mark.django_db
def test_post_outside_the_windows_is_refused_with_the_field_named():
    campaign = CampaignFactory(launch_date=LAUNCH)
    post = ScheduledPost(
        campaign=campaign,
        platform=platform(),
        planned_at=timezone.make_aware(datetime(2026, 12, 25, 12, 0)),
    )
    with pytest.raises(ValidationError) as excinfo:
        post.full_clean()
    assert "planned_at" in excinfo.value.message_dict


@pytest.mark.django_db
def test_post_cannot_use_another_creators_video():
    campaign = CampaignFactory(launch_date=LAUNCH)
    post = ScheduledPost(
        campaign=campaign,
        video=VideoFactory(),
        platform=platform(),
        planned_at=timezone.make_aware(datetime(2026, 12, 10, 12, 0)),
    )
    with pytest.raises(ValidationError) as excinfo:
        post.full_clean()
    assert "video" in excinfo.value.message_dict
