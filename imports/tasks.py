"""Celery entry points for the videos app: ids in, a service call, nothing else."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError

from . import services

logger = logging.getLogger(__name__)

SOFT_TIME_LIMIT = 1800  # a million-row XLSX takes minutes; a CSV of that size, well under one


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=3,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=SOFT_TIME_LIMIT + 60,
)
def import_job_process(self, job_id: int) -> str | None:
    """Check and write one uploaded file. Safe to run twice: a finished job is left alone and
    an interrupted one starts over (its writes were a single rolled-back transaction)."""
    try:
        job = services.import_job_run(job_id=job_id)
    except SoftTimeLimitExceeded:
        services.import_job_fail(
            job_id=job_id,
            message=f"the import took longer than {SOFT_TIME_LIMIT} s; nothing was written",
        )
        return None
    except OperationalError:
        if self.request.retries >= self.max_retries:
            services.import_job_fail(
                job_id=job_id, message="the database was unavailable; nothing was written"
            )
        raise
    return job.status if job else None
