"""Tracking links end to end in Chromium: create a video's link on its page, follow it as a
viewer would, land on the sales page with UTM parameters, and see the click counted; the
campaign planner creates links for its posts; the dashboard shows what to post next."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from analytics import funnel
from tests.browser.conftest import new_page, screenshot
from tracking.models import LinkClick, TrackingLink
from videos.models import PipelineStatus, Video

pytestmark = pytest.mark.django_db(transaction=True)
PHONE_BROWSER = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Mobile Safari/537.36 aweme_29.1.0"
)


def test_create_a_link_follow_it_and_see_the_click(page, browser, live_server):
    video = (
        Video.objects.filter(owner__username="demo", status=PipelineStatus.IDEA)
        .select_related("course")
        .first()
    )
    course = video.course
    course.sales_page_url = f"{live_server.url}/healthz?from=shop"  # a page this server answers
    course.save()
    page.goto(f"{page.base_url}/videos/{video.pk}/")
    panel = page.get_by_test_id("tracking-panel")
    panel.get_by_test_id("create-link").click()
    page.wait_for_load_state()
    url = panel.get_by_test_id("tracking-url").input_value()
    code = TrackingLink.objects.get(video=video).code
    assert url == f"{live_server.url}/r/{code}"
    assert panel.get_by_test_id("tracking-code").inner_text().replace("-", "").lower() == code
    screenshot(page, "tracking-video-panel")

    viewer = new_page(browser, live_server, width=390, height=844)
    viewer.context.set_extra_http_headers({"User-Agent": PHONE_BROWSER})
    viewer.goto(url)
    landed = urlsplit(viewer.url)
    assert landed.path == "/healthz"
    assert parse_qs(landed.query) == {
        "from": ["shop"],
        "utm_source": [video.platform.slug],
        "utm_medium": ["short_video"],
        "utm_campaign": [course.slug],
        "utm_content": [code],
    }
    viewer.context.close()
    assert LinkClick.objects.filter(link__code=code).count() == 1

    page.reload()
    assert "1 click counted" in page.get_by_test_id("tracking-panel").inner_text()


def test_planner_creates_links_for_the_posts(page):
    from campaigns.models import Campaign

    campaign = Campaign.objects.get(owner__username="demo")
    TrackingLink.objects.filter(post__campaign=campaign).delete()
    page.goto(f"{page.base_url}/campaigns/{campaign.pk}/")
    section = page.get_by_test_id("campaign-tracking")
    section.get_by_test_id("create-campaign-links").click()
    page.wait_for_load_state()
    planned = campaign.posts.filter(is_suggestion=False).count()
    rows = page.get_by_test_id("post-links").locator("tbody tr")
    assert rows.count() == planned > 0
    assert TrackingLink.objects.filter(post__campaign=campaign).count() == planned
    screenshot(page, "tracking-campaign-links")


def test_dashboard_suggests_what_to_post_next(page):
    from django.contrib.auth import get_user_model

    from analytics import engine

    owner = get_user_model().objects.get(username="demo")
    engine.engagement_recompute(owner_ids=[owner.pk])
    funnel.funnel_recompute(owner_ids=[owner.pk], today=timezone.localdate(), now=timezone.now())
    page.goto(page.base_url + "/")
    panel = page.get_by_test_id("post-next")
    assert panel.get_by_test_id("suggestion-topic").count() == 3
    assert panel.get_by_test_id("suggestion-platform").count() == 3
    assert panel.get_by_test_id("suggestion-hour").count() == 3
    assert "/ 1k views" in panel.inner_text()
    screenshot(page, "tracking-dashboard-suggestions")
