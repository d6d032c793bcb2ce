"""Celery entry points for the videos app: ids in, a service call, nothing else."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import OperationalError

from . import services

logger = logging.getLogger(__name__)

# A million-row XLSX takes minutes; a CSV of that size, well under one.
SOFT_TIME_LIMIT = settings.CELERY_TASK_SOFT_TIME_LIMIT


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=3,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
)
def import_job_process(self, job_id: int) -> str | None:
    """Check and write one uploaded file. Safe to run twice: a finished job is left alone and
    an interrupted one starts over (its writes were a single rolled-back transaction)."""
    try:
        job = services.import_job_run(job_id=job_id)
    except (SoftTimeLimitExceeded, MemoryError) as exc:
        # Past the service (e.g. while it was failing the job): still one job, not the worker.
        code = "time_limit" if isinstance(exc, SoftTimeLimitExceeded) else "out_of_memory"
        services.import_job_stop(job_id=job_id, code=code)
        return None
    except OperationalError:
        if self.request.retries >= self.max_retries:
            services.import_job_stop(job_id=job_id, code="database_unavailable")
        raise
    return job.status if job else None
