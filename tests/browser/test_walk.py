"""Every creator page, at a phone's width and a laptop's, in English and Chinese: nothing wider
than the viewport, no console errors, and no serious or critical WCAG 2 A/AA violation found by
axe-core (the npm package, fetched pinned by `make test`; see tests/browser/axe.py)."""

from __future__ import annotations

import json

import polib
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from campaigns.models import Campaign
from connectors import services as connector_services
from courses.models import Course
from imports.models import ImportJob
from videos.models import Video

from .axe import axe_serious_violations
from .conftest import new_page, screenshot, session_login

# Texts a Chinese page may show in English: names, formats, codes.
ENGLISH_ALLOWED = {"CourseReel", "API", "English", "YouTube Shorts", "Stripe", "CSV", "XLSX"}


def _english_ui_texts() -> set[str]:
    """The catalogue's English interface texts that have a Chinese translation: shown as they
    are on a Chinese page, one of them was not translated (or not marked)."""
    catalog = polib.pofile(str(settings.LOCALE_PATHS[0] / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    return {
        e.msgid
        for e in catalog
        if e.translated()
        and not e.msgid_plural
        and "%" not in e.msgid
        and "{" not in e.msgid
        and e.msgstr != e.msgid
        and 3 <= len(e.msgid) <= 60
        and e.msgid not in ENGLISH_ALLOWED
    }


# Each element's own text (its text nodes, not its children's), and each control's label text.
OWN_TEXTS = r"""() => {
    const out = new Set();
    for (const el of document.querySelectorAll('body *')) {
        if (el.closest('script, style, code, pre, .code, [data-user-content]')) continue;
        let own = '';
        for (const node of el.childNodes) if (node.nodeType === 3) own += node.textContent;
        own = own.replace(/\s+/g, ' ').trim().replace(/[:：]$/, '');
        if (own) out.add(own);
        for (const attr of ['placeholder', 'aria-label', 'title']) {
            const value = el.getAttribute(attr);
            if (value) out.add(value.trim());
        }
    }
    return [...out];
}"""

VIEWPORTS = {"phone": (390, 844), "laptop": (1366, 900)}
LANGUAGES = {"en": "en-US", "zh": "zh-CN"}


def _connections(user) -> None:
    """Cards with something on them: a custom shop with a refused event, and a Stripe one."""
    shop, _secret = connector_services.connection_create(owner=user, kind="generic", name="店铺")
    connector_services.refused_record(
        connection=shop,
        refusal=connector_services.Refused("no_course", slug="python-101"),
        external_id="A-1",
    )
    connector_services.connection_create(
        owner=user, kind="stripe", secrets={"signing_secret": "whsec_walk"}
    )


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
        "connections": "/settings/connections/",
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
    _connections(user)
    page = new_page(browser, live_server, width=width, height=height, locale=LANGUAGES[language])
    session_login(page, user)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    problems: dict[str, list] = {}
    english = _english_ui_texts()
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
            shown_english = sorted(set(page.evaluate(OWN_TEXTS)) & english)
            if language == "zh" and shown_english:
                found.append(f"English on a Chinese page: {shown_english[:10]}")
            if language == "en" and not shown_english:
                found.append("the untranslated-text check sees no interface text")
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
