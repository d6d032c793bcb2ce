"""Course writes announce course.changed: the creator's figures are marked stale in the write's
transaction and one recompute is queued after it commits; a refused write marks nothing."""

from __future__ import annotations

from analytics.models import RecomputeState
from tests.factories import CourseFactory, PriceTierFactory


def stale(owner) -> bool:
    return RecomputeState.objects.filter(owner=owner, stale_since__isnull=False).exists()


def test_changing_a_price_marks_the_figures_stale_and_queues_one_recompute(
    api_a, creator, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(
        "analytics.tasks.recompute_owner_metrics.delay", lambda *args: sent.append(args)
    )
    tier = PriceTierFactory(course=CourseFactory(owner=creator))
    assert not stale(creator)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_a.patch(f"/api/v1/price-tiers/{tier.pk}/", {"list_price": "59.00"})
    assert response.status_code == 200, response.content
    assert stale(creator)
    assert sent == [(creator.pk, "course.changed")]


def test_a_refused_course_write_marks_nothing(api_a, creator, django_capture_on_commit_callbacks):
    tier = PriceTierFactory(course=CourseFactory(owner=creator))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api_a.patch(f"/api/v1/price-tiers/{tier.pk}/", {"list_price": "-1"})
    assert response.status_code == 400
    assert not stale(creator) and callbacks == []


def test_the_admin_saves_a_course_through_the_service(client, creator):
    course = CourseFactory(owner=creator)
    client.force_login(creator)
    page = client.get(f"/admin/courses/course/{course.pk}/change/")
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and value is not None and not isinstance(value, list | dict)
    }
    data.update({"title": "Renamed", "audience_tags": "[]", "import_snapshot": "{}"})
    for prefix in ("tiers", "discounts", "competitor_prices", "sales"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = client.post(f"/admin/courses/course/{course.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    course.refresh_from_db()
    assert course.title == "Renamed"
    assert stale(creator)
