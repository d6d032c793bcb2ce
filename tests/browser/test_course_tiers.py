"""The course edit page without full page loads: a tier and a discount added in place (htmx),
a refused price shown next to its field with the focus on it, tiers reordered with the
keyboard (the focus stays on the button) and by dragging; without JavaScript the same buttons
post and come back to the page."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from courses import services
from courses.models import Course, Level
from tests.browser.conftest import new_page, screenshot, session_login

pytestmark = pytest.mark.django_db(transaction=True)


def order(course) -> list[str]:
    return list(
        course.tiers.order_by("position", "list_price", "pk").values_list("name", flat=True)
    )


@pytest.fixture
def course(demo_data):
    owner = get_user_model().objects.get(username="demo")
    course = services.course_save(
        owner=owner, title="Go 微服务实战", slug="", topic="Go", level=Level.INTERMEDIATE
    )
    services.course_tier_save(course=course, name="Basic", level=Level.BEGINNER, list_price=199)
    return course


def test_tiers_and_a_discount_without_a_page_load(page, course):
    page.goto(f"{page.base_url}/courses/{course.id}/edit/")
    page.evaluate("window.__sameDocument = true")
    loads: list[str] = []
    page.on("load", lambda: loads.append(page.url))
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    new_tier = page.get_by_test_id("tier-new")
    new_tier.get_by_label("Name").fill("Pro")
    new_tier.get_by_label("Level").select_option("advanced")
    new_tier.get_by_label("Price (¥)").fill("-5")
    new_tier.get_by_role("button", name="Add tier").click()
    # Refused: the error next to the price, the focus on it, nothing else reloaded.
    price = page.get_by_test_id("tier-new").get_by_label("Price (¥)")
    expect(price).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("tier-new").locator(".errorlist")).to_be_visible()
    expect(price).to_be_focused()
    price.fill("399")
    page.get_by_test_id("tier-new").get_by_role("button", name="Add tier").click()
    expect(page.get_by_test_id("tier-row")).to_have_count(2)
    expect(page.locator("#toasts")).to_contain_text("Tier added.")
    # Ready for the next one: the add form is empty and its first field has the focus.
    expect(page.get_by_test_id("tier-new").get_by_label("Name")).to_be_focused()
    expect(page.get_by_test_id("tier-new").get_by_label("Name")).to_have_value("")
    # The discount form's tier list knows the new tier at once.
    expect(
        page.get_by_test_id("discount-new").get_by_label("Tier").locator("option")
    ).to_have_count(3)

    # The out-of-order warning stays live after the swap.
    page.get_by_test_id("tier-new").get_by_label("Name").fill("Lite")
    page.get_by_test_id("tier-new").get_by_label("Level").select_option("advanced")
    page.get_by_test_id("tier-new").get_by_label("Price (¥)").fill("9")
    expect(page.locator("#tier-warnings")).to_contain_text("higher levels should not be cheaper")
    page.get_by_test_id("tier-new").get_by_label("Name").fill("")

    now = timezone.localtime()
    discount = page.get_by_test_id("discount-new")
    discount.get_by_label("Name").fill("双十二")
    discount.get_by_label("Kind").select_option("fixed")
    discount.get_by_label("Value").fill("50")
    discount.get_by_label("Tier").select_option(label="Pro (¥399.00)")
    discount.get_by_label("Starts").fill(now.strftime("%Y-%m-%dT%H:%M"))
    discount.get_by_label("Ends").fill((now + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"))
    discount.get_by_role("button", name="Add discount").click()
    expect(page.locator(".timeline .bar.discount")).to_have_count(1)
    expect(page.get_by_test_id("discounts")).to_contain_text("双十二")
    expect(page.locator("#toasts")).to_contain_text("Discount added.")

    screenshot(page, "workspace-htmx")
    assert page.evaluate("window.__sameDocument") is True
    assert loads == []
    # The refused tier answered 422 on purpose; nothing else went wrong in the page.
    assert [e for e in errors if "422" not in e] == []
    assert order(course) == ["Basic", "Pro"] and course.discounts.count() == 1


def test_reorder_with_the_keyboard_and_by_dragging(page, course):
    services.course_tier_save(course=course, name="Pro", level=Level.ADVANCED, list_price=399)
    services.course_tier_save(course=course, name="Team", level=Level.ADVANCED, list_price=999)
    page.goto(f"{page.base_url}/courses/{course.id}/edit/")
    page.evaluate("window.__sameDocument = true")
    rows = page.get_by_test_id("tier-row")
    expect(rows.locator(".tier-name")).to_have_text(["Basic", "Pro", "Team"])

    up = page.get_by_role("button", name="Move Team up")
    up.focus()
    page.keyboard.press("Enter")
    expect(rows.locator(".tier-name")).to_have_text(["Basic", "Team", "Pro"])
    expect(page.get_by_role("button", name="Move Team up")).to_be_focused()
    page.keyboard.press("Enter")  # again: now first, so the focus moves to "down"
    expect(rows.locator(".tier-name")).to_have_text(["Team", "Basic", "Pro"])
    expect(page.get_by_role("button", name="Move Team down")).to_be_focused()
    expect(page.get_by_role("button", name="Move Team up")).to_be_disabled()
    expect(page.locator("#toasts")).to_contain_text("“Team” moved up.")
    assert order(course) == ["Team", "Basic", "Pro"]

    # Drag Pro by its handle above Team (with JavaScript the page says it can be done).
    expect(page.locator("[data-drag-hint]")).to_be_visible()
    handle = page.locator('.tier-row:has(.tier-name:text-is("Pro")) .drag-handle')
    handle.drag_to(page.locator('.tier-row:has(.tier-name:text-is("Team")) .tier-head'))
    expect(page.locator("#toasts")).to_contain_text("Tier order saved.")
    expect(rows.locator(".tier-name")).to_have_text(["Pro", "Team", "Basic"])
    assert order(course) == ["Pro", "Team", "Basic"]
    assert page.evaluate("window.__sameDocument") is True
    screenshot(page, "workspace-reorder")


def test_the_buttons_work_without_javascript(browser, live_server, course):
    services.course_tier_save(course=course, name="Pro", level=Level.ADVANCED, list_price=399)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.base_url = live_server.url
    session_login(page, course.owner)
    page.goto(f"{page.base_url}/courses/{course.id}/edit/")
    page.get_by_role("button", name="Move Pro up").click()
    expect(page).to_have_url(f"{page.base_url}/courses/{course.id}/edit/#tiers")
    expect(page.get_by_test_id("tier-row").locator(".tier-name")).to_have_text(["Pro", "Basic"])
    expect(page.locator("[data-drag-hint]")).to_be_hidden()  # no dragging without JavaScript
    expect(page.locator("#toasts")).to_contain_text("“Pro” moved up.")
    form = page.get_by_test_id("tier-new")
    form.get_by_label("Name").fill("Basic")
    form.get_by_label("Level").select_option("beginner")
    form.get_by_label("Price (¥)").fill("1")
    form.get_by_role("button", name="Add tier").click()
    expect(page.get_by_test_id("tier-new").locator(".errorlist")).to_contain_text("already has")
    assert order(Course.objects.get(pk=course.pk)) == ["Pro", "Basic"]
    screenshot(page, "workspace-nojs-phone")
    context.close()


def test_phone_and_chinese(browser, live_server, course):
    page = new_page(browser, live_server, width=390, height=844, locale="zh-CN")
    session_login(page, course.owner)
    page.goto(f"{page.base_url}/courses/{course.id}/edit/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "workspace-edit-zh-phone")
    page.context.close()
