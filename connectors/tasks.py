"""Entry points: ids in, the service does the work."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.cache import cache

from .models import SalesConnection
from .services import connection_poll_guarded
from .xiaoe import XiaoeError

logger = logging.getLogger(__name__)


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
    """Poll one connection. The claim on its row keeps two polls from overlapping on any
    number of workers; a worker killed mid-way leaves a stale heartbeat that the reaper (or the
    next poll) settles, never a connection stuck polling."""
    connection = SalesConnection.objects.filter(pk=connection_id).first()
    if connection is None:
        logger.info("sales connection %s is gone", connection_id)
        return None
    try:
        counts = connection_poll_guarded(connection=connection)
    except XiaoeError as error:
        logger.warning("sales connection %s: %s", connection_id, error)
        return None
    if counts is None:
        logger.info("sales connection %s is already being polled", connection_id)
    return counts


# --- platform connections --------------------------------------------------------------------

PLATFORM_LOCK_SECONDS = 900


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=180)
def platform_connections_sync_due() -> int:
    """Beat: one sync task per connection whose next run has come (fan out), so one creator's
    slow or failing platform never delays another's."""
    from .platform_services import platform_connections_due

    ids = platform_connections_due()
    for pk in ids:
        platform_connection_sync.delay(pk)
    return len(ids)


@shared_task(
    bind=True,
    ignore_result=True,
    soft_time_limit=840,
    time_limit=900,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=3,
)
def platform_connection_sync(self, connection_id: int, force: bool = False) -> dict | None:
    """Sync one connection; a lock keeps two syncs of it from overlapping. A temporary refusal
    (rate limit, 5xx, timeout) is retried with backoff; a revoked authorisation is not, nor a
    refusal that names its own moment (``retry_at``: the next run is planned then). The sync
    stops by itself within ``PLATFORM_SYNC_MAX_SECONDS`` (below the soft time limit); should
    the time limit strike anyway, the service records how far it got and plans a run soon."""
    from .models import PlatformConnection
    from .platform_services import platform_connection_sync as sync
    from .platforms import PlatformError

    lock = f"platform-sync-lock:{connection_id}"
    if not cache.add(lock, 1, timeout=PLATFORM_LOCK_SECONDS):
        logger.info("platform connection %s is already syncing", connection_id)
        return None
    try:
        connection = (
            PlatformConnection.objects.select_related("platform").filter(pk=connection_id).first()
        )
        if connection is None:
            logger.info("platform connection %s is gone", connection_id)
            return None
        if connection.status == PlatformConnection.Status.PAUSED and not force:
            return None
        try:
            return sync(connection=connection, force=force).as_dict()
        except PlatformError as error:
            logger.warning("platform connection %s: %s", connection_id, error)
            # a refusal that says when the platform answers again (YouTube's daily quota)
            # waits for that moment, which the connection's next run already is
            retry = (
                error.retry
                and getattr(error, "retry_at", None) is None
                and self.request.retries < self.max_retries
            )
    finally:
        cache.delete(lock)
    if retry:
        raise self.retry(countdown=60 * 2**self.request.retries)
    return None
