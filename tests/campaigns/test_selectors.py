from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from campaigns import phases
from campaigns.selectors import campaign_gaps
from tests.factories import CampaignFactory, ScheduledPostFactory, platform

pytestmark = pytest.mark.django_db
LAUNCH = date(2026, 12, 10)


def _at(day, hour=19):
    return timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=hour))


def test_gaps_are_days_without_a_post_on_a_chosen_platform(django_assert_num_queries):
    campaign = CampaignFactory(launch_date=LAUNCH, prelaunch_days=2, followup_days=1)
    douyin, bilibili = platform("douyin"), platform("bilibili")
    campaign.platforms.set([douyin, bilibili])
    for day in campaign.days:
        ScheduledPostFactory(campaign=campaign, platform=douyin, planned_at=_at(day))
    ScheduledPostFactory(campaign=campaign, platform=bilibili, planned_at=_at(LAUNCH))
    # A post on a platform the campaign did not choose fills nothing.
    ScheduledPostFactory(campaign=campaign, platform=platform("xigua"), planned_at=_at(LAUNCH))
    # A suggestion not yet accepted does not fill the gap either.
    ScheduledPostFactory(
        campaign=campaign,
        platform=bilibili,
        planned_at=_at(LAUNCH + timedelta(days=1)),
        is_suggestion=True,
    )

    with django_assert_num_queries(2):
        gaps = campaign_gaps(campaign=campaign, today=LAUNCH)

    assert [(g.day, g.platform.slug, g.phase, g.is_past) for g in gaps] == [
        (LAUNCH - timedelta(days=2), "bilibili", phases.PRELAUNCH, True),
        (LAUNCH - timedelta(days=1), "bilibili", phases.PRELAUNCH, True),
        (LAUNCH + timedelta(days=1), "bilibili", phases.FOLLOWUP, False),
    ]


def test_a_late_evening_utc_post_fills_the_next_local_day():
    campaign = CampaignFactory(launch_date=LAUNCH, prelaunch_days=1, followup_days=0)
    douyin = platform("douyin")
    campaign.platforms.set([douyin])
    # 17:00 UTC on the 9th is 01:00 on the 10th in Asia/Shanghai: launch day, not pre-launch.
    from zoneinfo import ZoneInfo

    ScheduledPostFactory(
        campaign=campaign,
        platform=douyin,
        planned_at=datetime(2026, 12, 9, 17, 0, tzinfo=ZoneInfo("UTC")),
    )
    gaps = campaign_gaps(campaign=campaign, today=LAUNCH)
    assert [(g.day, g.phase) for g in gaps] == [(LAUNCH - timedelta(days=1), phases.PRELAUNCH)]
