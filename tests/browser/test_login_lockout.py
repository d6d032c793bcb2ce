"""The login lockout in Chromium: after too many wrong passwords the page says plainly what
happened and for how long, in the site's style, readable on a phone, in English and Chinese."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.browser.conftest import new_page, screenshot
from tests.factories import CreatorFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("locale", "heading", "minutes"),
    [("en-US", "Too many failed logins", "15 minutes"), ("zh-CN", "登录失败次数过多", "15 分钟")],
)
def test_lockout_page_is_readable(browser, live_server, settings, locale, heading, minutes):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    CreatorFactory(username="alice")
    page = new_page(browser, live_server, width=390, height=844, locale=locale)
    try:
        for password in ("wrong-1", "wrong-2", "wrong-3"):
            page.goto(page.base_url + "/accounts/login/")
            page.locator("#id_username").fill("alice")
            page.locator("#id_password").fill(password)
            page.locator("button[type=submit]").last.click()
            page.wait_for_load_state()
        locked = page.get_by_test_id("locked-out")
        assert locked.get_by_role("heading", level=1).inner_text() == heading
        assert minutes in locked.inner_text()
        assert page.title().startswith(heading)
        # Fits a phone: nothing wider than the screen, the text is of a readable size.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        size = page.evaluate(
            "parseFloat(getComputedStyle(document.querySelector('[data-testid=locked-out] p'))"
            ".fontSize)"
        )
        assert size >= 14
        screenshot(page, f"login-locked-out-{locale}")
        # The way back leads to the login form, where the right password is still refused.
        locked.get_by_role("link").click()
        page.locator("#id_username").fill("alice")
        page.locator("#id_password").fill("alice")
        page.locator("button[type=submit]").last.click()
        page.wait_for_load_state()
        assert page.get_by_test_id("locked-out").is_visible()
    finally:
        page.context.close()
