"""Bulk writes: a thousand daily statistics or sales per request, all or nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from courses.models import Sale
from tests.factories import CourseFactory, PriceTierFactory, VideoDailyStatFactory, VideoFactory
from videos.models import VideoDailyStat

pytestmark = pytest.mark.django_db

STATS = "/api/v1/daily-stats/bulk/"
SALES = "/api/v1/sales/bulk/"


def stat_rows(videos, days: int) -> list[dict]:
    start = date(2026, 1, 1)
    return [
        {
            "video": video.pk,
            "date": str(start + timedelta(days=day)),
            "views": 1000 + day,
            "likes": 50,
            "comments": 10,
            "shares": 5,
            "saves": 5,
        }
        for video in videos
        for day in range(days)
    ]


@pytest.fixture
def videos(creator):
    return [VideoFactory(owner=creator) for _ in range(10)]


def test_thousand_stats_rows_in_one_request(api_a, videos):
    rows = stat_rows(videos, 100)

    response = api_a.post(STATS, {"rows": rows}, format="json")

    assert response.status_code == 200, response.content[:500]
    assert response.json() == {"received": 1000, "created": 1000, "updated": 0, "unchanged": 0}
    stored = VideoDailyStat.objects.get(video=videos[3], date=date(2026, 1, 8))
    assert stored.views == 1007
    assert stored.interactions == 50 + 10 + 5 + 5  # absent: the sum of its parts


def test_resending_updates_changed_rows_only(api_a, videos):
    rows = stat_rows(videos, 100)
    api_a.post(STATS, {"rows": rows}, format="json")
    rows[10]["views"] = 5

    response = api_a.post(STATS, {"rows": rows}, format="json")

    assert response.json() == {"received": 1000, "created": 0, "updated": 1, "unchanged": 999}
    assert VideoDailyStat.objects.get(video_id=rows[10]["video"], date=rows[10]["date"]).views == 5


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"views": -1}, "views"),
        ({"likes": "many"}, "likes"),
        ({"date": "2026-02-30"}, "date"),
        ({"views": 10**13}, "views"),
    ],
)
def test_a_bad_value_refuses_the_whole_batch(api_a, videos, bad, field):
    existing = VideoDailyStatFactory(video=videos[0], date=date(2026, 1, 1), views=7)
    rows = stat_rows(videos, 100)
    rows[517].update(bad)

    response = api_a.post(STATS, {"rows": rows}, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_rows"
    assert [row["index"] for row in error["rows"]] == [517]
    assert field in error["rows"][0]["fields"]
    assert VideoDailyStat.objects.count() == 1
    existing.refresh_from_db()
    assert existing.views == 7


def test_unknown_and_foreign_videos_are_named_by_row(api_a, videos, other_creator):
    foreign = VideoFactory(owner=other_creator)
    rows = stat_rows(videos, 100)
    rows[3]["video"] = foreign.pk
    rows[999]["video"] = 10**9

    response = api_a.post(STATS, {"rows": rows}, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["rows"] == [
        {"index": 3, "fields": {"video": [f'Invalid pk "{foreign.pk}" - object does not exist.']}},
        {"index": 999, "fields": {"video": ['Invalid pk "1000000000" - object does not exist.']}},
    ]
    assert not VideoDailyStat.objects.exists()


def test_a_repeated_video_and_date_is_refused(api_a, videos):
    rows = stat_rows(videos[:1], 3)
    rows.append(dict(rows[1], views=1))

    response = api_a.post(STATS, {"rows": rows}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["rows"][0]["index"] == 3
    assert not VideoDailyStat.objects.exists()


@pytest.mark.parametrize(
    "body", [{}, {"rows": []}, {"rows": "x"}, {"rows": [1, 2]}, [{"video": 1}]]
)
def test_a_malformed_body_is_a_400(api_a, body):
    response = api_a.post(STATS, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_more_rows_than_the_limit_are_refused(api_a, videos, settings):
    settings.API_BULK_MAX_ROWS = 50
    response = api_a.post(STATS, {"rows": stat_rows(videos, 6)}, format="json")
    assert response.status_code == 400
    assert "At most 50 rows" in response.json()["error"]["message"]


def test_bulk_stats_runs_a_fixed_number_of_queries(api_a, videos, django_assert_max_num_queries):
    # token, owned videos, then the staging-table upsert (a handful of statements in all).
    with django_assert_max_num_queries(12):
        response = api_a.post(STATS, {"rows": stat_rows(videos, 100)}, format="json")
    assert response.status_code == 200


# --- sales -------------------------------------------------------------------------------------


def sale_rows(creator, n: int) -> list[dict]:
    course = CourseFactory(owner=creator)
    tier = PriceTierFactory(course=course)
    video = VideoFactory(owner=creator, course=course)
    return [
        {
            "course": course.pk,
            "tier": tier.pk,
            "source_video": video.pk if i % 2 else None,
            "quantity": 1 + i % 3,
            "unit_price": "99.00",
            "sold_at": f"2026-01-{1 + i % 28:02d}T10:00:00+08:00",
            "order_ref": f"o-{i}",
        }
        for i in range(n)
    ]


def test_thousand_sales_in_one_request(api_a, creator, django_assert_max_num_queries):
    rows = sale_rows(creator, 1000)
    # token, 4 related lookups, stored order references, webhooks, savepoints, and the inserts:
    # one on PostgreSQL, ~20 on SQLite (999 parameters a statement; a sale has 20 columns
    # since it carries its currency, refund and shop connection); none per row otherwise.
    with django_assert_max_num_queries(35):
        response = api_a.post(SALES, {"rows": rows}, format="json")
    assert response.status_code == 201, response.content[:500]
    assert response.json()["created"] == 1000
    assert Sale.objects.filter(course__owner=creator).count() == 1000


def test_bad_sales_refuse_the_batch_naming_rows_and_fields(api_a, creator, other_creator):
    rows = sale_rows(creator, 1000)
    rows[10]["quantity"] = 0
    rows[20]["tier"] = PriceTierFactory(course=CourseFactory(owner=creator)).pk  # other course
    rows[30]["order_ref"] = rows[29]["order_ref"]
    rows[40]["course"] = CourseFactory(owner=other_creator).pk

    response = api_a.post(SALES, {"rows": rows}, format="json")

    assert response.status_code == 400
    assert [(row["index"], sorted(row["fields"])) for row in response.json()["error"]["rows"]] == [
        (10, ["quantity"])
    ]
    rows[10]["quantity"] = 1
    response = api_a.post(SALES, {"rows": rows}, format="json")
    assert [(row["index"], sorted(row["fields"])) for row in response.json()["error"]["rows"]] == [
        (20, ["tier"]),
        (30, ["order_ref"]),
        (40, ["course"]),
    ]
    assert not Sale.objects.exists()


def test_an_order_reference_already_recorded_is_refused(api_a, creator):
    rows = sale_rows(creator, 3)
    assert api_a.post(SALES, {"rows": rows[:1]}, format="json").status_code == 201

    response = api_a.post(SALES, {"rows": rows}, format="json")

    assert response.json()["error"]["rows"] == [
        {"index": 0, "fields": {"order_ref": ["A sale with this order reference exists."]}}
    ]
    assert Sale.objects.count() == 1
