"""Writes for the videos app. Imports live in the ``videos.importing`` package; these are its
entry points, so callers can follow the project's ``<app>.services`` convention."""

from __future__ import annotations

from .importing import (
    ImportIssue,
    ImportResult,
    import_job_create,
    import_job_fail,
    import_job_run,
    platform_resolve,
    sales_import_file,
    stats_import_file,
)

__all__ = [
    "ImportIssue",
    "ImportResult",
    "import_job_create",
    "import_job_fail",
    "import_job_run",
    "platform_resolve",
    "sales_import_file",
    "stats_import_file",
]
