from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin import OwnedModelAdmin

from .models import ImportJob
from .results import ImportIssue


@admin.register(ImportJob)
class ImportJobAdmin(OwnedModelAdmin):
    """Results only: jobs are created by the import page, the API or the commands, and their
    outcome is what the worker found, so nothing here is editable."""

    list_display = (
        "created_at",
        "original_filename",
        "kind",
        "platform",
        "status",
        "progress",
        "dry_run",
        "error_count",
    )
    list_filter = ("status", "kind", "dry_run")
    search_fields = ("original_filename",)
    list_select_related = ("platform",)
    date_hierarchy = "created_at"
    fields = (
        "original_filename",
        "kind",
        "platform",
        "mode",
        "detected_mode",
        "dry_run",
        "status",
        "progress",
        "started_at",
        "finished_at",
        "summary",
        "error_list",
        "file",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("rows checked"))
    def progress(self, job: ImportJob) -> str:
        return f"{job.rows_done:,} / {job.rows_total:,}"

    @admin.display(description=_("result"))
    def summary(self, job: ImportJob) -> str:
        return job.result.get("summary", "")

    @admin.display(description=_("errors"))
    def error_list(self, job: ImportJob) -> str:
        if not job.errors:
            return "—"
        items = format_html_join(
            "",
            "<li>{}</li>",
            ((str(ImportIssue(e.get("row"), e.get("column"), e["message"])),) for e in job.errors),
        )
        more = job.error_count - len(job.errors)
        tail = format_html("<li>… and {} more</li>", more) if more > 0 else ""
        return format_html("<ul>{}{}</ul>", items, tail)
