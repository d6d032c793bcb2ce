"""A creator sets up a course in the app without ever opening the admin: a Chinese title
(ASCII slug), two tiers, a discount, and two videos given the course (one from the video
page, one in bulk from the board)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from courses.models import Course
from tests.browser.conftest import screenshot
from videos.models import Video

pytestmark = pytest.mark.django_db(transaction=True)


def test_full_course_setup_without_the_admin(page):
    admin_requests: list[str] = []
    page.on("request", lambda r: admin_requests.append(r.url) if "/admin/" in r.url else None)

    page.goto(page.base_url + "/courses/")
    page.get_by_role("link", name="New course").click()
    expect(page).to_have_url(f"{page.base_url}/courses/new/")
    page.get_by_label("Title").fill("Rust 并发编程实战")
    page.get_by_label("Topic").fill("Rust")
    page.get_by_label("Level").select_option("intermediate")
    tags = page.get_by_label("Audience tags")
    tags.fill("developers")
    tags.press("Enter")
    tags.fill("students,")
    expect(page.locator(".tag-chip")).to_have_count(2)
    page.get_by_label("Sales page URL").fill("https://shop.example.com/rust")
    screenshot(page, "workspace-new")
    page.get_by_role("button", name="Create course").click()

    course = Course.objects.get(owner__username="demo", title="Rust 并发编程实战")
    assert course.slug == "rust-bing-fa-bian-cheng-shi-zhan"
    assert course.audience_tags == ["developers", "students"]
    expect(page).to_have_url(f"{page.base_url}/courses/{course.id}/edit/")
    expect(page.locator("#toasts")).to_contain_text("Course created")

    new_tier = page.get_by_test_id("tier-new")
    new_tier.get_by_label("Name").fill("Basic")
    new_tier.get_by_label("Level").select_option("beginner")
    new_tier.get_by_label("Price (¥)").fill("199")
    new_tier.get_by_role("button", name="Add tier").click()
    expect(page.get_by_test_id("tier-row")).to_have_count(1)
    new_tier = page.get_by_test_id("tier-new")
    new_tier.get_by_label("Name").fill("Pro")
    new_tier.get_by_label("Level").select_option("advanced")
    new_tier.get_by_label("Price (¥)").fill("99")
    # The out-of-order warning appears while typing, before saving.
    expect(page.locator("#tier-warnings")).to_contain_text("higher levels should not be cheaper")
    new_tier.get_by_label("Price (¥)").fill("399")
    expect(page.locator("#tier-warnings li")).to_have_count(0)
    new_tier.get_by_role("button", name="Add tier").click()
    expect(page.get_by_test_id("tier-row")).to_have_count(2)

    now = timezone.localtime()
    discount = page.get_by_test_id("discount-new")
    discount.get_by_label("Name").fill("早鸟价")
    discount.get_by_label("Kind").select_option("percent")
    discount.get_by_label("Value").fill("20")
    discount.get_by_label("Tier").select_option(label="Pro (¥399.00)")
    expect(discount.get_by_label("Tier").locator("option")).to_have_count(3)  # all + 2 tiers
    discount.get_by_label("Starts").fill(now.strftime("%Y-%m-%dT%H:%M"))
    discount.get_by_label("Ends").fill((now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))
    discount.get_by_label("Code").fill("EARLY")
    discount.get_by_label("Redemption cap").fill("100")
    discount.get_by_role("button", name="Add discount").click()
    expect(page.locator(".timeline .bar.discount")).to_have_count(1)
    screenshot(page, "workspace-edit")
    assert course.tiers.count() == 2 and course.discounts.count() == 1

    # One video from its own page.
    loose = list(Video.objects.filter(owner__username="demo").order_by("pk")[:2])
    Video.objects.filter(pk__in=[v.pk for v in loose]).update(course=None)
    page.goto(f"{page.base_url}/videos/{loose[0].id}/")
    page.get_by_label("Course this video sells").select_option(label="Rust 并发编程实战")
    page.get_by_test_id("video-course").get_by_role("button", name="Save course").click()
    expect(page.locator("#toasts")).to_contain_text("now sells")
    screenshot(page, "workspace-video")

    # The other in bulk from the board's "no course yet" filter.
    page.goto(page.base_url + "/videos/?course=none")
    expect(page.locator("#filter_course")).to_have_value("none")
    page.locator(f'input[data-testid="pick"][value="{loose[1].id}"]').check()
    page.get_by_label("Give the ticked videos the course").select_option(label="Rust 并发编程实战")
    page.get_by_role("button", name="Assign course").click()
    expect(page.locator("#toasts")).to_contain_text(re.compile(r"1 video now sells"))
    screenshot(page, "workspace-board")

    assert set(course.videos.values_list("pk", flat=True)) == {v.pk for v in loose}
    page.goto(f"{page.base_url}/courses/{course.id}/")
    expect(page.get_by_test_id("tier")).to_have_count(2)
    assert admin_requests == []
