"""Celery entry points of core: the job reaper's periodic tick."""

from __future__ import annotations

from celery import shared_task

from . import jobs


@shared_task(acks_late=True, soft_time_limit=120, time_limit=150)
def jobs_reap() -> dict[str, int]:
    """Settle the jobs whose worker died (see core.jobs); scheduled by core migration 0001."""
    return jobs.jobs_reap()
