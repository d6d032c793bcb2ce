"""Import jobs: an upload stored under MEDIA_ROOT, processed by a Celery worker, with progress
(rows checked / rows in the file) a page can poll and an outcome that stays on the row."""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import OperationalError, transaction
from django.utils import timezone

from core.events import Event, emit
from videos.models import Platform

from .headers import normalize_platform_name, platform_slug_for
from .models import ImportJob
from .results import ImportResult
from .sales import sales_import_file
from .seed_layout import seed_import_file
from .stats import stats_import_file

logger = logging.getLogger(__name__)

ACCEPTED_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx"}
MODE_TO_CUMULATIVE = {
    ImportJob.Mode.AUTO: None,
    ImportJob.Mode.DAILY: False,
    ImportJob.Mode.CUMULATIVE: True,
}


def platform_resolve(value: Platform | str | None) -> Platform | None:
    """A Platform from itself, its slug, its name or a common alias (抖音, B站, ...)."""
    if value is None or value == "" or isinstance(value, Platform):
        return value or None
    platforms = {p.slug: p for p in Platform.objects.all()}
    known = {
        normalize_platform_name(text): p.slug
        for p in platforms.values()
        for text in (p.name, p.slug)
    }
    slug = platform_slug_for(value, known)
    if slug not in platforms:
        names = ", ".join(p.name for p in platforms.values())
        raise ValidationError({"platform": f'unknown platform "{value}" (one of: {names})'})
    return platforms[slug]


def import_job_create(
    *,
    owner,
    kind: str,
    file: File,
    original_filename: str | None = None,
    platform: Platform | str | None = None,
    mode: str = ImportJob.Mode.AUTO,
    dry_run: bool = False,
    enqueue: bool = True,
) -> ImportJob:
    """Store an upload as a pending job and queue it for a worker once the row is committed.

    Refuses at once (ValidationError, by field) what needs no reading: an empty or oversized
    file, a type that is neither CSV nor XLSX, an unknown platform or kind. Everything else is
    the job's to find, so a page answers quickly and shows the result when the worker is done.
    """
    name = Path(original_filename or file.name or "upload.csv").name
    size = file.size or 0
    limit = settings.IMPORT_MAX_FILE_MB * 2**20
    if size == 0:
        raise ValidationError({"file": "the file is empty"})
    if size > limit:
        raise ValidationError(
            {
                "file": f"the file is {size / 2**20:.1f} MB; the limit is "
                f"{settings.IMPORT_MAX_FILE_MB} MB"
            }
        )
    if Path(name).suffix.lower() not in ACCEPTED_SUFFIXES:
        raise ValidationError({"file": "upload a .csv or .xlsx file"})
    if kind == ImportJob.Kind.SALES and platform:
        raise ValidationError({"platform": "a sales list names the platform on each row"})
    job = ImportJob(
        owner=owner,
        kind=kind,
        original_filename=name[:255],
        platform=platform_resolve(platform),
        mode=mode,
        dry_run=dry_run,
    )
    job.full_clean(exclude=["file"])
    job.file.save(name, file, save=False)
    job.save()
    if enqueue:
        transaction.on_commit(partial(_enqueue, job.pk), robust=True)
    return job


def _enqueue(job_id: int) -> None:
    from .tasks import import_job_process

    import_job_process.delay(job_id)


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Process a job; safe to call twice (a finished job is left alone, an interrupted one
    starts over: its writes were one transaction, rolled back with the interruption).

    Database outages (OperationalError) propagate so the task can retry; any other failure
    marks the job failed with the reason and propagates too.
    """
    claimed = (
        ImportJob.objects.filter(pk=job_id)
        .exclude(status__in=ImportJob.FINISHED)
        .update(
            status=ImportJob.Status.VALIDATING,
            started_at=timezone.now(),
            rows_done=0,
            errors=[],
            error_count=0,
        )
    )
    job = ImportJob.objects.select_related("owner", "platform").filter(pk=job_id).first()
    if job is None:
        logger.warning("import job %s no longer exists", job_id)
        return None
    if not claimed:
        logger.info("import job %s already %s", job_id, job.status)
        return job

    def progress(stage: str, done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(status=stage, rows_done=done, rows_total=total)

    try:
        with _local_path(job) as path:
            if job.kind == ImportJob.Kind.SALES:
                result = sales_import_file(
                    owner=job.owner, path=path, dry_run=job.dry_run, progress=progress
                )
            elif job.kind == ImportJob.Kind.COURSES:
                result = seed_import_file(
                    owner=job.owner,
                    path=path,
                    name=job.original_filename,
                    platform=job.platform,
                    dry_run=job.dry_run,
                    progress=progress,
                )
            else:
                result = stats_import_file(
                    owner=job.owner,
                    path=path,
                    platform=job.platform,
                    cumulative=MODE_TO_CUMULATIVE[job.mode],
                    dry_run=job.dry_run,
                    progress=progress,
                )
    except OperationalError:
        raise
    except Exception as exc:
        import_job_fail(job_id=job_id, message=f"the import stopped: {type(exc).__name__}: {exc}")
        raise
    return _finish(job, result)


def _finish(job: ImportJob, result: ImportResult) -> ImportJob:
    job.refresh_from_db(fields=["rows_done"])
    job.status = ImportJob.Status.SUCCEEDED if result.ok else ImportJob.Status.FAILED
    job.detected_mode = result.mode
    job.rows_total = result.rows_total
    if result.ok:
        job.rows_done = result.rows_total
    job.errors = [issue.as_dict() for issue in result.errors]
    job.error_count = result.error_count
    summary = result.as_dict()
    summary.pop("errors")
    summary["summary"] = result.summary()
    job.result = summary
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "status",
            "detected_mode",
            "rows_total",
            "rows_done",
            "errors",
            "error_count",
            "result",
            "finished_at",
            "updated_at",
        ]
    )
    emit(
        Event.IMPORT_FINISHED,
        owner_id=job.owner_id,
        payload={
            "job": job.pk,
            "kind": job.kind,
            "status": job.status,
            "dry_run": job.dry_run,
            "rows_total": job.rows_total,
            "error_count": job.error_count,
            "file": job.original_filename,
        },
    )
    return job


def import_job_fail(*, job_id: int, message: str) -> None:
    """Mark an unfinished job failed (a crash, a time limit, retries exhausted)."""
    ImportJob.objects.filter(pk=job_id).exclude(status__in=ImportJob.FINISHED).update(
        status=ImportJob.Status.FAILED,
        errors=[{"row": None, "column": None, "message": message}],
        error_count=1,
        finished_at=timezone.now(),
    )


@contextmanager
def _local_path(job: ImportJob) -> Iterator[Path]:
    """pandas and openpyxl read paths; a storage without local files gets a temporary copy."""
    try:
        local = Path(job.file.path)
    except NotImplementedError:
        local = None
    if local is not None:
        yield local
        return
    suffix = Path(job.original_filename).suffix
    with tempfile.NamedTemporaryFile(suffix=suffix) as copy, job.file.open("rb") as source:
        shutil.copyfileobj(source, copy)
        copy.flush()
        yield Path(copy.name)


def import_job_import_previewed(*, job: ImportJob) -> ImportJob:
    """Start the real import of a file that was previewed: a new job on the same stored file
    with the same choices. Refused while the preview runs or when it found errors."""
    if not job.dry_run:
        raise ValidationError("this job was already an import, not a preview")
    if job.status != ImportJob.Status.SUCCEEDED:
        raise ValidationError(
            "the preview has not finished cleanly: fix the file and upload it again"
        )
    with job.file.open("rb") as stored:
        return import_job_create(
            owner=job.owner,
            kind=job.kind,
            file=File(stored, name=job.original_filename),
            original_filename=job.original_filename,
            platform=job.platform,
            mode=job.mode,
            dry_run=False,
        )
