"""Days the forecast leaves out by itself, put back by the creator (ExcludedDay rows with
reason "restored") from the course page and the API, and the launch date the creator sets:
the recompute keeps restored days in the fit and starts the history at the launch date."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics import engine, services
from analytics.models import ExcludedDay, SalesForecast
from campaigns.models import Campaign
from tests.api.conftest import token_client
from tests.factories import CourseFactory, PriceTierFactory, SaleFactory

TODAY = timezone.localdate()
BULK = TODAY - timedelta(days=21)


def _course_with_sales(owner, days=70, **fields):
    course = CourseFactory(owner=owner, **fields)
    PriceTierFactory(course=course)
    for n in range(days):
        moment = timezone.make_aware(datetime.combine(TODAY - timedelta(days=n + 1), time(12)))
        SaleFactory(course=course, quantity=3 if n != 20 else 60, sold_at=moment)
    return course


def _left_out(course) -> dict[str, str]:
    return {row["day"]: row["reason"] for row in SalesForecast.objects.get(course=course).left_out}


def test_the_recompute_keeps_a_restored_day_and_excluded_days_leave_restored_rows_out(creator):
    course = _course_with_sales(creator)
    engine.recompute(owner_ids=[creator.id], today=TODAY)
    assert _left_out(course) == {BULK.isoformat(): "clipped"}

    services.excluded_day_add(
        owner=creator, course_id=course.pk, day=BULK, reason=ExcludedDay.Reason.RESTORED
    )
    inputs = engine.CourseInputs.load([creator.id], today=TODAY)
    assert inputs.excluded.get(course.id, []) == [] and inputs.restored[course.id] == [BULK]
    first = TODAY - timedelta(days=70)
    calendar = engine.forecast_calendar(inputs, course, first=first, today=TODAY)
    assert calendar["restored_days"] == ((BULK - first).days,)
    assert calendar["excluded_days"] == ()

    counts = engine.recompute(owner_ids=[creator.id], today=TODAY)
    assert counts.forecasts == 1  # the restored day changed the inputs: refitted
    assert _left_out(course) == {}

    services.excluded_day_remove(owner=creator, course_id=course.pk, day=BULK)
    engine.recompute(owner_ids=[creator.id], today=TODAY)
    assert _left_out(course) == {BULK.isoformat(): "clipped"}  # left out again


def test_the_page_puts_a_day_back_and_leaves_it_out_again(
    creator_client, creator, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("analytics.tasks.recompute_owner_metrics.delay", lambda *args: None)
    course = _course_with_sales(creator)
    engine.recompute(owner_ids=[creator.id], today=TODAY)
    page = creator_client.get(f"/courses/{course.pk}/").content.decode()
    assert 'value="put_back"' in page and BULK.isoformat() in page
    assert 'value="restored"' not in page  # not a reason to leave a day out

    url = f"/courses/{course.pk}/forecast/days/"
    with django_capture_on_commit_callbacks(execute=True):
        response = creator_client.post(url, {"day": BULK.isoformat(), "action": "put_back"})
    assert response.status_code == 302
    assert ExcludedDay.objects.get(course=course, day=BULK).reason == "restored"
    page = creator_client.get(f"/courses/{course.pk}/").content.decode()
    assert 'value="leave_out"' in page and 'value="put_back"' not in page

    with django_capture_on_commit_callbacks(execute=True):
        response = creator_client.post(
            url, {"day": BULK.isoformat(), "action": "leave_out"}, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 204 and response["HX-Refresh"] == "true"
    assert not ExcludedDay.objects.filter(course=course).exists()


def test_the_course_page_runs_as_many_queries_with_many_creator_days(creator_client, creator):
    course = _course_with_sales(creator)
    engine.recompute(owner_ids=[creator.id], today=TODAY)
    counts = []
    for n in (1, 6):
        for k in range(n):
            reason = ExcludedDay.Reason.RESTORED if k % 2 else ExcludedDay.Reason.TEST
            ExcludedDay.objects.get_or_create(
                course=course, day=TODAY - timedelta(days=30 + k), defaults={"reason": reason}
            )
        with CaptureQueriesContext(connection) as queries:
            assert creator_client.get(f"/courses/{course.pk}/").status_code == 200
        counts.append(len(queries))
    assert counts == [16, 16]  # one query lists both the excluded and the restored days


def test_the_api_puts_a_day_back_and_another_creator_cannot(creator, other_creator):
    course = _course_with_sales(creator, days=5)
    url = f"/api/v1/courses/{course.pk}/excluded-days/"
    day = (TODAY - timedelta(days=2)).isoformat()
    assert (
        token_client(other_creator).post(url, {"day": day, "reason": "restored"}, format="json")
    ).status_code == 404
    api = token_client(creator)
    created = api.post(url, {"day": day, "reason": "restored"}, format="json")
    assert created.status_code == 201, created.content
    assert api.get(url).json() == [created.json()] and created.json()["reason"] == "restored"
    assert api.delete(f"{url}?day={day}").status_code == 204
    assert not ExcludedDay.objects.exists()


def test_the_launch_date_the_creator_sets_wins_over_the_first_campaign(creator):
    course = _course_with_sales(creator, launch_date=TODAY - timedelta(days=30))
    Campaign.objects.create(
        owner=creator,
        course=course,
        name="Launch",
        launch_date=TODAY - timedelta(days=50),
        prelaunch_days=7,
    )
    engine.recompute(owner_ids=[creator.id], today=TODAY)
    left_out = _left_out(course)
    # 70 days of sales, the first 40 before the creator's launch date (not the campaign's 57).
    assert sum(reason == "before_launch" for reason in left_out.values()) == 40
    assert (
        max(d for d, r in left_out.items() if r == "before_launch")
        == (TODAY - timedelta(days=31)).isoformat()
    )


def test_a_launch_date_still_to_come_leaves_the_pre_sales_in(creator):
    course = _course_with_sales(creator, launch_date=TODAY + timedelta(days=10))
    engine.recompute(owner_ids=[creator.id], today=TODAY)
    assert "before_launch" not in _left_out(course).values()


def test_the_course_form_sets_and_clears_the_launch_date(creator_client, creator):
    course = CourseFactory(owner=creator, launch_date=None)
    form = creator_client.get(f"/courses/{course.pk}/edit/").content.decode()
    assert 'name="launch_date"' in form and 'type="date"' in form
    data = {"title": course.title, "slug": course.slug, "level": course.level}
    response = creator_client.post(
        f"/courses/{course.pk}/edit/", {**data, "launch_date": "2026-05-04"}
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.launch_date.isoformat() == "2026-05-04"
    creator_client.post(f"/courses/{course.pk}/edit/", {**data, "launch_date": ""})
    course.refresh_from_db()
    assert course.launch_date is None
