"""Days a creator leaves out of the forecast: the page, the API (another creator gets 404 and
changes nothing), the event that brings a recompute, and the recompute using them."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from analytics import engine, services
from analytics.models import ExcludedDay, RecomputeRun, RecomputeState, SalesForecast
from analytics.tasks import recompute_owner_metrics
from tests.api.conftest import token_client
from tests.factories import CourseFactory, CreatorFactory, PriceTierFactory, SaleFactory
from tests.processes import wait_for

TODAY = timezone.localdate()


def _course_with_sales(owner, days=70):
    course = CourseFactory(owner=owner)
    PriceTierFactory(course=course)
    for n in range(days):
        moment = timezone.make_aware(datetime.combine(TODAY - timedelta(days=n + 1), time(12)))
        SaleFactory(course=course, quantity=3 if n != 20 else 60, sold_at=moment)
    return course


def _stale(owner) -> bool:
    return RecomputeState.objects.filter(owner=owner, stale_since__isnull=False).exists()


def test_the_page_excludes_and_restores_a_day_and_a_recompute_follows(
    creator_client, creator, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(
        "analytics.tasks.recompute_owner_metrics.delay", lambda *args: sent.append(args)
    )
    course = _course_with_sales(creator)
    day = (TODAY - timedelta(days=21)).isoformat()
    url = f"/courses/{course.pk}/forecast/days/"
    with django_capture_on_commit_callbacks(execute=True):
        response = creator_client.post(url, {"day": day, "action": "exclude", "reason": "one_off"})
    assert response.status_code == 302 and response["Location"].endswith("#forecast")
    assert ExcludedDay.objects.get(course=course).reason == "one_off"
    assert _stale(creator) and sent == [(creator.pk, "course.changed")]

    page = creator_client.get(f"/courses/{course.pk}/")
    assert day in page.content.decode() and "csrfmiddlewaretoken" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = creator_client.post(
            url, {"day": day, "action": "restore"}, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 204 and response["HX-Refresh"] == "true"
    assert not ExcludedDay.objects.filter(course=course).exists()


def test_the_page_answers_404_for_another_creators_course(client, creator, other_creator):
    course = _course_with_sales(creator, days=5)
    client.force_login(other_creator)
    response = client.post(
        f"/courses/{course.pk}/forecast/days/", {"day": TODAY.isoformat(), "action": "exclude"}
    )
    assert response.status_code == 404
    assert not ExcludedDay.objects.exists()


def test_the_page_refuses_a_bad_form(creator_client, creator):
    course = _course_with_sales(creator, days=5)
    response = creator_client.post(f"/courses/{course.pk}/forecast/days/", {"day": "nope"})
    assert response.status_code == 400


def test_the_api_lists_adds_and_restores_excluded_days(creator):
    api = token_client(creator)
    course = _course_with_sales(creator, days=5)
    url = f"/api/v1/courses/{course.pk}/excluded-days/"
    day = (TODAY - timedelta(days=2)).isoformat()
    created = api.post(url, {"day": day, "reason": "test"}, format="json")
    assert created.status_code == 201, created.content
    assert api.get(url).json() == [created.json()]
    assert api.delete(f"{url}?day={day}").status_code == 204
    assert api.get(url).json() == []
    assert api.delete(f"{url}?day={day}").status_code == 404


def test_another_creator_gets_404_from_the_api_and_changes_nothing(creator, other_creator):
    course = _course_with_sales(creator, days=5)
    day = TODAY - timedelta(days=2)
    services.excluded_day_add(owner=creator, course_id=course.pk, day=day)
    attacker = token_client(other_creator)
    url = f"/api/v1/courses/{course.pk}/excluded-days/"
    assert attacker.get(url).status_code == 404
    assert attacker.post(url, {"day": TODAY.isoformat()}, format="json").status_code == 404
    assert attacker.delete(f"{url}?day={day.isoformat()}").status_code == 404
    assert list(ExcludedDay.objects.values_list("day", flat=True)) == [day]


def test_the_recompute_leaves_the_day_out_and_refits_only_on_a_change(creator):
    course = _course_with_sales(creator)
    engine.recompute(owner_ids=[creator.id], today=TODAY)
    first = SalesForecast.objects.get(course=course)
    bulk_day = (TODAY - timedelta(days=21)).isoformat()
    assert {"day": bulk_day, "reason": "clipped", "units": 60.0} in first.left_out
    assert first.inputs_fingerprint

    counts = engine.recompute(owner_ids=[creator.id], today=TODAY)
    assert counts.forecasts == 0  # nothing changed: nothing refitted

    services.excluded_day_add(owner=creator, course_id=course.pk, day=TODAY - timedelta(days=21))
    counts = engine.recompute(owner_ids=[creator.id], today=TODAY)
    assert counts.forecasts == 1
    second = SalesForecast.objects.get(course=course)
    assert second.inputs_fingerprint != first.inputs_fingerprint
    assert {"day": bulk_day, "reason": "excluded", "units": 60.0} in second.left_out


def test_new_forecasting_code_refits_the_stored_forecasts(creator, monkeypatch):
    from analytics import forecasting

    _course_with_sales(creator)
    engine.recompute(owner_ids=[creator.id], today=TODAY)
    assert engine.recompute(owner_ids=[creator.id], today=TODAY).forecasts == 0
    monkeypatch.setattr(forecasting, "MODEL_VERSION", forecasting.MODEL_VERSION + "-next")
    assert engine.recompute(owner_ids=[creator.id], today=TODAY).forecasts == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_recomputes_with_the_excluded_day(request):
    from tests.analytics.test_worker import Worker, _queue

    queue = _queue()
    worker = Worker(queue)
    request.addfinalizer(worker.stop)
    owner = CreatorFactory(username="days-worker")
    course = _course_with_sales(owner, days=60)
    day = TODAY - timedelta(days=10)
    services.excluded_day_add(owner=owner, course_id=course.pk, day=day)
    recompute_owner_metrics.apply_async(args=[owner.id, "days-test"], queue=queue)
    wait_for(
        lambda: RecomputeRun.objects.filter(
            owner=owner, trigger="days-test", status=RecomputeRun.Status.SUCCEEDED
        ).exists(),
        what="the worker's recompute",
    )
    forecast = SalesForecast.objects.get(course=course)
    assert {"day": day.isoformat(), "reason": "excluded", "units": 3.0} in forecast.left_out


def test_the_course_admin_words_the_forecast_in_the_readers_language(creator, client):
    """The admin (courses, below analytics) shows the explanation through analytics' panel,
    in Chinese on a Chinese admin page, not the stored English sentence."""
    course = _course_with_sales(creator)
    engine.recompute(owner_ids=[creator.id], today=TODAY)
    forecast = SalesForecast.objects.get(course=course)
    client.force_login(creator)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    page = client.get(f"/admin/courses/course/{course.pk}/change/").content.decode()
    assert forecast.explanation and forecast.explanation not in page
    from django.utils import translation

    from analytics.panels import forecast_explanation

    with translation.override("zh-hans"):
        chinese = forecast_explanation(forecast)
    assert chinese != forecast.explanation
    from django.utils.html import escape

    assert escape(chinese) in page
