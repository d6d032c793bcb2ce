"""Shop connections in Chromium: add a generic shop, see its receive URL and secret, have the
shop send an order for a course that does not exist, and see it refused on the card."""

from __future__ import annotations

import json
import time

import pytest
import requests

from connectors.receive import generic_signature
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_add_a_generic_shop_and_see_a_refused_event(page):
    page.goto(page.base_url + "/settings/")
    page.get_by_test_id("connections-link").click()
    page.wait_for_url(page.base_url + "/settings/connections/")
    form = page.get_by_test_id("add-connection")
    form.get_by_label("Shop").select_option("generic")
    form.get_by_label("Name (optional)").fill("My Shopify")
    form.get_by_role("button", name="Add connection").click()
    page.wait_for_load_state()

    secret = page.locator("#new-secret-value").input_value()
    assert secret.startswith("crsec_")
    receive_url = page.get_by_test_id("receive-url").input_value()
    assert receive_url.startswith(page.base_url + "/hooks/sales/")

    body = json.dumps(
        {
            "order_id": "SHOP-42",
            "sold_at": "2026-12-01T10:00:00+08:00",
            "course": "no-such-course",
            "quantity": 1,
            "unit_price": "99.00",
            "currency": "CNY",
        }
    ).encode()
    timestamp = str(int(time.time()))
    answer = requests.post(
        receive_url,
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-CourseReel-Timestamp": timestamp,
            "X-CourseReel-Signature": generic_signature(secret, timestamp, body),
        },
        timeout=10,
    )
    assert answer.status_code == 422

    page.goto(page.base_url + "/settings/connections/")
    refused = page.get_by_test_id("refused-events")
    assert "SHOP-42" in refused.inner_text()
    assert "no-such-course" in refused.inner_text()
    assert "no-such-course" in page.get_by_test_id("last-error").inner_text()
    assert secret not in page.content()  # shown once
    screenshot(page, "connections-refused")
