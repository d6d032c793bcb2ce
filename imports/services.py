"""Import jobs: an upload stored under MEDIA_ROOT, processed by a Celery worker, with progress
(rows checked / rows in the file) a page can poll and an outcome that stays on the row."""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import DatabaseError, IntegrityError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import jobs
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
        raise ValidationError(
            {
                "platform": _('unknown platform "%(name)s" (one of: %(known)s)')
                % {"name": value, "known": names}
            }
        )
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
    submit_key: uuid.UUID | str | None = None,
) -> ImportJob:
    """Store an upload as a pending job and queue it for a worker once the row is committed.

    Refuses at once (ValidationError, by field) what needs no reading: an empty or oversized
    file, a type that is neither CSV nor XLSX, an unknown platform or kind. Everything else is
    the job's to find, so a page answers quickly and shows the result when the worker is done.

    With a ``submit_key`` (from the form), a second submit of the same form returns the job
    the first one made, also when both arrive at once.
    """
    if submit_key and (existing := _submitted(owner, submit_key)):
        return existing
    name = Path(original_filename or file.name or "upload.csv").name
    size = file.size or 0
    limit = settings.IMPORT_MAX_FILE_MB * 2**20
    if size == 0:
        raise ValidationError({"file": _("the file is empty")})
    if size > limit:
        raise ValidationError(
            {
                "file": _("the file is %(size)s MB; the limit is %(limit)s MB")
                % {"size": f"{size / 2**20:.1f}", "limit": settings.IMPORT_MAX_FILE_MB}
            }
        )
    if Path(name).suffix.lower() not in ACCEPTED_SUFFIXES:
        raise ValidationError({"file": _("upload a .csv or .xlsx file")})
    if kind == ImportJob.Kind.SALES and platform:
        raise ValidationError({"platform": _("a sales list names the platform on each row")})
    job = ImportJob(
        owner=owner,
        kind=kind,
        original_filename=name[:255],
        platform=platform_resolve(platform),
        mode=mode,
        dry_run=dry_run,
        language=(translation.get_language() or "")[:10],
    )
    if enqueue:
        # Set before the message is sent: one that never reaches the broker is resent too.
        job.queued_at, job.queue_attempts = timezone.now(), 1
    job.submit_key = submit_key or None
    job.full_clean(exclude=["file", "submit_key"])
    job.file.save(name, file, save=False)
    try:
        with transaction.atomic():
            job.save()
    except IntegrityError:
        job.file.delete(save=False)  # the other submit's job has its own copy
        if submit_key and (existing := _submitted(owner, submit_key)):
            return existing
        raise
    if enqueue:
        transaction.on_commit(partial(_enqueue, job.pk), robust=True)
    return job


def _submitted(owner, submit_key) -> ImportJob | None:
    return ImportJob.objects.filter(owner=owner, submit_key=submit_key).first()


def _enqueue(job_id: int) -> None:
    from .tasks import import_job_process

    import_job_process.delay(job_id)


def _dead(now) -> Q:
    """An unfinished job's worker is dead: no heartbeat for JOB_STALE_SECONDS (a job from
    before heartbeats: created that long ago)."""
    stale = jobs.stale_before(now)
    return Q(status__in=ImportJob.ACTIVE) & (
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, created_at__lt=stale)
    )


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Process a job in the language of the page that asked for it (see ``_run``)."""
    language = ImportJob.objects.filter(pk=job_id).values_list("language", flat=True).first()
    with translation.override(language or settings.LANGUAGE_CODE):
        return _run(job_id=job_id)


def _run(*, job_id: int) -> ImportJob | None:
    """Process a job; safe to deliver twice. A pending job is claimed by one worker (one
    conditional UPDATE); a finished job, or one whose worker still beats, is left alone; one
    whose worker died starts over: its writes were one transaction, rolled back with it.

    Database outages (OperationalError) propagate so the task can retry; any other failure
    marks the job failed with the reason and propagates too.
    """
    now = timezone.now()
    me = jobs.worker_name()
    claimed = (
        ImportJob.objects.filter(pk=job_id)
        .filter(Q(status=ImportJob.Status.PENDING) | _dead(now))
        .update(
            status=ImportJob.Status.VALIDATING,
            started_at=now,
            heartbeat_at=now,
            worker=me,
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
        logger.info("import job %s already %s (%s)", job_id, job.status, job.worker or "-")
        return job

    def progress(stage: str, done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(
            status=stage, rows_done=done, rows_total=total, heartbeat_at=timezone.now()
        )
        if settings.IMPORT_TEST_PAUSE_SECONDS and stage == ImportJob.Status.VALIDATING:
            time.sleep(settings.IMPORT_TEST_PAUSE_SECONDS)  # fault injection, tests only
        if settings.IMPORT_TEST_RAISE == "MemoryError":
            raise MemoryError  # fault injection, tests only

    def beat() -> int:
        return ImportJob.objects.filter(pk=job_id, worker=me, status__in=ImportJob.ACTIVE).update(
            heartbeat_at=timezone.now()
        )

    finished: list[ImportJob] = []

    def written(result: ImportResult) -> None:
        # Inside the write's transaction: the rows and "succeeded" commit together, so a job
        # still unfinished after its worker died has written nothing.
        finished.append(_finish(job, result))

    try:
        with jobs.heartbeat(beat), _local_path(job) as path:
            if job.kind == ImportJob.Kind.SALES:
                result = sales_import_file(
                    owner=job.owner,
                    path=path,
                    dry_run=job.dry_run,
                    progress=progress,
                    on_write=written,
                )
            elif job.kind == ImportJob.Kind.COURSES:
                result = seed_import_file(
                    owner=job.owner,
                    path=path,
                    name=job.original_filename,
                    platform=job.platform,
                    dry_run=job.dry_run,
                    progress=progress,
                    on_write=written,
                )
            else:
                result = stats_import_file(
                    owner=job.owner,
                    path=path,
                    platform=job.platform,
                    cumulative=MODE_TO_CUMULATIVE[job.mode],
                    dry_run=job.dry_run,
                    progress=progress,
                    on_write=written,
                )
    except OperationalError:
        _release(job_id, me)
        raise
    except MemoryError:
        # Caught here, never re-raised: Celery lets a MemoryError kill the worker process.
        logger.warning("import job %s: out of memory; marked failed", job_id)
        return _stopped(job_id, "out_of_memory")
    except SoftTimeLimitExceeded:
        logger.warning("import job %s: soft time limit reached; marked failed", job_id)
        return _stopped(job_id, "time_limit")
    except Exception as exc:
        import_job_fail(
            job_id=job_id,
            message=_("the import stopped: %(kind)s: %(error)s")
            % {"kind": type(exc).__name__, "error": exc},
        )
        raise
    return finished[0] if finished else _finish(job, result)


def import_job_stop(*, job_id: int, code: str) -> None:
    """Fail an unfinished job for a STOP_REASONS reason (not the file's fault)."""
    import_job_fail(job_id=job_id, message=_stop_reason(code), code=code)


def _stopped(job_id: int, code: str) -> ImportJob | None:
    import_job_stop(job_id=job_id, code=code)
    return ImportJob.objects.filter(pk=job_id).first()


def _release(job_id: int, me: str) -> None:
    """Hand the claim back so the task's retry can take the job at once. With the database
    still away this fails too; the job is then taken as dead once its heartbeat is stale."""
    try:
        ImportJob.objects.filter(pk=job_id, worker=me, status__in=ImportJob.ACTIVE).update(
            status=ImportJob.Status.PENDING, heartbeat_at=None
        )
    except DatabaseError:
        logger.warning("import job %s: claim not released (database unavailable)", job_id)


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


def import_job_fail(*, job_id: int, message: str, code: str = "") -> None:
    """Mark an unfinished job failed (a crash, a time limit, retries exhausted)."""
    _fail(ImportJob.objects.filter(pk=job_id), message=message, code=code)


def _stop_reason(code: str) -> str:
    """An interruption's reason as stored: in the site's language, whoever's request or task is
    active. Pages show it in the reader's language from its code (ImportJob.shown_errors)."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(ImportJob.STOP_REASONS[code])


def _fail(jobs_to_fail, *, message: str, code: str = "") -> int:
    error = {"row": None, "column": None, "message": message}
    if code:
        error["code"] = code
    return jobs_to_fail.exclude(status__in=ImportJob.FINISHED).update(
        status=ImportJob.Status.FAILED,
        errors=[error],
        error_count=1,
        finished_at=timezone.now(),
    )


@jobs.reaper("import jobs")
def import_jobs_reap() -> int:
    """Settle the jobs no worker will finish (run by core.tasks.jobs_reap).

    - Running with a stale heartbeat: the worker died (kill -9, a lost machine). Nothing was
      written — the rows and the job's "succeeded" commit in one transaction — so the job
      fails saying so, and its page offers to import the same file again.
    - Queued IMPORT_QUEUED_LOST_SECONDS ago and never started: the message was lost (a
      worker that had reserved it died). Sent again, up to IMPORT_QUEUE_ATTEMPTS in all, then
      failed. Sending twice is safe: only one delivery claims a pending job.

    Each job is settled by one conditional UPDATE, so a job that beats or starts in between
    is left alone. Returns how many jobs were settled.
    """
    now = timezone.now()
    dead = ImportJob.objects.filter(_dead(now))
    ids = [
        job_id
        for job_id, worker in dead.values_list("pk", "worker")[:500]
        if jobs.may_be_dead(worker)
    ]
    failed = _fail(
        dead.filter(pk__in=ids),
        message=_stop_reason("worker_lost"),
        code="worker_lost",
    )
    if failed:
        logger.warning("import jobs %s: the worker stopped; marked failed", ids)

    lost_before = now - timedelta(seconds=settings.IMPORT_QUEUED_LOST_SECONDS)
    lost = ImportJob.objects.filter(status=ImportJob.Status.PENDING, queued_at__lt=lost_before)
    settled = failed
    for job_id, queued_at, attempts in lost.values_list("pk", "queued_at", "queue_attempts")[:500]:
        unchanged = lost.filter(pk=job_id, queued_at=queued_at)
        if attempts >= settings.IMPORT_QUEUE_ATTEMPTS:
            if _fail(
                unchanged,
                message=_stop_reason("never_started"),
                code="never_started",
            ):
                logger.warning("import job %s: never started after %s sends", job_id, attempts)
                settled += 1
            continue
        if unchanged.update(queued_at=now, queue_attempts=F("queue_attempts") + 1):
            settled += 1
            try:
                _enqueue(job_id)
            except Exception:
                # Stays pending with the new time: tried again once that is old too.
                logger.exception("could not queue import job %s again", job_id)
            else:
                logger.warning("import job %s: queued again (never started)", job_id)
    return settled


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


def import_job_import_previewed(*, job: ImportJob, submit_key=None) -> ImportJob:
    """Start the real import of a file that was previewed: a new job on the same stored file
    with the same choices. Refused while the preview runs or when it found errors."""
    if not job.dry_run:
        raise ValidationError(_("this job was already an import, not a preview"))
    if job.status != ImportJob.Status.SUCCEEDED:
        raise ValidationError(
            _("the preview has not finished cleanly: fix the file and upload it again")
        )
    return _job_again(job, dry_run=False, submit_key=submit_key)


def import_job_retry(*, job: ImportJob) -> ImportJob:
    """Run again a job that was cut short (its worker died, or none started it): a new job on
    the same stored file with the same choices; the stopped one stays as it ended, so a late
    delivery of its message finds it finished and does nothing."""
    if not job.stop_code:
        raise ValidationError(
            _("only an import that was cut short can run again: upload the file again")
        )
    return _job_again(job, dry_run=job.dry_run)


def _job_again(job: ImportJob, *, dry_run: bool, submit_key=None) -> ImportJob:
    if submit_key and (existing := _submitted(job.owner, submit_key)):
        return existing
    try:
        stored = job.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise ValidationError({"file": _("the stored file is gone: upload it again")}) from exc
    with stored:
        return import_job_create(
            owner=job.owner,
            kind=job.kind,
            file=File(stored, name=job.original_filename),
            original_filename=job.original_filename,
            platform=job.platform,
            mode=job.mode,
            dry_run=dry_run,
            submit_key=submit_key,
        )
