"""Simplified Chinese is complete and compiled: every page string has a translation."""

import re
from pathlib import Path

from django.utils import translation

PO = Path(__file__).resolve().parents[1] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _entries(text: str):
    for block in text.split("\n\n"):
        if "msgid" not in block:
            continue
        msgid = "".join(re.findall(r'^msgid "(.*)"$|^"(.*)"$', block, re.M)[0])
        yield block, msgid


def test_catalogue_has_no_empty_or_fuzzy_entries():
    text = PO.read_text(encoding="utf-8")
    problems = []
    for block, _msgid in _entries(text):
        if block.lstrip().startswith('msgid ""') and "Language:" in block:
            continue  # the header
        lines = block.splitlines()
        empty = any(
            re.fullmatch(r'msgstr(\[0\])? ""', line)
            and (i + 1 == len(lines) or not lines[i + 1].startswith('"'))
            for i, line in enumerate(lines)
        )
        if "#, fuzzy" in block or empty:
            problems.append(lines[-2:])
    assert not problems, problems[:5]
    assert PO.with_suffix(".mo").stat().st_mtime >= PO.stat().st_mtime - 1, "run compilemessages"


def test_pages_speak_chinese():
    with translation.override("zh-hans"):
        assert translation.gettext("Dashboard") == "仪表盘"
        assert translation.gettext("Pre-launch") == "预热期"
        assert translation.gettext("Import this file") == "导入此文件"


def test_the_admin_titles_are_translated(creator_client):
    """The admin's header, window title and index title follow the reader's language."""
    english = creator_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Your courses, videos and campaigns" in english
    assert "<title>Your courses, videos and campaigns | CourseReel admin</title>" in english
    chinese = creator_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    with translation.override("zh-hans"):
        titles = [
            translation.gettext(text)
            for text in (
                "CourseReel administration",
                "CourseReel admin",
                "Your courses, videos and campaigns",
            )
        ]
    assert all(title in chinese for title in titles)
    assert "Your courses, videos and campaigns" not in chinese
    assert "CourseReel administration" not in chinese
    assert titles[2] == "你的课程、视频与营销活动"
