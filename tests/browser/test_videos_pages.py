"""The pipeline board, a video page and settings in real Chromium, as the demo creator."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from analytics.models import CreatorSettings
from core.models import ApiToken
from core.tokens import api_token_digest
from videos.models import PipelineStatus, Video

from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def column(page, status: str):
    return page.locator(f'section.kanban-col[data-status="{status}"]')


def card(page, status: str, video: Video):
    """By id: demo titles repeat across courses."""
    return column(page, status).locator(f'[data-testid="card"][data-video-id="{video.pk}"]')


def move_select(page, video: Video):
    return page.locator(f"#move-{video.pk}")


def demo_video(status: str, **filters) -> Video:
    return (
        Video.objects.filter(owner__username="demo", status=status, **filters)
        .order_by("id")
        .first()
    )


def test_board_move_with_the_select(page):
    video = demo_video(PipelineStatus.IDEA)
    page.goto(page.base_url + "/videos/")
    expect(page.get_by_role("heading", name="Video pipeline")).to_be_visible()
    expect(card(page, "idea", video)).to_be_visible()
    screenshot(page, "videos-board")

    before = int(column(page, "script").get_by_test_id("count-script").inner_text())
    select = move_select(page, video)
    expect(select).to_have_accessible_name(f"Move “{video.title}” to")
    select.select_option("script")

    expect(card(page, "script", video)).to_be_visible()
    expect(card(page, "idea", video)).to_have_count(0)
    expect(column(page, "script").get_by_test_id("count-script")).to_have_text(str(before + 1))
    expect(page.locator(".toast")).to_contain_text("is now in Script")
    video.refresh_from_db()
    assert video.status == PipelineStatus.SCRIPT


def test_board_drag_and_drop_moves_a_card(page):
    video = demo_video(PipelineStatus.SHOOTING)
    page.goto(page.base_url + "/videos/")
    card(page, "shooting", video).drag_to(column(page, "editing"))
    expect(card(page, "editing", video)).to_be_visible()
    video.refresh_from_db()
    assert video.status == PipelineStatus.EDITING


def test_board_refused_move_keeps_the_card(page):
    video = demo_video(PipelineStatus.PUBLISHED, daily_stats__isnull=False)
    page.goto(page.base_url + "/videos/")
    move_select(page, video).select_option("editing")
    expect(page.locator(".toast-error")).to_contain_text("stays published")
    # The board redraws: the card is still published and its select says so again.
    expect(move_select(page, video)).to_have_value("published")
    expect(card(page, "published", video)).to_be_visible()
    video.refresh_from_db()
    assert video.status == PipelineStatus.PUBLISHED


def test_board_filters_are_in_the_url_and_back_works(page):
    page.goto(page.base_url + "/videos/")
    all_cards = page.get_by_test_id("card").count()
    page.locator("#filter_platform").select_option("bilibili")
    expect(page).to_have_url(re.compile(r"platform=bilibili"))
    expect(page.locator(".vcard .badge:not(.platform-bilibili)")).to_have_count(0)
    assert page.get_by_test_id("card").count() < all_cards
    page.go_back()
    expect(page).to_have_url(page.base_url + "/videos/")
    expect(page.get_by_test_id("card")).to_have_count(all_cards)


def test_new_video_form_adds_an_idea(page):
    page.goto(page.base_url + "/videos/")
    page.get_by_text("New video", exact=True).click()
    page.get_by_label("Title").fill("Playwright 入门：三分钟上手")
    page.locator("#new_platform").select_option(label="Bilibili")
    page.get_by_label("Topic").fill("测试自动化")
    page.get_by_role("button", name="Add as idea").click()
    expect(column(page, "idea").get_by_text("Playwright 入门：三分钟上手")).to_be_visible()
    expect(page.locator(".toast")).to_contain_text("added to Ideas")


def test_video_page_edit_script_opening(page):
    video = demo_video(PipelineStatus.PUBLISHED, daily_stats__isnull=False)
    page.goto(page.base_url + "/videos/")
    card(page, "published", video).get_by_role("link", name=video.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(video.title)
    expect(page.locator("canvas[data-chart]")).to_be_visible()
    expect(page.get_by_test_id("metrics")).to_be_visible()
    expect(page.locator('abbr[data-figure="F"]')).to_have_text("Interaction rate")
    expect(page.locator('abbr[data-figure="F"]')).to_have_attribute(
        "title", "interactions per view: F = I / T"
    )
    screenshot(page, "videos-detail")

    page.get_by_label("Opening").fill("三秒钩子：你写的 Python 为什么这么慢？")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".toast")).to_contain_text("Video saved.")
    video.refresh_from_db()
    assert video.script_opening == "三秒钩子：你写的 Python 为什么这么慢？"


def test_video_page_inline_error(page):
    video = demo_video(PipelineStatus.IDEA)
    page.goto(page.base_url + f"/videos/{video.pk}/")
    expect(page.get_by_text("No stats imported yet").first).to_be_visible()
    page.get_by_label("Usefulness").fill("9")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#id_usefulness_errors")).to_contain_text("less than or equal to 5")
    expect(page.get_by_label("Usefulness")).to_have_attribute("aria-invalid", "true")


def test_settings_save_weights(page, monkeypatch):
    # The live server runs in this process: record the enqueue instead of leaving a task on
    # the shared broker queue.
    enqueued = []
    monkeypatch.setattr(
        "analytics.creator_settings.metrics_recompute_enqueue", lambda **kw: enqueued.append(kw)
    )
    page.goto(page.base_url + "/settings/")
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    page.get_by_label("engagement λ1 (F)").fill("0.7")
    page.get_by_label("engagement λ2 (D)").fill("0.3")
    page.get_by_role("button", name="Save weights").click()
    expect(page.locator(".toast")).to_contain_text("Weights saved")
    settings = CreatorSettings.objects.get(owner__username="demo")
    assert settings.engagement_weights == (0.7, 0.3)
    assert enqueued == [{"owner_id": settings.owner_id, "trigger": "settings"}]
    page.get_by_role("button", name="Create new token").click()
    new_token = page.get_by_test_id("new-token")
    expect(new_token).to_have_value(re.compile(r"^[A-Za-z0-9_-]{43}$"))  # 256 bits, URL-safe
    key = new_token.input_value()
    assert ApiToken.objects.get(user__username="demo").key_hash == api_token_digest(key)
    screenshot(page, "settings")


def test_board_on_a_phone(phone_page):
    page = phone_page
    page.goto(page.base_url + "/videos/")
    idea_box = column(page, "idea").bounding_box()
    script_box = column(page, "script").bounding_box()
    # Columns stack instead of squeezing six side by side.
    assert script_box["y"] > idea_box["y"] + idea_box["height"] - 1
    assert idea_box["width"] > 300
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "videos-board-phone")
    page.goto(page.base_url + f"/videos/{demo_video(PipelineStatus.PUBLISHED).pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "videos-detail-phone")
