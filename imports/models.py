"""Import jobs: one uploaded file's way in, its progress and its outcome."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import OwnedQuerySet, TimestampedModel
from core.uploads import import_upload_to


class ImportJob(TimestampedModel):
    """One uploaded file's way into CourseReel: what was asked, how far it got, what went wrong.

    The page polls ``rows_done``/``rows_total`` while a worker processes it; the outcome and
    errors stay on the row afterwards.
    """

    class Kind(models.TextChoices):
        STATS = "stats", _("Daily video statistics")
        SALES = "sales", _("Sales list")
        COURSES = "courses", _("Courses and their videos (courses.csv layout)")

    class Mode(models.TextChoices):
        AUTO = "auto", _("Detect")
        DAILY = "daily", _("Daily numbers")
        CUMULATIVE = "cumulative", _("Running totals")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        VALIDATING = "validating", _("Validating")
        RUNNING = "running", _("Writing")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    FINISHED = (Status.SUCCEEDED, Status.FAILED)
    ACTIVE = (Status.VALIDATING, Status.RUNNING)

    # Why a job stopped without its file being at fault, by the code kept on its one error;
    # shown in the reader's language, and the page offers to import the same file again.
    STOP_REASONS = {
        "worker_lost": _("The worker stopped while importing; nothing was written — import again."),
        "never_started": _("No worker picked up the import; nothing was written — import again."),
        "out_of_memory": _(
            "Reading the file took more memory than the worker has; nothing was written — "
            "split the file or save it as CSV, then import again."
        ),
        "time_limit": _(
            "The import took longer than the time limit; nothing was written — split the file "
            "and import again."
        ),
        "database_unavailable": _(
            "The database was unavailable; nothing was written — import again."
        ),
    }
    OWNER_PATH = "owner"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind, default=Kind.STATS)
    original_filename = models.CharField(_("original file name"), max_length=255)
    file = models.FileField(_("stored file"), upload_to=import_upload_to, max_length=400)
    platform = models.ForeignKey(
        "videos.Platform",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: taken from the file's platform column or its headers."),
    )
    mode = models.CharField(_("requested mode"), max_length=12, choices=Mode, default=Mode.AUTO)
    detected_mode = models.CharField(
        _("mode used"),
        max_length=12,
        choices=Mode,
        blank=True,
        help_text=_("Daily or running totals, as detected or forced."),
    )
    dry_run = models.BooleanField(
        _("dry run"), default=False, help_text=_("Check and preview only; write nothing.")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status, default=Status.PENDING, db_index=True
    )
    rows_total = models.PositiveIntegerField(_("rows in the file"), default=0)
    rows_done = models.PositiveIntegerField(_("rows checked"), default=0)
    errors = models.JSONField(
        _("errors"), default=list, blank=True, help_text=_("[{row, column, message}, ...]")
    )
    error_count = models.PositiveIntegerField(
        _("error count"), default=0, help_text=_("All errors found, including those not listed.")
    )
    result = models.JSONField(
        _("result"),
        default=dict,
        blank=True,
        help_text=_("Counts, column mapping and preview rows of the finished import."),
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # For the reaper (core.jobs): when the job was last sent to the broker and how often, and
    # the last sign of life of the worker running it.
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    queue_attempts = models.PositiveSmallIntegerField(_("times queued"), default=0)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    worker = models.CharField(
        _("worker"), max_length=200, blank=True, help_text=_("Host and process running it.")
    )

    # From the form that asked for the job (a uuid rendered into it): the same form sent
    # twice — a double click, a resent request — finds this job instead of making another.
    submit_key = models.UUIDField(_("submit key"), null=True, blank=True, editable=False)
    # The language of the page that asked for the job: the worker writes the file's problems,
    # the mode's reason and the notes in it (blank: the site's language).
    language = models.CharField(_("language"), max_length=10, blank=True, editable=False)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        # The table keeps the name it had when import jobs lived in the videos app.
        db_table = "videos_importjob"
        ordering = ["-created_at"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        indexes = [models.Index(fields=["owner", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "submit_key"], name="importjob_one_job_per_submit_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.original_filename} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def stop_code(self) -> str:
        """The code of an interruption (a STOP_REASONS key), or "" when the job was not cut
        short or the file itself had problems."""
        if self.status != self.Status.FAILED or len(self.errors) != 1:
            return ""
        code = self.errors[0].get("code", "")
        return code if code in self.STOP_REASONS else ""

    @property
    def error_rows(self) -> list[dict]:
        """The errors to show: an interruption's reason in the reader's language."""
        code = self.stop_code
        if code:
            return [{**self.errors[0], "message": str(self.STOP_REASONS[code])}]
        return self.errors

    @property
    def progress_percent(self) -> int:
        """For the progress bar; a finished job is 100 whatever its counts."""
        if self.is_finished:
            return 100
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)
