"""Entry points: ids in, the service does the work."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.cache import cache

from .models import SalesConnection
from .services import connection_poll
from .xiaoe import XiaoeError

logger = logging.getLogger(__name__)
LOCK_SECONDS = 600


@shared_task(ignore_result=True, soft_time_limit=540, time_limit=600)
def sales_connections_poll() -> int:
    """Beat: one poll task per pull connection (fan out)."""
    ids = list(
        SalesConnection.objects.filter(kind=SalesConnection.Kind.XIAOE)
        .exclude(status=SalesConnection.Status.PAUSED)
        .values_list("pk", flat=True)
    )
    for pk in ids:
        sales_connection_poll.delay(pk)
    return len(ids)


@shared_task(ignore_result=True, soft_time_limit=540, time_limit=600, acks_late=True)
def sales_connection_poll(connection_id: int) -> dict | None:
    """Poll one connection; a lock keeps two polls of it from overlapping."""
    lock = f"sales-poll-lock:{connection_id}"
    if not cache.add(lock, 1, timeout=LOCK_SECONDS):
        logger.info("sales connection %s is already being polled", connection_id)
        return None
    try:
        connection = SalesConnection.objects.filter(pk=connection_id).first()
        if connection is None:
            logger.info("sales connection %s is gone", connection_id)
            return None
        try:
            return connection_poll(connection=connection)
        except XiaoeError as error:
            logger.warning("sales connection %s: %s", connection_id, error)
            return None
    finally:
        cache.delete(lock)
