"""A file refused for its structure, uploaded from the Chinese imports page: the problems
(built in Python by imports/tables.py) are listed in Chinese, on a phone and on a laptop."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation
from playwright.sync_api import expect

from tests.browser.conftest import new_page, screenshot, session_login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("size", [(390, 844), (1366, 900)], ids=["phone", "laptop"])
def test_structure_refusals_in_chinese(browser, live_server, demo_data, tmp_path, size):
    from imports.models import ImportJob
    from imports.services import import_job_run

    export = tmp_path / "抖音导出.csv"
    export.write_text(
        "视频ID,日期,播放量\nv1,2026-11-20,10,多出来的\nv2,2026-11-21,12\n", encoding="utf-8"
    )
    user = get_user_model().objects.get(username="demo")
    page = new_page(browser, live_server, width=size[0], height=size[1], locale="zh-CN")
    session_login(page, user)
    page.goto(live_server.url + "/imports/")
    page.locator("select[name=kind]").select_option("stats")
    page.locator("input[name=file]").set_input_files(str(export))
    page.locator("form button[type=submit].primary").first.click()
    job = ImportJob.objects.filter(owner=user).latest("id")
    import_job_run(job_id=job.id)
    with translation.override("zh-hans"):
        problem = translation.gettext(
            "has %(cells)s cells but the header has %(columns)s columns "
            "(a comma inside a cell that is not quoted?)"
        ) % {"cells": 4, "columns": 3}
        column = translation.gettext("%(letter)s (no header)") % {"letter": "D"}
    table = page.locator("table").first
    expect(table).to_contain_text(problem, timeout=10_000)
    expect(table).to_contain_text(column)
    expect(table).not_to_contain_text("cells but the header")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"import-refused-zh-{'phone' if size[0] < 500 else 'laptop'}")
    page.context.close()
