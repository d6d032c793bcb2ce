"""Platform connections in Chromium: connect Bilibili by BV ids on the Connections page, see the
card after a sync (last success, next run, counts), then after Bilibili limits the server (the
error in plain words, the rate-limit waits), in English and in Chinese, on a phone too."""

from __future__ import annotations

import json
import time

import pytest
from django.contrib.auth import get_user_model
from werkzeug import Response

from connectors.models import PlatformConnection
from connectors.platform_services import platform_connection_sync
from connectors.platforms import PlatformError
from tests.browser.conftest import new_page, screenshot, session_login

pytestmark = pytest.mark.django_db(transaction=True)
BV = "BV1xx411c7mD"
state = {"code": 0}


def view(request):
    if state["code"]:
        body = {"code": state["code"], "message": "请求过于频繁", "ttl": 1}
    else:
        body = {"code": 0, "message": "0", "data": {
            "bvid": request.args["bvid"], "title": "Python 爬虫 60 秒", "aid": 1,
            "pubdate": int(time.time()) - 600,
            "stat": {"view": 12345, "danmaku": 1, "reply": 2, "favorite": 3, "coin": 4,
                     "share": 5, "like": 6}}}  # fmt: skip
    return Response(json.dumps(body), content_type="application/json")


def test_connect_bilibili_and_read_the_card(page, browser, live_server, httpserver, settings):
    settings.BILIBILI_API_BASE = httpserver.url_for("").rstrip("/")
    settings.PLATFORM_BACKOFF_SECONDS = 0.01
    settings.PLATFORM_RATE_PER_SECOND = {}
    httpserver.expect_request("/x/web-interface/view").respond_with_handler(view)
    state["code"] = 0

    page.goto(page.base_url + "/settings/connections/")
    form = page.get_by_test_id("add-platform")
    form.get_by_label("Platform").select_option("bilibili")
    form.get_by_label("Video ids (BV… or YouTube ids), separated by spaces").fill(BV)
    form.get_by_role("button", name="Connect").click()
    page.wait_for_load_state()
    assert "Platform connected" in page.content()
    connection = PlatformConnection.objects.get(owner__username="demo")
    card = page.get_by_test_id(f"platform-{connection.pk}")
    assert "not yet" in card.inner_text()  # no sync has run in this test

    platform_connection_sync(connection=connection)  # what the worker does
    page.reload()
    text = card.inner_text()
    assert "Last success" in text and "not yet" not in text
    assert card.get_by_test_id("status").inner_text() == "Working"
    assert "Next run" in text and "none planned" not in text  # a new video: hourly
    screenshot(page, "connections-platform")

    state["code"] = -412  # Bilibili limits this server's requests
    with pytest.raises(PlatformError):
        platform_connection_sync(connection=connection, force=True)
    page.reload()
    error = card.get_by_test_id("platform-error").inner_text()
    assert "Bilibili is limiting requests from this server" in error and "-412" in error
    assert card.get_by_test_id("status").inner_text() == "Failing"

    user = get_user_model().objects.get(username="demo")
    for name, kwargs in (
        ("connections-platform-zh", {"locale": "zh-CN"}),
        ("connections-platform-phone", {"width": 390, "height": 844}),
    ):
        other = new_page(browser, live_server, **kwargs)
        session_login(other, user)
        if name.endswith("zh"):
            other.goto(other.base_url + "/settings/connections/")
            other.evaluate(
                "fetch('/i18n/setlang/', {method: 'POST', headers: {'Content-Type': "
                "'application/x-www-form-urlencoded', 'X-CSRFToken': document.cookie.match("
                "/csrftoken=([^;]+)/)[1]}, body: 'language=zh-hans&next=/'})"
            )
        other.goto(other.base_url + "/settings/connections/")
        zh_card = other.get_by_test_id(f"platform-{connection.pk}")
        if name.endswith("zh"):
            assert "哔哩哔哩" in zh_card.inner_text()
            # the sync ran in English; the Chinese page shows its error in Chinese
            error = zh_card.get_by_test_id("platform-error").inner_text()
            assert "-412" in error and "Bilibili" not in error and "limiting" not in error
        width = other.evaluate("document.documentElement.scrollWidth")
        assert width <= other.viewport_size["width"], f"{name}: {width}px wide"
        screenshot(other, name)
        other.context.close()
