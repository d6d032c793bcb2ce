"""Recompute runs: one at a time per creator, all-or-nothing, recorded, safe to repeat.

The lock has two layers. On PostgreSQL the run holds a session advisory lock keyed by the
creator: the database releases it the moment the holding connection dies, so a killed worker
never leaves the creator locked, and a "running" row found while holding the lock is known to
be dead. Everywhere, at most one "running" RecomputeRun per creator is allowed by a unique
constraint; without advisory locks (SQLite, one machine) a running row is taken to be dead once
its heartbeat is older than JOB_STALE_SECONDS and its worker process is gone (core.jobs).
A run's heartbeat is written by a thread while it runs; the reaper (``recompute_reap``) fails a
run whose worker died and queues the creator's recompute again through the one enqueue.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone

from core import jobs
from core.events import Event, emit
from courses.models import Discount
from courses.selectors import course_get
from tracking.models import LinkClick
from videos.models import Video

from . import engine
from .models import ExcludedDay, RecomputeRun, RecomputeState

logger = logging.getLogger(__name__)

# A running run from before heartbeats was taken as dead this long after its start.
STALE_AFTER = timedelta(minutes=15)
ADVISORY_NAMESPACE = 0x5EC0  # first key of pg_try_advisory_lock(int, int): "recompute"


@contextmanager
def owner_lock(owner_id: int) -> Iterator[bool]:
    """Yield True when this process may recompute the creator; never blocks."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [ADVISORY_NAMESPACE, owner_id])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_NAMESPACE, owner_id])


def recompute_run_start(
    *, owner_id: int, trigger: str, lock_held: bool = False
) -> RecomputeRun | None:
    """Record a running run, or None when a live run of the creator exists."""
    now = timezone.now()
    running = RecomputeRun.objects.filter(owner_id=owner_id, status=RecomputeRun.Status.RUNNING)
    if not lock_held:
        # Look before writing: on SQLite a write would wait for the live run's transaction.
        dead = running.filter(_dead(now))
        if running.exclude(pk__in=dead.values("pk")).exists():
            return None
        if not all(jobs.may_be_dead(worker) for worker in dead.values_list("worker", flat=True)):
            return None
        running = dead
    running.update(status=RecomputeRun.Status.FAILED, finished_at=now, error="worker lost")
    if (
        not lock_held
        and RecomputeRun.objects.filter(
            owner_id=owner_id, status=RecomputeRun.Status.SUCCEEDED, finished_at__gte=now
        ).exists()
    ):
        # Another run recorded itself just after we looked, and that write made ours wait (a
        # SQLite writer queues for the lock) until it finished: it ran while we were deciding,
        # as if we had seen it running, so this trigger's work is done.
        return None
    try:
        with transaction.atomic():
            return RecomputeRun.objects.create(
                owner_id=owner_id,
                trigger=trigger,
                started_at=now,
                heartbeat_at=now,
                worker=jobs.worker_name(),
            )
    except IntegrityError:
        return None


def _dead(now) -> Q:
    """A running run without a heartbeat for JOB_STALE_SECONDS (one from before heartbeats:
    started STALE_AFTER ago)."""
    return Q(status=RecomputeRun.Status.RUNNING) & (
        Q(heartbeat_at__lt=jobs.stale_before(now))
        | Q(heartbeat_at__isnull=True, started_at__lt=now - STALE_AFTER)
    )


def recompute_run_finish(*, run: RecomputeRun, rows_written: int = 0, error: str = "") -> None:
    run.status = RecomputeRun.Status.FAILED if error else RecomputeRun.Status.SUCCEEDED
    run.rows_written = rows_written
    run.error = error[:2000]
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "rows_written", "error", "finished_at"])


def _fault_injection_pause() -> None:
    """Sleep inside the write transaction when RECOMPUTE_TEST_PAUSE_SECONDS is set, so the
    worker-kill test can kill a worker that is provably in the middle of a recompute."""
    pause = getattr(settings, "RECOMPUTE_TEST_PAUSE_SECONDS", 0)
    if pause:
        time.sleep(pause)


def _commit_without_waiting_for_disk() -> None:
    """Let this transaction's commit return before its WAL is flushed (PostgreSQL).

    Everything it writes is derived data that a rerun recreates. A server crash can lose the
    last fraction of a second of such commits, never part of one: the run then still reads
    "running", and the next run takes it over as dead and recomputes. The fsync wait was a
    tenth of the run time of a creator.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def metrics_recompute_owner(*, owner_id: int, trigger: str = "manual") -> RecomputeRun | None:
    """Recompute every stored figure of one creator in one transaction.

    Returns the finished run, or None when another run of the same creator is in progress
    (overlapping triggers do the work once).
    """
    runs = metrics_recompute_owners(owner_ids=[owner_id], trigger=trigger)
    return runs[0] if runs else None


def metrics_recompute_owners(
    *, owner_ids: list[int], trigger: str = "manual"
) -> list[RecomputeRun]:
    """Recompute every stored figure of a chunk of creators: one engine pass over all of them
    (set-based: one statement per step for the whole chunk), in one transaction.

    Each creator still has its lock and its run: a creator whose lock another process holds,
    or whose run is in progress, is left out (that run does the work). Returns the finished
    runs of the creators recomputed. A chunk killed mid-way commits nothing: its task is
    delivered again (acks_late) and redoes it; the upserts write each figure once.
    """
    with ExitStack() as locks:
        acquired = [owner_id for owner_id in owner_ids if locks.enter_context(owner_lock(owner_id))]
        runs = []
        for owner_id in acquired:
            run = recompute_run_start(
                owner_id=owner_id, trigger=trigger, lock_held=connection.vendor == "postgresql"
            )
            if run is None:
                logger.info("recompute of owner %s skipped: a run is in progress", owner_id)
                continue
            runs.append(run)
        skipped = set(owner_ids) - {run.owner_id for run in runs}
        if skipped:
            logger.info("recompute skipped for owners %s: another run holds them", sorted(skipped))
        if not runs:
            return []
        started_at = min(run.started_at for run in runs)
        ids = [run.owner_id for run in runs]
        RecomputeState.objects.filter(owner_id__in=ids).update(run_started_at=started_at)
        # Clicks up to here are read by this run (the hourly run's dirty test for clicks).
        click_id = LinkClick.objects.aggregate(last=Max("id"))["last"] or 0

        def beat() -> int:
            return RecomputeRun.objects.filter(
                pk__in=[run.pk for run in runs], status=RecomputeRun.Status.RUNNING
            ).update(heartbeat_at=timezone.now())

        today = timezone.localdate(started_at)
        try:
            with jobs.heartbeat(beat), transaction.atomic():
                _commit_without_waiting_for_disk()
                counts = engine.recompute(owner_ids=ids, today=today)
                _fault_injection_pause()
                # Committed with the figures: one commit, and never figures without it.
                for run in runs:
                    recompute_run_finish(run=run, rows_written=counts.total)
                figures_mark_fresh_many(
                    owner_ids=ids, as_of=started_at, day=today, click_id=click_id
                )
        except Exception as exc:
            for run in runs:
                recompute_run_finish(run=run, error=f"{type(exc).__name__}: {exc}")
            raise
    for run in runs:
        emit(
            Event.METRICS_RECOMPUTED,
            owner_id=run.owner_id,
            payload={"run": run.pk, "trigger": trigger, "rows_written": run.rows_written},
        )
    return runs


def creator_ids_to_recompute() -> list[int]:
    """Creators with anything to compute: videos or courses."""
    User = get_user_model()
    with_videos = User.objects.filter(videos__isnull=False).values_list("id", flat=True)
    with_courses = User.objects.filter(courses__isnull=False).values_list("id", flat=True)
    return sorted(set(with_videos) | set(with_courses))


# A recompute queued this long ago that never started is taken as lost and queued again.
QUEUED_LOST_AFTER = timedelta(minutes=30)


def figures_mark_stale(*, owner_id: int) -> None:
    """Record, in the caller's transaction, that the creator's figures are behind their data
    as of now: one upsert. The latest mark is kept, so a run clears it only when it started
    after every write that marked it."""
    RecomputeState.objects.bulk_create(
        [RecomputeState(owner_id=owner_id, stale_since=timezone.now())],
        update_conflicts=True,
        unique_fields=["owner"],
        update_fields=["stale_since"],
    )


def figures_run_started(*, owner_id: int, at) -> None:
    """A run that starts now reads every write committed before it: a recompute queued before
    this moment is no longer waiting, so the next write queues a new one."""
    RecomputeState.objects.filter(owner_id=owner_id).update(run_started_at=at)


def figures_mark_fresh(*, owner_id: int, as_of) -> None:
    """Clear the stale mark when the run that just finished started after it."""
    RecomputeState.objects.filter(owner_id=owner_id, stale_since__lte=as_of).update(
        stale_since=None
    )


def figures_mark_fresh_many(*, owner_ids: list[int], as_of, day: date, click_id: int) -> None:
    """After a run of ``owner_ids`` that started at ``as_of``: clear the stale marks it covers
    and record what it computed for (the local day, its start, the last click it could read)
    that the hourly run compares with (``creator_ids_stale``). Two statements."""
    RecomputeState.objects.filter(owner_id__in=owner_ids, stale_since__lte=as_of).update(
        stale_since=None
    )
    RecomputeState.objects.bulk_create(
        [
            RecomputeState(
                owner_id=owner_id, fresh_day=day, fresh_as_of=as_of, fresh_click_id=click_id
            )
            for owner_id in owner_ids
        ],
        update_conflicts=True,
        unique_fields=["owner"],
        update_fields=["fresh_day", "fresh_as_of", "fresh_click_id"],
    )


def creator_ids_stale(*, now=None) -> list[int]:
    """The creators the hourly run recomputes: those whose stored figures may differ from what
    a full pass would store now. A creator with videos or courses is stale when

    - a write marked it (``stale_since``: stats, sales, refunds, videos, courses, campaigns,
      settings, through the event hub), or it was never recomputed;
    - the local day changed since its last run (the 7/28-day windows and the forecast
      horizon moved: the nightly full pass does all of these just after midnight);
    - one of its discounts started or ended since its last run (today's prices, the
      rankings' net price);
    - a click on one of its links arrived since its last run (the clicks' writer announces
      nothing: the click ids are compared, one range scan on the primary key).

    Four queries, whatever the number of creators."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    candidates = set(creator_ids_to_recompute())
    states = {
        row[0]: row[1:]
        for row in RecomputeState.objects.filter(owner_id__in=candidates).values_list(
            "owner_id", "stale_since", "fresh_day", "fresh_as_of", "fresh_click_id"
        )
    }
    stale = set()
    oldest_as_of, lowest_click = now, None
    for owner_id in candidates:
        state = states.get(owner_id)
        if state is None or state[0] is not None or state[1] != today or state[2] is None:
            stale.add(owner_id)
            continue
        oldest_as_of = min(oldest_as_of, state[2])
        click_id = state[3] or 0
        lowest_click = click_id if lowest_click is None else min(lowest_click, click_id)
    fresh = candidates - stale
    if fresh:
        moments = Discount.objects.filter(
            Q(starts_at__gt=oldest_as_of, starts_at__lte=now)
            | Q(ends_at__gt=oldest_as_of, ends_at__lte=now),
            course__owner_id__in=fresh,
        ).values_list("course__owner_id", "starts_at", "ends_at")
        for owner_id, starts_at, ends_at in moments:
            as_of = states[owner_id][2]
            if as_of < starts_at <= now or as_of < ends_at <= now:
                stale.add(owner_id)
        clicked = (
            LinkClick.objects.filter(id__gt=lowest_click or 0)
            .values_list("link__owner_id")
            .annotate(last=Max("id"))
            .order_by()
        )
        for owner_id, last in clicked:
            if owner_id in fresh and last > (states[owner_id][3] or 0):
                stale.add(owner_id)
    return sorted(stale)


def creator_chunks(owner_ids: list[int], *, size: int | None = None) -> list[list[int]]:
    """The creators in chunks of about RECOMPUTE_CHUNK_VIDEOS videos (at least one creator,
    at most RECOMPUTE_CHUNK_CREATORS each): one engine pass per chunk, so a pass costs a few
    statements per chunk instead of per creator, and a chunk stays small enough for a worker's
    memory and time limit."""
    target = size or settings.RECOMPUTE_CHUNK_VIDEOS
    most = settings.RECOMPUTE_CHUNK_CREATORS
    videos = dict(
        Video.objects.filter(owner_id__in=owner_ids)
        .values_list("owner_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    chunks: list[list[int]] = []
    current: list[int] = []
    weight = 0
    for owner_id in sorted(owner_ids):
        cost = max(videos.get(owner_id, 0), 1)
        if current and (weight + cost > target or len(current) >= most):
            chunks.append(current)
            current, weight = [], 0
        current.append(owner_id)
        weight += cost
    if current:
        chunks.append(current)
    return chunks


def metrics_recompute_stale(*, trigger: str = "schedule") -> list[RecomputeRun]:
    """The hourly run in this process: the stale creators, chunk by chunk."""
    runs = []
    for chunk in creator_chunks(creator_ids_stale()):
        runs += metrics_recompute_owners(owner_ids=chunk, trigger=trigger)
    return runs


def metrics_recompute_full(*, trigger: str = "full") -> list[RecomputeRun]:
    """The nightly full pass in this process: every creator, chunk by chunk."""
    runs = []
    for chunk in creator_chunks(creator_ids_to_recompute()):
        runs += metrics_recompute_owners(owner_ids=chunk, trigger=trigger)
    return runs


def metrics_recompute_enqueue_now(*, owner_id: int, trigger: str) -> bool:
    """The one enqueue: send a recompute of the creator unless one is already waiting.

    Debounced on the state row: a recompute queued after the last run started will read this
    write too, so a second one is not sent. The claim is one conditional UPDATE, so two writes
    committing together send one task. A broker that refuses is logged and recorded on the
    state (the hourly run still comes); the claim is released so the next write tries again.
    Returns True when a task was sent.
    """
    from .tasks import recompute_owner_metrics

    now = timezone.now()
    state = RecomputeState.objects.filter(owner_id=owner_id).first()
    if state is None:
        state, _ = RecomputeState.objects.get_or_create(owner_id=owner_id)
    lost_before = now - QUEUED_LOST_AFTER
    if (
        state.queued_at is not None
        and state.queued_at > lost_before
        and (state.run_started_at is None or state.run_started_at < state.queued_at)
    ):
        # Already waiting as of this read: a burst of writes (a launch's orders) costs one
        # read each, not a write that competes for the row. A run that starts between this
        # read and now began after the write committed, so it reads it too.
        return False
    waiting = Q(queued_at__isnull=False, queued_at__gt=lost_before) & (
        Q(run_started_at__isnull=True) | Q(run_started_at__lt=F("queued_at"))
    )
    claimed = RecomputeState.objects.filter(pk=state.pk).exclude(waiting).update(queued_at=now)
    if not claimed:
        return False
    try:
        recompute_owner_metrics.delay(owner_id, trigger)
    except Exception as exc:
        logger.exception("could not enqueue the recompute of owner %s", owner_id)
        RecomputeState.objects.filter(pk=state.pk).update(
            queued_at=None,
            enqueue_error=f"{type(exc).__name__}: {exc}"[:2000],
            enqueue_failed_at=timezone.now(),
        )
        return False
    if state.enqueue_error:
        RecomputeState.objects.filter(pk=state.pk).update(enqueue_error="", enqueue_failed_at=None)
    return True


@jobs.reaper("recomputes")
def recompute_reap() -> int:
    """Settle the recomputes no worker will finish (run by core.tasks.jobs_reap).

    - A running run whose heartbeat is stale: its worker died, and its transaction with it,
      so the stored figures are the previous run's, whole. The run is marked failed ("worker
      lost"); if the creator's figures are behind their data, a recompute is queued again.
      On PostgreSQL the reaper first takes the creator's advisory lock: held, the run is
      alive whatever its heartbeat says.
    - Figures behind their data whose queued recompute never started (QUEUED_LOST_AFTER) or
      whose enqueue failed: queued again.

    Every send goes through ``metrics_recompute_enqueue_now``, whose debounce sends nothing
    when a recompute is already waiting, and a second delivery finds the lock taken; so a
    recompute is never run twice at once. Returns how many creators were settled.
    """
    now = timezone.now()
    settled = 0
    candidates = RecomputeRun.objects.filter(_dead(now)).values_list("pk", "owner_id", "worker")
    for run_id, owner_id, worker in list(candidates[:500]):
        if not jobs.may_be_dead(worker):
            continue
        with owner_lock(owner_id) as acquired:
            if not acquired:
                continue  # a live run holds the creator's lock
            reaped = RecomputeRun.objects.filter(_dead(now), pk=run_id).update(
                status=RecomputeRun.Status.FAILED, finished_at=now, error="worker lost"
            )
        if not reaped:
            continue
        logger.warning("recompute run %s of owner %s: the worker stopped", run_id, owner_id)
        settled += 1
        if RecomputeState.objects.filter(owner_id=owner_id, stale_since__isnull=False).exists():
            metrics_recompute_enqueue_now(owner_id=owner_id, trigger="reaper")

    never_started = Q(queued_at__lt=now - QUEUED_LOST_AFTER) & (
        Q(run_started_at__isnull=True) | Q(run_started_at__lt=F("queued_at"))
    )
    running = RecomputeRun.objects.filter(status=RecomputeRun.Status.RUNNING)
    lost = (
        RecomputeState.objects.filter(stale_since__isnull=False)
        .filter(never_started | Q(enqueue_failed_at__isnull=False))
        .exclude(owner_id__in=running.values("owner_id"))
        .values_list("owner_id", flat=True)
    )
    for owner_id in list(lost[:500]):
        if metrics_recompute_enqueue_now(owner_id=owner_id, trigger="reaper"):
            logger.warning("recompute of owner %s queued again (never started)", owner_id)
            settled += 1
    return settled


def metrics_recompute_enqueue(*, owner_id: int, trigger: str) -> None:
    """Mark the creator's figures stale now and ask a worker to recompute them once the
    current transaction commits; nothing is enqueued when it rolls back."""
    figures_mark_stale(owner_id=owner_id)
    transaction.on_commit(
        lambda: metrics_recompute_enqueue_now(owner_id=owner_id, trigger=trigger), robust=True
    )


# --- days a creator leaves out of the forecast ---------------------------------------------

EXCLUDED_DAY_NOT_YOURS = "Choose one of your own courses."


def _forecast_inputs_changed(*, course_id: int, owner_id: int) -> None:
    """The forecast's calendar changed: mark the figures stale and recompute after commit
    (``course.changed`` is what the recompute subscribes to)."""
    emit(Event.COURSE_CHANGED, owner_id=owner_id, payload={"courses": [course_id]})


@transaction.atomic
def excluded_day_add(
    *, owner, course_id: int, day: date, reason: str = ExcludedDay.Reason.OTHER
) -> ExcludedDay:
    """Leave ``day`` out of the course's forecast fit (again: the reason is updated). With
    reason ``restored`` it does the opposite: a day the forecast leaves out by itself (before
    the launch, a stray early sale, a bulk order it down-weights) is kept in the fit."""
    course = course_get(owner=owner, course_id=course_id)  # another creator's: DoesNotExist
    row = ExcludedDay.objects.filter(course=course, day=day).first()
    if row is None:
        row = ExcludedDay(course=course, day=day, reason=reason)
        row.full_clean()
        row.save()
    elif row.reason != reason:
        row.reason = reason
        row.full_clean()
        row.save(update_fields=["reason"])
    _forecast_inputs_changed(course_id=course.pk, owner_id=owner.pk)
    return row


@transaction.atomic
def excluded_day_remove(*, owner, course_id: int, day: date) -> bool:
    """Drop the creator's word on ``day``: a day they excluded goes back into the fit, a day
    they restored is left to the forecast's own cleaning again. False when there was none."""
    course = course_get(owner=owner, course_id=course_id)
    deleted, _rows = ExcludedDay.objects.filter(course=course, day=day).delete()
    if deleted:
        _forecast_inputs_changed(course_id=course.pk, owner_id=owner.pk)
    return bool(deleted)
