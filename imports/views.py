"""The imports page: upload a platform export or a sales list, preview it (a dry run done by a
worker), import it, and watch the progress. Views parse the form and call the import services."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.htmx import render_page

from .forms import ImportUploadForm
from .models import ImportJob
from .services import import_job_create, import_job_import_previewed, import_job_retry

HISTORY_ROWS = 20


def _history(owner):
    return ImportJob.objects.owned_by(owner).select_related("platform")[:HISTORY_ROWS]


@login_required
def imports_page(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                job = import_job_create(
                    owner=request.user,
                    kind=data["kind"],
                    file=data["file"],
                    original_filename=data["file"].name,
                    platform=data["platform"],
                    mode=data["mode"],
                    dry_run=data["preview_first"],
                    submit_key=data.get("submit_key"),
                )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            return redirect("imports:job", job_id=job.id)
    return render(
        request,
        "imports/page.html",
        {"form": form, "jobs": _history(request.user)},
        status=422 if form.errors else 200,
    )


@login_required
def import_job_page(request, job_id: int):
    job = get_object_or_404(
        ImportJob.objects.owned_by(request.user).select_related("platform"), pk=job_id
    )
    return render_page(
        request, "imports/job.html", "imports/_job.html", {"job": job, "submit_key": uuid.uuid4()}
    )


def _submit_key(request) -> uuid.UUID | None:
    """The form's uuid (see ImportJob.submit_key); a missing or malformed one is ignored."""
    try:
        return uuid.UUID(request.POST.get("submit_key", ""))
    except ValueError:
        return None


@login_required
@require_POST
def import_job_commit(request, job_id: int):
    """Import for real the file a preview was made of."""
    preview = get_object_or_404(ImportJob.objects.owned_by(request.user), pk=job_id)
    try:
        with transaction.atomic():
            job = import_job_import_previewed(job=preview, submit_key=_submit_key(request))
    except ValidationError as error:
        return render(
            request,
            "imports/job.html",
            {"job": preview, "commit_error": error.messages},
            status=422,
        )
    return redirect("imports:job", job_id=job.id)


@login_required
@require_POST
def import_job_again(request, job_id: int):
    """Run again, on the stored file, a job that was cut short (its worker stopped)."""
    stopped = get_object_or_404(ImportJob.objects.owned_by(request.user), pk=job_id)
    try:
        with transaction.atomic():
            job = import_job_retry(job=stopped)
    except ValidationError as error:
        return render(
            request,
            "imports/job.html",
            {"job": stopped, "commit_error": error.messages},
            status=422,
        )
    return redirect("imports:job", job_id=job.id)
