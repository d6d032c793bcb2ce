"""``stats.changed`` from every way of changing daily statistics.

Ways in: the stats import (the ``import_stats`` command and an upload on the /imports/ page,
processed by the worker task run in-process), the bulk API ``/api/v1/daily-stats/bulk/``, the
plain daily-stats API (create, update), and the admin's VideoDailyStat add and change forms.
(The Video change page lists statistics read-only; connector syncs need platform fakes and are
covered with the connectors.)

Observed through a webhook endpoint subscribed to ``stats.changed``: one write = exactly one
delivery whose payload names the videos (``videos``: ids) and the days (``days``: ISO dates)
that changed. A write that changes nothing, or is refused, sends nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tests.factories import ImportJobFactory, VideoDailyStatFactory, VideoFactory, platform

from .events import deliveries, endpoints_for, run_after_commit
from .surfaces import admin_submit, api_bulk, api_send

pytestmark = pytest.mark.django_db

EVENT = "stats.changed"
HEADER = [
    "platform_video_id",
    "date",
    "views",
    "interactions",
    "comments",
    "likes",
    "shares",
    "saves",
]


def stat_model():
    return VideoDailyStatFactory._meta.get_model_class()


@dataclass
class Channel:
    creator: Any
    other: Any
    api: Any
    client: Any
    videos: list
    days: list[date]
    stored: Any  # one stored row (videos[0], days[0]) the update ways change
    tmp_path: Any
    capture: Any


@pytest.fixture
def channel(
    creator, other_creator, api, creator_client, tmp_path, django_capture_on_commit_callbacks
):
    videos = [
        VideoFactory(owner=creator, platform=platform("douyin"), platform_video_id=f"dy-{n}")
        for n in range(2)
    ]
    today = timezone.localdate()
    days = [today - timedelta(days=6), today - timedelta(days=5)]
    stored = VideoDailyStatFactory(video=videos[0], date=days[0] - timedelta(days=1), views=500)
    return Channel(
        creator,
        other_creator,
        api,
        creator_client,
        videos,
        days,
        stored,
        tmp_path,
        django_capture_on_commit_callbacks,
    )


def _numbers(v: int, d: int) -> list[int]:
    views = (1000 - 300 * d) + 100 * v  # daily numbers that go down: not running totals
    return [views, views // 10, views // 100, views // 20, views // 200, views // 300]


def _grid(ch: Channel) -> list[tuple[Any, date, list[int]]]:
    return [
        (v, day, _numbers(i, d)) for i, v in enumerate(ch.videos) for d, day in enumerate(ch.days)
    ]


def _csv(ch: Channel, *, bad: bool = False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for video, day, numbers in _grid(ch):
        writer.writerow([video.platform_video_id, day.isoformat(), *numbers])
    if bad:
        writer.writerow([ch.videos[0].platform_video_id, "not a date", -5, 1, 1, 1, 1, 1])
    return buffer.getvalue().encode("utf-8")


def _expect_grid(ch: Channel) -> tuple[set[int], set[str]]:
    return {v.pk for v in ch.videos}, {d.isoformat() for d in ch.days}


# --- the ways in -------------------------------------------------------------------------------


def via_import_command(ch: Channel, *, bad: bool = False):
    path = ch.tmp_path / "douyin.csv"
    path.write_bytes(_csv(ch, bad=bad))
    args = (str(path),)
    kwargs = {"owner": ch.creator.username, "platform": "douyin", "stdout": StringIO()}
    if bad:
        with pytest.raises(CommandError):
            call_command("import_stats", *args, **kwargs)
    else:
        call_command("import_stats", *args, **kwargs)
    return _expect_grid(ch)


def via_import_page(ch: Channel, *, bad: bool = False):
    upload = SimpleUploadedFile("douyin.csv", _csv(ch, bad=bad), content_type="text/csv")
    data = {"kind": "stats", "mode": "daily", "platform": platform("douyin").pk, "file": upload}
    with ch.capture(execute=False) as queued:
        response = ch.client.post("/imports/", data)
    assert response.status_code == 302, response.content[:500]
    run_after_commit(queued)
    job = ImportJobFactory._meta.get_model_class().objects.filter(owner=ch.creator).first()
    assert job.status == ("failed" if bad else "succeeded"), (job.status, job.errors)
    return _expect_grid(ch)


def _bulk_rows(ch: Channel) -> list[dict]:
    names = HEADER[2:]
    return [
        {"video": video.pk, "date": day.isoformat(), **dict(zip(names, numbers, strict=True))}
        for video, day, numbers in _grid(ch)
    ]


def via_api_bulk(ch: Channel, *, bad: bool = False):
    rows = _bulk_rows(ch)
    if bad:
        rows.append({"video": ch.videos[1].pk, "date": "2020-01-01", "views": -5})
    attempt = api_bulk(ch.api, "/api/v1/daily-stats/bulk/", rows)
    assert attempt.status == (400 if bad else 200), attempt.describe()
    return _expect_grid(ch)


def via_api_create(ch: Channel, *, bad: bool = False):
    video, day = ch.videos[1], ch.days[1]
    body = {"video": video.pk, "date": day.isoformat(), "views": -5 if bad else 1234, "likes": 9}
    attempt = api_send(ch.api, "post", "/api/v1/daily-stats/", body)
    assert attempt.status == (400 if bad else 201), attempt.describe()
    return {video.pk}, {day.isoformat()}


def via_api_update(ch: Channel, *, bad: bool = False):
    body = {"views": -5 if bad else 4321}
    attempt = api_send(ch.api, "patch", f"/api/v1/daily-stats/{ch.stored.pk}/", body)
    assert attempt.status == (400 if bad else 200), attempt.describe()
    return {ch.stored.video_id}, {ch.stored.date.isoformat()}


def via_admin_add(ch: Channel, *, bad: bool = False):
    video, day = ch.videos[1], ch.days[1]
    fields = {"video": str(video.pk), "date": day.isoformat(), "views": "-5" if bad else "1234"}
    attempt = admin_submit(ch.client, stat_model(), fields)
    assert attempt.refused == bad, attempt.describe()
    return {video.pk}, {day.isoformat()}


def via_admin_change(ch: Channel, *, bad: bool = False):
    fields = {"views": "-5" if bad else "4321"}
    attempt = admin_submit(ch.client, stat_model(), fields, pk=ch.stored.pk)
    assert attempt.refused == bad, attempt.describe()
    return {ch.stored.video_id}, {ch.stored.date.isoformat()}


WAYS = {
    "import_command": via_import_command,
    "import_page": via_import_page,
    "api_bulk": via_api_bulk,
    "api_create": via_api_create,
    "api_update": via_api_update,
    "admin_add": via_admin_add,
    "admin_change": via_admin_change,
}


def _stats(ch: Channel) -> list:
    return list(
        stat_model().objects.filter(video__owner=ch.creator).order_by("video_id", "date").values()
    )


# --- tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize("way", list(WAYS))
def test_one_stats_changed_per_write(channel, way):
    (endpoint,) = endpoints_for(channel.creator, EVENT, 1)
    theirs = endpoints_for(channel.other, EVENT, 1)
    before = _stats(channel)

    with channel.capture(execute=False):
        videos, days = WAYS[way](channel)

    assert _stats(channel) != before, f"{way}: the write changed no statistics"
    rows = list(deliveries(EVENT))
    assert len(rows) == 1, f"{way}: {len(rows)} {EVENT} deliveries for one write"
    (delivery,) = rows
    assert delivery.endpoint_id == endpoint.pk
    assert set(delivery.payload.get("videos", [])) == videos, delivery.payload
    assert set(delivery.payload.get("days", [])) == days, delivery.payload
    assert not deliveries(EVENT).filter(endpoint__in=theirs).exists()


@pytest.mark.parametrize("way", ["import_command", "api_bulk"])
def test_the_same_numbers_again_change_nothing_and_send_nothing(channel, way):
    WAYS[way](channel)
    endpoints_for(channel.creator, EVENT, 1)
    before = _stats(channel)
    WAYS[way](channel)  # the same file / rows once more
    assert _stats(channel) == before
    assert not deliveries(EVENT).exists(), f"{way}: an unchanged write sent {EVENT}"


@pytest.mark.parametrize("way", list(WAYS))
def test_a_refused_write_sends_nothing(channel, way):
    endpoints_for(channel.creator, EVENT, 1)
    before = _stats(channel)
    WAYS[way](channel, bad=True)
    assert _stats(channel) == before, f"{way}: part of a refused write was stored"
    assert not deliveries(EVENT).exists(), f"{way}: a refused write sent {EVENT}"
