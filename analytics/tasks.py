"""Celery entry points: ids in, a service call, nothing else."""

from __future__ import annotations

import logging

from celery import group, shared_task
from django.contrib.auth import get_user_model
from django.db import DatabaseError, OperationalError

from . import services

logger = logging.getLogger(__name__)


# A recompute retries when the database is briefly away, and is delivered again when its
# worker dies (acks_late): a run is idempotent.
RECOMPUTE_TASK = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 5,
}


@shared_task(**RECOMPUTE_TASK, soft_time_limit=600, time_limit=660)
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


@shared_task(**RECOMPUTE_TASK, soft_time_limit=1200, time_limit=1260)
def recompute_owners_metrics(self, owner_ids: list[int], trigger: str = "task") -> int:
    """One chunk of creators (services.creator_chunks), one transaction. A worker killed
    mid-way commits nothing and the chunk is delivered again (acks_late)."""
    existing = list(get_user_model().objects.filter(pk__in=owner_ids).values_list("pk", flat=True))
    runs = services.metrics_recompute_owners(owner_ids=sorted(existing), trigger=trigger)
    return len(runs)


def _fan_out(owner_ids: list[int], trigger: str) -> int:
    chunks = services.creator_chunks(owner_ids)
    if chunks:
        group(recompute_owners_metrics.s(chunk, trigger) for chunk in chunks).apply_async()
    return len(owner_ids)


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def recompute_all_metrics() -> int:
    """The hourly entry: the stale creators only (services.creator_ids_stale), in chunks,
    one subtask per chunk so more workers go faster. Returns the creators sent."""
    return _fan_out(services.creator_ids_stale(), "schedule")


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def recompute_full_metrics() -> int:
    """The nightly entry: every creator, in chunks."""
    return _fan_out(services.creator_ids_to_recompute(), "nightly")
