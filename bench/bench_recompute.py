"""Benchmark of the recompute engine (issue: analytics engine).

Data: SCALE × (10,000 videos × 90 days of stats, 1,000 courses with 60 days of sales) spread
over 100 creators, generated inside the database. Prints, in the same run:
- the engagement recompute (aggregate, formulas, upsert) and its rows/s;
- its ratio to one plain SQL GROUP BY over the same rows (goal ≤ 2×);
- its speed-up over a per-video ORM loop timed on 500 videos and scaled (goal ≥ 100×);
- the forecast + ranking of every course, and the full per-creator recompute the workers run;
- the same engagement recompute at 10× the data and how much longer it took (goal ≤ 11×);
- peak memory.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import SCALE, figure, peak_memory_mb, setup_django, vacuum_analyze

setup_django("bench_recompute")

import os  # noqa: E402

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import F, Sum  # noqa: E402
from django.utils import timezone  # noqa: E402

from analytics import engine, formulas, services  # noqa: E402
from analytics.models import CreatorSettings, EngagementMetric  # noqa: E402
from courses.models import Course, PriceTier, Sale  # noqa: E402
from tracking.models import TrackingLink  # noqa: E402
from videos.models import Platform, Video, VideoDailyStat  # noqa: E402

OWNERS = 100
DAYS = 90
LOOP_SAMPLE = 500
CLICK_DAYS = 60
TODAY = timezone.localdate()


def reset() -> None:
    User = get_user_model()
    with transaction.atomic():
        User.objects.filter(username__startswith="bench-").delete()


def generate(scale: float, tag: str) -> tuple[list[int], int]:
    """Owners, videos, courses via the ORM in bulk; daily stats and sales inside the database."""
    User = get_user_model()
    n_videos, n_courses = int(10_000 * scale), int(1_000 * scale)
    owners = User.objects.bulk_create(
        User(username=f"bench-{tag}-{i}", is_staff=True) for i in range(OWNERS)
    )
    owner_ids = [o.id for o in owners]
    platforms = list(Platform.objects.values_list("id", flat=True))
    Video.objects.bulk_create(
        (
            Video(
                owner_id=owner_ids[i % OWNERS],
                platform_id=platforms[i % len(platforms)],
                platform_video_id=f"{tag}-{i}",
                title=f"Video {i}",
                length_seconds=30 + i % 600,
                production_level=1 + i % 5,
                usefulness=1 + (i // 5) % 5,
                status="published",
                published_at=timezone.now(),
            )
            for i in range(n_videos)
        ),
        batch_size=5000,
    )
    courses = Course.objects.bulk_create(
        (
            Course(
                owner_id=owner_ids[i % OWNERS],
                title=f"Course {i}",
                slug=f"{tag}-{i}",
                audience_tags=["developers"],
            )
            for i in range(n_courses)
        ),
        batch_size=5000,
    )
    PriceTier.objects.bulk_create(
        (PriceTier(course=c, name="Standard", list_price=99) for c in courses), batch_size=5000
    )
    first = TODAY - timedelta(days=DAYS)
    videos = Video._meta.db_table
    with connection.cursor() as cursor:
        # Each video sells the creator's course of the same rank: the funnel has its courses.
        cursor.execute(
            f"""
            UPDATE {videos} v SET course_id = c.id
            FROM (SELECT id, owner_id, row_number() OVER (PARTITION BY owner_id ORDER BY id) AS n,
                         count(*) OVER (PARTITION BY owner_id) AS k
                  FROM {Course._meta.db_table} WHERE owner_id IN ({",".join(["%s"] * OWNERS)})) c
            WHERE v.owner_id = c.owner_id AND v.owner_id IN ({",".join(["%s"] * OWNERS)})
              AND c.n = 1 + (v.id %% c.k)
            """,
            [*owner_ids, *owner_ids],
        )
    TrackingLink.objects.bulk_create(
        (
            TrackingLink(owner_id=owner_id, video_id=video_id, code=f"{tag}{video_id}")
            for video_id, owner_id in Video.objects.filter(owner_id__in=owner_ids).values_list(
                "id", "owner_id"
            )
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                """
                INSERT INTO videos_videodailystat
                    (video_id, date, views, interactions, comments, likes, shares, saves,
                     link_clicks, origin, estimated)
                SELECT v.id, d::date, s.views, s.views / 10, s.views / 100, s.views / 20,
                       s.views / 200, s.views / 100, s.views / 250, 'imported', false
                FROM videos_video v
                CROSS JOIN generate_series(%s::date, %s::date, interval '1 day') AS d
                CROSS JOIN LATERAL (SELECT (random() * 5000)::int + v.id %% 7 AS views) s
                WHERE v.owner_id = ANY(%s)
                """,
                [first, TODAY - timedelta(days=1), owner_ids],
            )
            cursor.execute(
                """
                INSERT INTO courses_sale (course_id, tier_id, platform_id, quantity, unit_price,
                                          sold_at, order_ref, tracking_code, channel,
                                          currency, original_currency, refund_amount,
                                          refund_ids)
                SELECT c.id, t.id, %s, 1 + (random() * 3)::int, 99, d + interval '12 hours',
                       '', '', '{}'::jsonb, 'CNY', '', 0, '[]'::jsonb
                FROM courses_course c JOIN courses_pricetier t ON t.course_id = c.id
                CROSS JOIN generate_series(%s::timestamptz, %s::timestamptz, '1 day') AS d
                WHERE c.owner_id = ANY(%s) AND random() < 0.6
                """,
                [platforms[0], first + timedelta(days=30), TODAY - timedelta(days=1), owner_ids],
            )
            # About one click per link and day over the last CLICK_DAYS days, a visitor each.
            cursor.execute(
                """
                INSERT INTO tracking_linkclick (link_id, clicked_at, visitor)
                SELECT l.id, d + (random() * interval '1 day'), substr(md5(random()::text), 1, 16)
                FROM tracking_trackinglink l
                CROSS JOIN generate_series(%s::timestamptz, %s::timestamptz, '1 day') AS d
                WHERE l.owner_id = ANY(%s) AND random() < %s
                """,
                [TODAY - timedelta(days=CLICK_DAYS), TODAY - timedelta(days=1), owner_ids, 1.0],
            )
        else:
            placeholders = ",".join("%s" for _ in owner_ids)
            cursor.execute(
                f"""
                WITH RECURSIVE days(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM days
                                           WHERE n < {DAYS})
                INSERT INTO videos_videodailystat
                    (video_id, date, views, interactions, comments, likes, shares, saves,
                     link_clicks, origin, estimated)
                SELECT id, date(%s, '-' || n || ' day'), views, views / 10, views / 100,
                       views / 20, views / 200, views / 100, views / 250, 'imported', 0
                FROM (SELECT v.id, days.n, abs(random()) %% 5000 AS views
                      FROM videos_video v, days WHERE v.owner_id IN ({placeholders}))
                """,
                [TODAY.isoformat(), *owner_ids],
            )
    rows = VideoDailyStat.objects.filter(video__owner_id__in=owner_ids).count()
    vacuum_analyze()
    return owner_ids, rows


def engagement_recompute(owner_ids: list[int]) -> float:
    """What a recompute run does for engagement: aggregate, formulas, upsert what changed
    (in the database on PostgreSQL, through pandas elsewhere), committed."""
    start = time.perf_counter()
    with transaction.atomic():
        engine.engagement_recompute(owner_ids=owner_ids, today=TODAY)
    return time.perf_counter() - start


def new_day_of_stats(owner_ids: list[int]) -> None:
    """Yesterday's numbers arrive again, higher: every video's windows change."""
    VideoDailyStat.objects.filter(
        video__owner_id__in=owner_ids, date=TODAY - timedelta(days=1)
    ).update(views=F("views") + 7, interactions=F("interactions") + 3)


def group_by_baseline(owner_ids: list[int]) -> float:
    """The floor: one GROUP BY over the same rows, fetched into Python."""
    start = time.perf_counter()
    list(
        VideoDailyStat.objects.filter(video__owner_id__in=owner_ids, date__lte=TODAY)
        .values("video_id")
        .annotate(**{f"s_{c}": Sum(c) for c in engine.COUNTS})
        .order_by()
    )
    return time.perf_counter() - start


def per_video_orm_loop(video_ids: list[int]) -> float:
    """What a straightforward implementation does: one video at a time through the ORM."""
    start = time.perf_counter()
    with transaction.atomic():
        for video in Video.objects.filter(id__in=video_ids):
            settings_row = CreatorSettings.objects.filter(owner_id=video.owner_id).first()
            w_df = settings_row.engagement_weights if settings_row else (0.5, 0.5)
            w_cq = settings_row.quality_weights if settings_row else (0.3, 0.3, 0.4)
            stats = list(VideoDailyStat.objects.filter(video=video, date__lte=TODAY))
            cq = formulas.content_quality(
                video.length_seconds / 60, video.production_level, video.usefulness
            )
            for window, days in engine.WINDOW_DAYS.items():
                rows = [s for s in stats if days is None or s.date > TODAY - timedelta(days=days)]
                views = sum(s.views for s in rows)
                inter = sum(s.interactions for s in rows)
                comments = sum(s.comments for s in rows)
                likes = sum(s.likes for s in rows)
                f = formulas.interaction_frequency(inter, views)
                d = formulas.interaction_depth(comments, likes, inter)
                EngagementMetric.objects.update_or_create(
                    video=video,
                    window=window,
                    defaults={
                        "views": views,
                        "interactions": inter,
                        "comments": comments,
                        "likes": likes,
                        "frequency": f,
                        "depth": d,
                        "engagement": formulas.engagement(f, d, w_df),
                        "content_quality": cq,
                        "composite_quality": formulas.composite_quality(f, d, cq, w_cq),
                        "computed_at": timezone.now(),
                    },
                )
    return time.perf_counter() - start


def per_creator_pass(owner_ids: list[int]) -> float:
    """The full recompute as the workers ran it before issue 18: one creator after another."""
    start = time.perf_counter()
    for owner_id in owner_ids:
        services.metrics_recompute_owner(owner_id=owner_id, trigger="bench")
    return time.perf_counter() - start


def profile(run, owner_ids: list[int], *, top: int = 30) -> None:
    """cProfile of ``run(owner_ids)``: where a creator's recompute spends its time."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    run(owner_ids)
    profiler.disable()
    print(f"-- profile of {run.__name__} over {len(owner_ids)} creators (cumulative)")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)


def chunked_full_pass(owner_ids: list[int]) -> float:
    """The nightly full pass in one process: every creator, chunk by chunk (issue 18)."""
    start = time.perf_counter()
    runs = services.metrics_recompute_full(trigger="bench")
    assert len(runs) == len(owner_ids), "a creator was left out"
    return time.perf_counter() - start


def hourly_pass(owner_ids: list[int]) -> float:
    """The hourly run in one process: find the stale creators, recompute them."""
    start = time.perf_counter()
    services.metrics_recompute_stale(trigger="bench")
    return time.perf_counter() - start


def one_in_a_hundred_changes(owner_ids: list[int], round_: int) -> list[int]:
    """One creator in a hundred gets a new day of stats (today's row of every video) and a
    sale, marked stale the way the stats.changed and sale.recorded subscribers mark it."""
    changed = owner_ids[round_ % 100 :: 100]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {VideoDailyStat._meta.db_table}
                    (video_id, date, views, interactions, comments, likes, shares, saves,
                     link_clicks, origin, estimated)
                SELECT id, %s, 1000, 100, 10, 50, 5, 10, 4, 'imported', false
                FROM {Video._meta.db_table} WHERE owner_id = ANY(%s)
                ON CONFLICT (video_id, date) DO UPDATE SET views = EXCLUDED.views + 1
                """,
                [TODAY, changed],
            )
        for owner_id in changed:
            tier = PriceTier.objects.filter(course__owner_id=owner_id).first()
            Sale.objects.create(
                course_id=tier.course_id,
                tier=tier,
                quantity=1,
                unit_price=99,
                sold_at=timezone.now() - timedelta(hours=1),
            )
            services.figures_mark_stale(owner_id=owner_id)
    return changed


def workers_pass(owner_ids: list[int], workers: int) -> float:
    """The nightly fan-out on real Celery workers (``workers`` processes of one slot each, on
    the configured broker and this scratch database): one task per chunk; timed from the send
    to the last chunk's commit."""
    import subprocess
    import uuid

    from celery import group

    from analytics.models import RecomputeRun
    from analytics.tasks import recompute_owners_metrics

    queue = f"bench-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "CELERY_QUEUE": queue, "DJANGO_SETTINGS_MODULE": "config.settings"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "-c", "1",
             "-n", f"{queue}-{n}@%h", "--loglevel=warning", "--without-gossip",
             "--without-mingle", "--without-heartbeat"],
            cwd=Path(__file__).resolve().parents[1],
            env=env,
            start_new_session=True,
        )
        for n in range(workers)
    ]  # fmt: skip
    try:
        time.sleep(8)  # the workers import Django and connect
        trigger = f"bench-{workers}w"
        done = RecomputeRun.objects.filter(trigger=trigger, status=RecomputeRun.Status.SUCCEEDED)
        done.delete()
        chunks = services.creator_chunks(owner_ids)
        start = time.perf_counter()
        group(recompute_owners_metrics.s(chunk, trigger) for chunk in chunks).apply_async(
            queue=queue
        )
        deadline = time.monotonic() + 600
        while done.count() < len(owner_ids):
            if time.monotonic() > deadline:
                raise SystemExit(f"the {workers} workers did not finish")
            time.sleep(0.05)
        return time.perf_counter() - start
    finally:
        for proc in procs:
            os.killpg(proc.pid, 15)
        for proc in procs:
            proc.wait(timeout=30)


def full_pass_lines(owner_ids: list[int], baseline: float) -> None:
    """The whole recompute of every creator (engagement, attribution, funnel, rankings; the
    forecasts' inputs are fingerprinted and none is refitted, their fit has its own line)
    after a new day of stats, against the GROUP BY over the same daily rows; then the hourly
    run after one creator in a hundred changed."""
    per_creator_pass(owner_ids)  # forecasts fitted once, every figure stored
    new_day_of_stats(owner_ids)
    seconds = per_creator_pass(owner_ids)
    figure("recompute_full_per_creator_seconds", seconds, "s")
    figure("recompute_full_per_creator_vs_groupby", seconds / baseline, "ratio")
    if os.environ.get("BENCH_PROFILE"):
        new_day_of_stats(owner_ids)
        profile(per_creator_pass, owner_ids[:10])

    full = []
    for _ in range(2):
        new_day_of_stats(owner_ids)
        full.append(chunked_full_pass(owner_ids))
    full_seconds = min(full)
    figure("recompute_full_seconds", full_seconds, "s")
    figure("recompute_full_per_creator_ms", 1000 * full_seconds / len(owner_ids), "ms")
    figure("recompute_full_vs_groupby", full_seconds / baseline, "ratio")
    if os.environ.get("BENCH_PROFILE"):
        new_day_of_stats(owner_ids)
        profile(chunked_full_pass, owner_ids)

    hourly = []
    for round_ in range(3):
        one_in_a_hundred_changes(owner_ids, round_)
        hourly.append(hourly_pass(owner_ids))
    hourly_seconds = min(hourly)
    start = time.perf_counter()
    nothing = services.creator_ids_stale()
    figure("recompute_stale_lookup_seconds", time.perf_counter() - start, "s")
    assert nothing == [], f"still stale after the hourly run: {nothing}"
    figure("recompute_incremental_seconds", hourly_seconds, "s")
    figure("recompute_incremental_vs_full", hourly_seconds / full_seconds, "ratio")

    if os.environ.get("BENCH_WORKERS", "1") != "0":
        timings = {}
        for workers in (1, 2, 1, 2):
            new_day_of_stats(owner_ids)
            seconds = workers_pass(owner_ids, workers)
            timings[workers] = min(timings.get(workers, seconds), seconds)
        chunks = len(services.creator_chunks(owner_ids))
        figure("recompute_chunks", chunks, "chunks")
        figure("recompute_one_worker_seconds", timings[1], "s")
        figure("recompute_two_workers_seconds", timings[2], "s")
        figure("recompute_two_workers_vs_one", timings[2] / timings[1], "ratio")
        figure("recompute_chunk_seconds", timings[1] / chunks, "s")


def main() -> None:
    print(f"database: {connection.vendor}; scale {SCALE}")
    reset()
    vacuum_analyze(full=True)
    t0 = time.perf_counter()
    owner_ids, rows = generate(SCALE, "a")
    print(
        f"generated {rows:,} daily rows for {OWNERS} creators in {time.perf_counter() - t0:.1f} s"
    )

    # Baseline samples before and after the recompute runs, the minimum of all: a busy moment
    # on a shared machine then inflates neither side alone.
    baselines = [group_by_baseline(owner_ids) for _ in range(3)]
    if os.environ.get("BENCH_ENGAGEMENT", "1") == "0":  # the issue 18 lines only
        figure("groupby_baseline_seconds", min(baselines), "s")
        full_pass_lines(owner_ids, min(baselines))
        if os.environ.get("BENCH_KEEP") != "1":  # BENCH_KEEP=1: leave the rows to look at
            reset()
        return
    cold = engagement_recompute(owner_ids)  # every result row is new
    unchanged = min(engagement_recompute(owner_ids) for _ in range(2))
    changed = []
    for _ in range(3):
        new_day_of_stats(owner_ids)
        changed.append(engagement_recompute(owner_ids))
    seconds = min(changed)  # the hourly case after an import: every row changes
    baselines += [group_by_baseline(owner_ids) for _ in range(3)]
    baseline = min(baselines)
    figure("groupby_baseline_seconds", baseline, "s")
    figure("recompute_engagement_cold_seconds", cold, "s")
    figure("recompute_cold_vs_groupby", cold / baseline, "ratio")
    figure("recompute_engagement_unchanged_seconds", unchanged, "s")
    figure("recompute_unchanged_vs_groupby", unchanged / baseline, "ratio")
    figure("recompute_engagement_seconds", seconds, "s")
    figure("recompute_rows_per_s", rows / seconds, "rows/s")
    figure("recompute_vs_groupby", seconds / baseline, "ratio")

    videos = list(Video.objects.filter(owner_id__in=owner_ids).values_list("id", flat=True))
    sample = videos[:LOOP_SAMPLE]
    loop_scaled = min(per_video_orm_loop(sample) for _ in range(2)) * len(videos) / len(sample)
    figure("orm_loop_scaled_seconds", loop_scaled, "s")
    figure("recompute_speedup_vs_orm_loop", loop_scaled / seconds, "ratio")

    with transaction.atomic():
        start = time.perf_counter()
        inputs = engine.CourseInputs.load(owner_ids, today=TODAY)
        inputs.fingerprints = {}  # refit every course, as after a day's new sales
        engine.forecasts_recompute(inputs, today=TODAY, now=timezone.now())
        engine.rankings_recompute(
            inputs, weights=engine.creator_weights(owner_ids), now=timezone.now()
        )
        forecast_seconds = time.perf_counter() - start
    figure("forecast_and_ranking_seconds", forecast_seconds, "s")
    figure("forecast_courses", len(inputs.courses), "courses")
    with transaction.atomic():
        start = time.perf_counter()
        inputs = engine.CourseInputs.load(owner_ids, today=TODAY)
        engine.forecasts_recompute(inputs, today=TODAY, now=timezone.now())
        # Nothing changed since: every course's inputs fingerprint matches, nothing is refitted.
        figure("forecast_unchanged_seconds", time.perf_counter() - start, "s")

    full_pass_lines(owner_ids, baseline)
    figure("recompute_peak_memory", peak_memory_mb(), "MB")

    if os.environ.get("BENCH_GROWTH", "1") != "0":
        big_owners, big_rows = generate(SCALE * 10, "b")
        engagement_recompute(big_owners)
        big = []
        for _ in range(3):
            new_day_of_stats(big_owners)
            big.append(engagement_recompute(big_owners))
        big_seconds = min(big)
        figure("recompute_10x_engagement_seconds", big_seconds, "s")
        figure("recompute_10x_rows", big_rows, "rows")
        figure("recompute_growth_at_10x_data", big_seconds / seconds, "ratio")
        figure("recompute_peak_memory_10x", peak_memory_mb(), "MB")
    reset()


if __name__ == "__main__":
    main()
