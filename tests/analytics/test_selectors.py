import pytest

from analytics.selectors import underperforming_videos
from tests.factories import EngagementMetricFactory, VideoFactory

pytestmark = pytest.mark.django_db


def _metric(owner, engagement, views=1000, window="28d"):
    return EngagementMetricFactory(
        video=VideoFactory(owner=owner), window=window, engagement=engagement, views=views
    )


def test_videos_well_below_the_median_are_flagged(
    creator, other_creator, django_assert_num_queries
):
    for value in (0.30, 0.32, 0.35, 0.40, 0.45):
        _metric(creator, value)
    weak = _metric(creator, 0.10)
    _metric(creator, 0.01, views=20)  # too few views to judge
    _metric(creator, 0.05, window="7d")  # another window
    _metric(other_creator, 0.0)  # another creator's video

    with django_assert_num_queries(2):
        median, flagged = underperforming_videos(owner=creator)

    assert median == pytest.approx(0.335)
    assert [m.video_id for m in flagged] == [weak.video_id]


def test_no_measured_videos_means_nothing_flagged(creator):
    assert underperforming_videos(owner=creator) == (0.0, [])
