"""Every creator page, at a phone's width and a laptop's, in English and Chinese: nothing wider
than the viewport, no console errors, and no serious or critical WCAG 2 A/AA violation found by
axe-core (the npm package, fetched pinned by `make test`; see tests/browser/axe.py)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from campaigns.models import Campaign
from courses.models import Course
from imports.models import ImportJob
from videos.models import Video

from .axe import axe_serious_violations
from .conftest import new_page, screenshot, session_login

VIEWPORTS = {"phone": (390, 844), "laptop": (1366, 900)}
LANGUAGES = {"en": "en-US", "zh": "zh-CN"}


def _pages(user) -> dict[str, str]:
    course = Course.objects.filter(owner=user).order_by("pk").first()
    campaign = Campaign.objects.filter(owner=user).order_by("pk").first()
    video = Video.objects.filter(owner=user, status="published").order_by("pk").first()
    pages = {
        "dashboard": "/",
        "courses": "/courses/",
        "course": f"/courses/{course.pk}/",
        "course-new": "/courses/new/",
        "course-edit": f"/courses/{course.pk}/edit/",
        "campaigns": "/campaigns/",
        "planner": f"/campaigns/{campaign.pk}/",
        "videos": "/videos/",
        "video": f"/videos/{video.pk}/",
        "imports": "/imports/",
        "settings": "/settings/",
    }
    job = ImportJob.objects.filter(owner=user).order_by("pk").first()
    if job:
        pages["import-job"] = f"/imports/{job.pk}/"
    return pages


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_page_fits_is_quiet_and_passes_axe(
    browser, live_server, demo_data, viewport, language
):
    width, height = VIEWPORTS[viewport]
    user = get_user_model().objects.get(username="demo")
    page = new_page(browser, live_server, width=width, height=height, locale=LANGUAGES[language])
    session_login(page, user)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    problems: dict[str, list] = {}
    try:
        for name, path in _pages(user).items():
            errors.clear()
            page.goto(live_server.url + path)
            page.wait_for_load_state("networkidle")
            found = []
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > width:
                culprits = page.evaluate(
                    """(w) => [...document.querySelectorAll('body *')]
                        .filter(e => e.getBoundingClientRect().right > w + 1)
                        .filter(e => !e.closest('.table-scroll, .planner-wrap, .kanban'))
                        .slice(0, 5).map(e => e.tagName + '.' + e.className)""",
                    width,
                )
                found.append(f"{wide}px wide: {culprits}")
            if errors:
                found.append(f"console: {errors[:3]}")
            violations = axe_serious_violations(page)
            if violations:
                found.append(f"axe: {violations}")
            screenshot(page, f"walk-{name}-{viewport}-{language}")
            if found:
                problems[name] = found
    finally:
        page.context.close()
    if problems:
        pytest.fail(json.dumps(problems, indent=1, ensure_ascii=False))
