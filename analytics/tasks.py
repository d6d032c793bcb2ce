"""Celery entry points: ids in, a service call, nothing else."""

from __future__ import annotations

import logging

from celery import group, shared_task
from django.contrib.auth import get_user_model
from django.db import DatabaseError, OperationalError

from . import services

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
    soft_time_limit=600,
    time_limit=660,
)
def recompute_owner_metrics(self, owner_id: int, trigger: str = "task") -> int | None:
    if not get_user_model().objects.filter(pk=owner_id).exists():
        logger.warning("recompute: owner %s no longer exists", owner_id)
        return None
    try:
        run = services.metrics_recompute_owner(owner_id=owner_id, trigger=trigger)
    except DatabaseError:
        logger.exception("recompute for owner %s failed", owner_id)
        raise
    return run.rows_written if run else None


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def recompute_all_metrics() -> int:
    """The periodic entry: fan out one subtask per creator so more workers go faster."""
    owner_ids = services.creator_ids_to_recompute()
    if owner_ids:
        group(
            recompute_owner_metrics.s(owner_id, "schedule") for owner_id in owner_ids
        ).apply_async()
    return len(owner_ids)
