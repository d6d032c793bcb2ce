"""Uploads and submits: odd or long file names are stored under safe short names, and the
same import form sent twice (a double click, two requests at once) makes one job."""

from __future__ import annotations

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from core.uploads import safe_filename
from imports.models import ImportJob
from imports.services import import_job_run
from tests.factories import platform
from tests.imports.test_import_page import GOOD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a" * 300 + ".csv", "a" * 60 + ".csv"),
        ("../../etc/passwd.csv", "passwd.csv"),
        ("C:\\Users\\me\\数据.csv", "数据.csv"),
        ("x\x00y\n\x1b.XLSX", "xy.xlsx"),
        ("抖音数据" * 80 + ".xlsx", "抖音数据" * 15 + ".xlsx"),
        ("...", "upload"),
        ("re\u0301sume\u0301.csv", "résumé.csv"),  # NFC
        ('a<b>:"c|d?*.csv', "a_b_c_d.csv"),
    ],
)
def test_safe_filename_keeps_the_extension_and_fits_any_filesystem(name, expected):
    safe = safe_filename(name)
    assert safe == expected
    assert len(safe.encode()) <= 250 and "/" not in safe and "\x00" not in safe


def _upload(client, *, name="export.csv", key=None, preview=True):
    data = {
        "kind": "stats",
        "mode": "auto",
        "platform": platform("douyin").id,
        "file": SimpleUploadedFile(name, GOOD, content_type="text/csv"),
    }
    if preview:
        data["preview_first"] = "on"
    if key:
        data["submit_key"] = key
    return client.post("/imports/", data)


@pytest.mark.parametrize("name", ["数" * 300 + ".csv", "x" * 300 + ".csv", "a/b\\c\x01.csv"])
def test_a_long_or_odd_upload_name_is_stored_not_a_500(creator_client, creator, name):
    response = _upload(creator_client, name=name)
    assert response.status_code == 302
    job = ImportJob.objects.get(owner=creator)
    stored = job.file.name.rsplit("/", 1)[-1]
    assert stored.endswith(".csv") and len(stored.encode()) < 255
    assert job.file.storage.exists(job.file.name)
    import_job_run(job_id=job.id)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED, job.errors


def test_the_upload_form_sent_twice_makes_one_preview(creator_client, creator):
    page = creator_client.get("/imports/")
    key = str(page.context["form"]["submit_key"].value())
    assert f'name="submit_key" value="{key}"' in page.content.decode()
    first = _upload(creator_client, key=key)
    second = _upload(creator_client, key=key)
    job = ImportJob.objects.get(owner=creator)
    assert first.url == second.url == f"/imports/{job.id}/"
    assert ImportJob.objects.count() == 1
    _upload(creator_client, key=None)  # an old form without a key still works
    assert ImportJob.objects.count() == 2


def _finished_preview(client, creator) -> ImportJob:
    _upload(client)
    preview = ImportJob.objects.get(owner=creator)
    import_job_run(job_id=preview.id)
    return preview


def test_import_this_file_clicked_twice_is_one_job(creator_client, creator):
    preview = _finished_preview(creator_client, creator)
    page = creator_client.get(f"/imports/{preview.id}/").content.decode()
    key = page.split('name="submit_key" value="', 1)[1].split('"', 1)[0]
    first = creator_client.post(f"/imports/{preview.id}/import/", {"submit_key": key})
    second = creator_client.post(f"/imports/{preview.id}/import/", {"submit_key": key})
    real = ImportJob.objects.exclude(pk=preview.pk).get()
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == f"/imports/{real.id}/"
    other_key = creator_client.post(
        f"/imports/{preview.id}/import/", {"submit_key": "5f0c6a8e-0000-4000-8000-000000000000"}
    )
    assert other_key.status_code == 302  # another form is another import
    assert ImportJob.objects.filter(dry_run=False).count() == 2


def test_another_creators_key_does_not_reach_my_job(creator_client, creator, other_creator):
    preview = _finished_preview(creator_client, creator)
    key = "6a1c6a8e-0000-4000-8000-000000000001"
    creator_client.post(f"/imports/{preview.id}/import/", {"submit_key": key})
    creator_client.force_login(other_creator)
    response = creator_client.post(f"/imports/{preview.id}/import/", {"submit_key": key})
    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_confirms_at_once_give_one_job_and_no_500(client, django_user_model):
    """Two threads, two connections, one key: the database's unique constraint decides; the
    loser finds the winner's job (SQLite queues writers: no "database is locked")."""
    user = django_user_model.objects.create_user("racer", password="pw-racer-1")
    client.force_login(user)
    preview = _finished_preview(client, user)
    key = "7b1c6a8e-0000-4000-8000-000000000002"
    barrier = threading.Barrier(2)
    answers: list[int | str] = []

    def confirm() -> None:
        from django.test import Client

        mine = Client()
        mine.force_login(user)
        barrier.wait()
        try:
            response = mine.post(f"/imports/{preview.id}/import/", {"submit_key": key})
            answers.append(response.status_code)
        except Exception as exc:
            answers.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert answers == [302, 302]
    assert ImportJob.objects.filter(owner=user, dry_run=False).count() == 1
