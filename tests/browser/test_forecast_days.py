"""The creator puts back a day the forecast left out by itself (a bulk order it clipped) from
the course page, and leaves it out again."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from analytics import engine
from analytics.models import ExcludedDay
from tests.browser.conftest import new_page, screenshot, session_login
from tests.factories import CourseFactory, CreatorFactory, PriceTierFactory, SaleFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_put_back_a_day_the_forecast_left_out(browser, live_server):
    today = timezone.localdate()
    owner = CreatorFactory(username="putback")
    course = CourseFactory(owner=owner)
    PriceTierFactory(course=course)
    for n in range(70):
        moment = timezone.make_aware(datetime.combine(today - timedelta(days=n + 1), time(12)))
        SaleFactory(course=course, quantity=3 if n != 20 else 60, sold_at=moment)
    engine.recompute(owner_ids=[owner.id], today=today)
    bulk = (today - timedelta(days=21)).isoformat()

    page = new_page(browser, live_server)
    session_login(page, owner)
    page.goto(f"{page.base_url}/courses/{course.pk}/#forecast")
    left_out = page.get_by_test_id("left-out")
    expect(left_out).to_contain_text(bulk)
    left_out.get_by_role("button", name=f"Put {bulk} back into the forecast").click()

    restored = page.get_by_test_id("restored")
    expect(restored.get_by_role("button", name="Leave out again")).to_be_visible()
    assert ExcludedDay.objects.get(course=course).reason == ExcludedDay.Reason.RESTORED
    expect(page.get_by_test_id("left-out")).to_have_count(0)
    screenshot(page, "forecast-put-back")

    restored.get_by_role("button", name="Leave out again").click()
    expect(page.get_by_test_id("restored")).to_have_count(0)
    assert not ExcludedDay.objects.filter(course=course).exists()
    page.context.close()
