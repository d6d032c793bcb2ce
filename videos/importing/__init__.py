"""Data in: platform exports (daily video statistics) and sales lists, as CSV or XLSX.

The public API, for the commands, the Celery task, and the pages and API built on them:

- ``stats_import_file(owner=, path=, platform=None, cumulative=None, dry_run=False)`` and
  ``sales_import_file(owner=, path=, dry_run=False)`` check a whole file and, if it has no
  problem, upsert it in one transaction; both return an ``ImportResult`` (counts, mode, column
  mapping, preview rows, errors by row and column).
- ``import_job_create(...)`` stores an upload as an ``ImportJob`` and queues it;
  ``import_job_run(job_id=)`` processes it (what the worker calls), updating its progress.

The header table to extend for a new export format is ``headers.py``.
"""

from .jobs import import_job_create, import_job_fail, import_job_run, platform_resolve
from .results import ImportIssue, ImportResult
from .sales import sales_import_file
from .stats import stats_import_file

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
