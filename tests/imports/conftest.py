"""Fixtures for the import tests: files written to tmp_path, uploads kept out of var/media."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path

import pytest

EN_HEADER = [
    "platform_video_id",
    "date",
    "views",
    "interactions",
    "comments",
    "likes",
    "shares",
    "saves",
]
ZH_HEADER = ["视频ID", "日期", "播放量", "互动量", "评论量", "点赞量", "分享量", "收藏量", "标题"]
START = date(2026, 3, 1)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]], newline: str = "\n") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def stat_rows(videos: int, days: int, *, prefix: str = "v", start: date = START) -> list[list]:
    """Daily rows that go up and down (so they read as daily numbers, not running totals)."""
    rows = []
    for v in range(videos):
        for d in range(days):
            views = 1000 + 37 * v + (d % 3) * 100 - (d % 2) * 250
            rows.append(
                [f"{prefix}{v}", (start + timedelta(days=d)).isoformat(), views, views // 10,
                 views // 100, views // 20, views // 200, views // 300]
            )  # fmt: skip
    return rows


@pytest.fixture
def write_file(tmp_path) -> Callable[..., Path]:
    """write_file(text or bytes, name="stats.csv", encoding="utf-8") → the file's path."""

    def write(content: str | bytes, name: str = "stats.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return write


@pytest.fixture
def write_xlsx(tmp_path) -> Callable[..., Path]:
    def write(header: Sequence[str], rows: Iterable[Sequence[object]], name="stats.xlsx") -> Path:
        import openpyxl

        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.append(list(header))
        for row in rows:
            sheet.append(list(row))
        path = tmp_path / name
        workbook.save(path)
        return path

    return write


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def no_enqueue(monkeypatch) -> list:
    """Record instead of sending: the recompute and import tasks enqueued after commit."""
    sent: list = []
    monkeypatch.setattr(
        "analytics.tasks.recompute_owner_metrics.delay",
        lambda *args, **kwargs: sent.append(("recompute", args)),
    )
    monkeypatch.setattr(
        "imports.tasks.import_job_process.delay",
        lambda *args, **kwargs: sent.append(("import", args)),
    )
    return sent
