"""Recompute runs: one at a time per creator, recorded, safe to repeat."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import engine
from .models import RecomputeRun

logger = logging.getLogger(__name__)

# A run still "running" after this long belongs to a dead worker; its lock may be taken over.
STALE_AFTER = timedelta(minutes=15)


def recompute_run_start(*, owner_id: int, trigger: str) -> RecomputeRun | None:
    """Take the creator's recompute lock: a running RecomputeRun row, unique per owner in the
    database, so two workers on any database never run the same creator at once.
    Returns None when another live run holds it."""
    now = timezone.now()
    RecomputeRun.objects.filter(
        owner_id=owner_id, status=RecomputeRun.Status.RUNNING, started_at__lt=now - STALE_AFTER
    ).update(status=RecomputeRun.Status.FAILED, finished_at=now, error="worker lost (stale lock)")
    try:
        with transaction.atomic():
            return RecomputeRun.objects.create(owner_id=owner_id, trigger=trigger, started_at=now)
    except IntegrityError:
        return None


def recompute_run_finish(*, run: RecomputeRun, rows_written: int = 0, error: str = "") -> None:
    run.status = RecomputeRun.Status.FAILED if error else RecomputeRun.Status.SUCCEEDED
    run.rows_written = rows_written
    run.error = error
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "rows_written", "error", "finished_at"])


def metrics_recompute_owner(*, owner_id: int, trigger: str = "manual") -> RecomputeRun | None:
    """Recompute every stored figure of one creator. None if a run is already in progress."""
    run = recompute_run_start(owner_id=owner_id, trigger=trigger)
    if run is None:
        logger.info("recompute for owner %s skipped: another run holds the lock", owner_id)
        return None
    try:
        rows = engine.engagement_recompute(owner_ids=[owner_id])
    except Exception as exc:
        recompute_run_finish(run=run, error=f"{type(exc).__name__}: {exc}")
        raise
    recompute_run_finish(run=run, rows_written=rows)
    return run


def creator_ids_with_videos() -> list[int]:
    return list(
        get_user_model()
        .objects.filter(videos__isnull=False)
        .distinct()
        .values_list("id", flat=True)
    )
