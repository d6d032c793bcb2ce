"""Daily statistics derived from snapshots of lifetime counts: baselines, missed days,
corrections downwards, repeats, unknown counts, imported days winning, the creator's calendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import VideoDailyStatFactory, VideoFactory
from videos import services
from videos.models import StatOrigin, VideoDailyStat, VideoSnapshot
from videos.snapshots import SNAPSHOT_FIELDS, UNKNOWN, Observation, derive_days, snapshots_record

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int = 22, month: int = 3) -> datetime:
    """A moment on the creator's calendar (Asia/Shanghai in the test settings)."""
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


def observe(video, moment, **counts) -> Observation:
    return Observation(video_id=video.pk, observed_at=moment, counts=counts)


def record(creator, *observations):
    return snapshots_record(owner_id=creator.pk, source="file", observations=observations)


def days_of(video) -> dict[date, tuple]:
    return {
        row.date: (row.views, row.likes, row.interactions, row.estimated, row.origin)
        for row in VideoDailyStat.objects.filter(video=video)
    }


@pytest.fixture
def video(creator):
    return VideoFactory(owner=creator)


def test_the_first_snapshot_is_a_baseline_and_no_day_gets_its_lifetime_total(creator, video):
    outcome = record(creator, observe(video, at(1), views=52_000, likes=900))
    assert (outcome.stored, outcome.baselines, outcome.days_created) == (1, 1, 0)
    assert days_of(video) == {}
    outcome = record(creator, observe(video, at(2), views=68_640, likes=1000))
    assert (outcome.stored, outcome.baselines, outcome.days_created) == (1, 0, 1)
    assert days_of(video) == {date(2026, 3, 2): (16_640, 100, 100, False, StatOrigin.DERIVED)}


def test_a_gain_over_missed_days_is_split_evenly_and_marked_estimated(creator, video):
    record(creator, observe(video, at(1), views=100, likes=0))
    outcome = record(creator, observe(video, at(4), views=210, likes=3))
    stored = days_of(video)
    # 110 over three days: 36, 37, 37 (the later days take the remainder); 3 likes: 1, 1, 1.
    assert [stored[date(2026, 3, d)][:2] for d in (2, 3, 4)] == [(36, 1), (37, 1), (37, 1)]
    assert all(stored[date(2026, 3, d)][3] for d in (2, 3, 4))
    assert outcome.days_estimated == 3
    assert sum(v[0] for v in stored.values()) == 110


def test_a_count_corrected_downwards_is_recorded_never_a_negative_day(creator, video):
    record(creator, observe(video, at(1), views=1000, likes=10))
    outcome = record(creator, observe(video, at(2), views=900, likes=12))
    assert [(c.field, c.before, c.after) for c in outcome.corrections] == [("views", 1000, 900)]
    assert VideoSnapshot.objects.get(video=video, observed_at=at(2)).corrections == {
        "views": [1000, 900]
    }
    record(creator, observe(video, at(3), views=950, likes=12))
    stored = days_of(video)
    assert stored[date(2026, 3, 2)][:2] == (0, 2)
    assert stored[date(2026, 3, 3)][:2] == (50, 0)  # measured from the corrected count


def test_recording_the_same_snapshots_again_writes_nothing(creator, video):
    batch = [observe(video, at(d), views=100 * d, likes=d) for d in range(1, 6)]
    first = record(creator, *batch)
    assert (first.stored, first.days_created) == (5, 4)
    again = record(creator, *batch)
    assert (again.stored, again.repeated, again.days_created, again.days_updated) == (0, 5, 0, 0)
    assert VideoSnapshot.objects.filter(video=video).count() == 5


def test_a_stored_moment_reported_with_other_numbers_is_replaced(creator, video):
    record(creator, observe(video, at(1), views=100), observe(video, at(2), views=150))
    outcome = record(creator, observe(video, at(2), views=170))
    assert (outcome.stored, outcome.repeated, outcome.days_updated) == (0, 0, 1)
    assert days_of(video)[date(2026, 3, 2)][0] == 70


def test_several_observations_on_one_day_add_up_to_that_day(creator, video):
    record(
        creator,
        observe(video, at(1, 0), views=100),
        observe(video, at(1, 6), views=150),
        observe(video, at(1, 12), views=200),
        observe(video, at(2, 12), views=300),
    )
    stored = days_of(video)
    assert (stored[date(2026, 3, 1)][0], stored[date(2026, 3, 2)][0]) == (100, 100)


def test_a_gain_belongs_to_the_day_on_the_creators_calendar(creator, video):
    utc = ZoneInfo("UTC")
    record(
        creator,
        observe(video, datetime(2026, 3, 1, 3, tzinfo=utc), views=10),
        # 17:00 UTC on 1 March is 01:00 on 2 March in Shanghai.
        observe(video, datetime(2026, 3, 1, 17, tzinfo=utc), views=30),
    )
    assert list(days_of(video)) == [date(2026, 3, 2)]


def test_views_a_source_does_not_report_stay_unknown(creator, video):
    record(
        creator,
        observe(video, at(1), likes=10, comments=1, shares=0, saves=2),
        observe(video, at(2), likes=15, comments=3, shares=1, saves=2),
    )
    row = VideoDailyStat.objects.get(video=video)
    assert row.views is None
    assert (row.likes, row.comments, row.shares, row.interactions) == (5, 2, 1, 8)


def test_an_imported_day_wins_over_a_derived_one_both_ways(creator, video):
    VideoDailyStatFactory(video=video, date=date(2026, 3, 2), views=7, likes=0)
    outcome = record(
        creator,
        observe(video, at(1), views=100),
        observe(video, at(2), views=150),
        observe(video, at(3), views=190),
    )
    assert outcome.kept_imported == 1
    assert days_of(video)[date(2026, 3, 2)][0] == 7
    assert days_of(video)[date(2026, 3, 3)][0] == 40
    # A daily file then covering a derived day replaces it and says so.
    written = services.stats_upsert(
        owner_id=creator.pk,
        video_ids=np.array([video.pk]),
        days=np.array([(date(2026, 3, 3) - date(1970, 1, 1)).days]),
        counts=np.array([[45, 0, 0, 0, 0, 0, 0]]),
    )
    assert (written.updated, written.replaced) == (1, 1)
    assert days_of(video)[date(2026, 3, 3)][0::4] == (45, StatOrigin.IMPORTED)


def test_an_earlier_snapshot_arriving_late_fills_the_days_before(creator, video):
    record(creator, observe(video, at(3), views=300), observe(video, at(4), views=400))
    record(creator, observe(video, at(2), views=250))
    stored = days_of(video)
    assert (stored[date(2026, 3, 3)][0], stored[date(2026, 3, 4)][0]) == (50, 100)


def test_one_creators_snapshots_never_touch_anothers_videos(creator, other_creator, video):
    theirs = VideoFactory(owner=other_creator)
    record(creator, observe(video, at(1), views=1), observe(video, at(2), views=5))
    assert not VideoDailyStat.objects.filter(video=theirs).exists()
    assert VideoSnapshot.objects.filter(video__owner=other_creator).count() == 0


# --- the vectorised derivation against a plain reference -------------------------------------


def reference(observations):
    """Day by day, the rule in words: per video, each observation after the first covers the
    days since the previous observation; each count's gain over its last known value goes to
    the days since the observation that knew it, evenly (the later days get the remainder);
    a day covered by a spread of more than one day is estimated."""
    out: dict[tuple[int, int], list] = {}
    by_video: dict[int, list] = {}
    for video, day, counts in observations:
        by_video.setdefault(video, []).append((day, counts))
    for video, items in by_video.items():
        last_known = [None] * len(SNAPSHOT_FIELDS)
        known_day = [None] * len(SNAPSHOT_FIELDS)
        previous_day = None
        for day, counts in items:
            if previous_day is not None:
                spread = max(day - previous_day, 1)
                for step in range(spread):
                    key = (video, day - spread + 1 + step)
                    cell = out.setdefault(key, [[None] * len(SNAPSHOT_FIELDS), False])
                    cell[1] = cell[1] or spread > 1
                for f, value in enumerate(counts):
                    if value < 0 or last_known[f] is None:
                        continue
                    gain = max(value - last_known[f], 0)
                    span = day - known_day[f]
                    if span == 0:
                        cell = out[(video, day)]
                        cell[0][f] = (cell[0][f] or 0) + gain
                        continue
                    for step in range(span):
                        cell = out[(video, known_day[f] + 1 + step)]
                        cell[1] = cell[1] or span > 1
                        share = gain // span + (step >= span - gain % span)
                        cell[0][f] = (cell[0][f] or 0) + share
            for f, value in enumerate(counts):
                if value >= 0:
                    last_known[f], known_day[f] = value, day
            previous_day = day
    return out


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2),
            st.integers(0, 12),
            st.lists(st.integers(-1, 60), min_size=7, max_size=7),
        ),
        max_size=30,
    )
)
def test_the_vectorised_derivation_matches_the_rule_day_by_day(raw):
    raw = sorted(raw, key=lambda item: (item[0], item[1]))
    # Running totals grow mostly; a -1 is an unreported count, a drop is a correction.
    if not raw:
        return
    videos = np.array([v for v, _, _ in raw], dtype=np.int64)
    days = np.array([d for _, d, _ in raw], dtype=np.int64)
    counts = np.array([c for _, _, c in raw], dtype=np.int64)
    derived = derive_days(videos, days, counts, np.arange(len(raw)))
    expected = reference(raw)
    assert len(derived.video_ids) == len(expected)
    views = SNAPSHOT_FIELDS.index("views")
    for i, (video, day) in enumerate(zip(derived.video_ids, derived.days, strict=True)):
        cells, estimated = expected[(int(video), int(day))]
        got_views = derived.counts[i, 0]
        assert got_views == (UNKNOWN if cells[views] is None else cells[views])
        assert derived.counts[i, 3] == (cells[SNAPSHOT_FIELDS.index("likes")] or 0)
        assert bool(derived.estimated[i]) == estimated


def test_a_video_seen_once_has_no_days(creator, video):
    outcome = record(creator, observe(video, at(5), views=10))
    assert outcome.days_created == 0 and outcome.baselines == 1
    assert (at(5) - timedelta(days=1)).date() == date(2026, 3, 4)


def test_a_bulk_row_without_views_is_stored_as_unknown(creator, video):
    outcome = services.stats_bulk_upsert(
        owner=creator,
        rows=[
            {"video": video.pk, "date": date(2026, 3, 1), "views": None, "likes": 4},
            {"video": video.pk, "date": date(2026, 3, 2), "views": 0, "likes": 1},
        ],
    )
    assert outcome.created == 2
    assert [row[0] for row in days_of(video).values()] == [None, 0]


def test_hourly_syncs_one_at_a_time_keep_the_day_up_to_date(creator, video):
    record(creator, observe(video, at(1, 23), views=100))
    for hour, views in ((1, 120), (5, 150), (9, 190)):
        outcome = record(creator, observe(video, at(2, hour), views=views))
        assert outcome.stored == 1
        assert days_of(video)[date(2026, 3, 2)][0] == views - 100
    assert outcome.days_updated == 1 and outcome.days_created == 0


def test_snapshots_of_another_creators_video_are_refused_and_nothing_is_stored(
    creator, other_creator, video
):
    from django.core.exceptions import ValidationError

    theirs = VideoFactory(owner=other_creator)
    with pytest.raises(ValidationError):
        record(creator, observe(video, at(1), views=1), observe(theirs, at(1), views=5))
    assert VideoSnapshot.objects.count() == 0


def test_a_gain_over_days_with_unknown_views_is_spread_over_them():
    """Views known on day 0 (100) and day 3 (400), unknown between (a likes-only source),
    likes known every day: the 300 views are spread over days 1-3 (estimated), so each day's
    views and interactions come from the same days."""
    views, likes = SNAPSHOT_FIELDS.index("views"), SNAPSHOT_FIELDS.index("likes")
    counts = np.full((4, len(SNAPSHOT_FIELDS)), UNKNOWN, dtype=np.int64)
    counts[:, likes] = [10, 20, 30, 40]
    counts[0, views], counts[3, views] = 100, 400
    derived = derive_days(np.zeros(4, np.int64), np.arange(4), counts, np.arange(4))
    assert derived.days.tolist() == [1, 2, 3]
    assert derived.counts[:, 0].tolist() == [100, 100, 100]
    assert derived.counts[:, 3].tolist() == [10, 10, 10]
    assert derived.estimated.tolist() == [True, True, True]
