"""The course admin's forecast panel is worded through gettext (the reader's language), its
numbers grouped, its last-recompute time in the page's date format."""

import pytest

import courses.admin
from tests.factories import CourseFactory, RecomputeRunFactory, SalesForecastFactory

pytestmark = pytest.mark.django_db


def test_forecast_panel_goes_through_gettext(creator_client, creator, monkeypatch):
    course = CourseFactory(owner=creator)
    SalesForecastFactory(
        course=course,
        units_next_30=1234.4,
        units_next_30_lower=1000,
        units_next_30_upper=1500,
        revenue_next_30=98765.4,
    )
    RecomputeRunFactory(owner=creator)
    url = f"/admin/courses/course/{course.pk}/change/"
    page = creator_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Next 30 days: 1,234 units (1,000–1,500), net revenue ¥98,765.40" in page
    monkeypatch.setattr(courses.admin, "gettext", lambda text: f"«{text}»")
    marked = creator_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "«Next 30 days: 1,234 units" in marked and "/ day»" in marked
