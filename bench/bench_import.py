"""Import benchmark: a 1,000,000-row daily-statistics CSV (× SCALE) through stats_import_file.

Compared, in the same run and on the same rows, with
- a raw psycopg COPY into a scratch copy of the table (PostgreSQL only; same indexes, checks and
  foreign key — and once more without the foreign key): the floor no importer can beat, since
  it skips parsing, checking, video lookup and the upsert;
- per-row ORM ``save()`` on a 5,000-row sample: what a naive importer would do.

The import runs in a child process so its peak memory (ru_maxrss) is the importer's own and not
the generator's. Goals (issue 4): ≥ 0.35× COPY, ≥ 30× per-row save, < 500 MB peak.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/bench_import.py
    SCALE=0.01 .venv/bin/python bench/bench_import.py          # 10,000 rows, seconds
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, SCALE, figure, peak_memory_mb, setup_django

ROWS = max(2_000, int(1_000_000 * SCALE))
DAYS = 200  # per video: 5,000 videos × 200 days at SCALE=1
ORM_SAMPLE = min(5_000, ROWS)
BENCH_USER_PREFIX = "bench-import"
HEADER = ["视频ID", "日期", "播放量", "互动量", "评论量", "点赞量", "分享量", "收藏量", "标题"]
COUNT_COLUMNS = ("views", "interactions", "comments", "likes", "shares", "saves", "link_clicks")
# The environment as given: the child process must resolve the same scratch database.
CHILD_ENV = dict(os.environ)
GOALS = {
    "import_vs_copy": 0.35,
    "import_vs_copy_without_fk": 0.35,
    "import_vs_orm_save": 30.0,
    "import_peak_memory": 500.0,
}


def generate(path: Path) -> int:
    """A realistic export: Chinese headers, ids like Douyin's, a title per video, daily numbers
    that rise and fall. Vectorised, so a million rows take seconds."""
    import numpy as np
    import pandas as pd

    videos = max(1, ROWS // DAYS)
    days = ROWS // videos
    rng = np.random.default_rng(20260301)
    video = np.repeat(np.arange(videos), days)
    day = np.tile(np.arange(days), videos)
    ids = np.char.add("73", np.char.zfill(np.arange(videos).astype(str), 12))
    titles = np.char.add("Python 面试第", np.char.add(np.arange(videos).astype(str), " 期"))
    views = (rng.gamma(1.2, 800, size=len(video)) * np.exp(-day / 90)).astype(np.int64)
    likes = views // 17
    comments = views // 90
    shares = views // 150
    saves = views // 120
    frame = pd.DataFrame(
        {
            "视频ID": ids[video],
            "日期": (np.datetime64("2025-01-01") + day.astype("timedelta64[D]")).astype(str),
            "播放量": views,
            "互动量": likes + comments + shares + saves,
            "评论量": comments,
            "点赞量": likes,
            "分享量": shares,
            "收藏量": saves,
            "标题": titles[video],
        }
    )
    frame.to_csv(path, index=False)
    return len(frame)


def own_peak_mb() -> float:
    """This process's peak resident memory. ru_maxrss survives exec on Linux, so a child
    spawned by a big parent would report the parent's peak; /proc's VmHWM belongs to the
    process image alone."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_memory_mb()


def child(path: str, username: str) -> None:
    """Run the import (twice: fresh, then the same file again) and report as JSON."""
    setup_django()
    from django.contrib.auth import get_user_model

    from analytics.tasks import recompute_owner_metrics
    from imports import stats as stats_module

    # No broker traffic from a bench: the recompute the import asks for is not sent.
    recompute_owner_metrics.delay = lambda *args, **kwargs: None
    owner = get_user_model().objects.create(username=username)
    timings = []
    for _ in range(2):
        start = time.perf_counter()
        result = stats_module.stats_import_file(owner=owner, path=path, platform="douyin")
        timings.append(time.perf_counter() - start)
        assert result.ok, result.error_lines()
    print(
        "RESULT "
        + json.dumps(
            {
                "rows": result.rows,
                "seconds": timings[0],
                "reimport_seconds": timings[1],
                "peak_mb": own_peak_mb(),
            }
        ),
        flush=True,
    )


def cleanup() -> None:
    """Remove what earlier runs of this benchmark left in the scratch database."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from videos.models import Video, VideoDailyStat

    users = get_user_model().objects.filter(username__startswith=BENCH_USER_PREFIX)
    if not users.exists():
        return
    stats = connection.ops.quote_name(VideoDailyStat._meta.db_table)
    videos = connection.ops.quote_name(Video._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {stats} WHERE video_id IN (SELECT id FROM {videos} WHERE owner_id IN "
            f"({', '.join(str(pk) for pk in users.values_list('pk', flat=True))}))"
        )
    users.delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {stats}")


def same_rows_with_video_ids(path: Path, username: str) -> tuple[bytes, list[dict]]:
    """The file's rows as the table holds them (video_id resolved), as CSV bytes for COPY and
    as tuples for the ORM sample."""
    import pandas as pd

    from videos.models import Video

    frame = pd.read_csv(path, dtype={"视频ID": str})
    ids = dict(
        Video.objects.filter(owner__username=username).values_list("platform_video_id", "pk")
    )
    table = pd.DataFrame(
        {
            "video_id": frame["视频ID"].map(ids),
            "date": frame["日期"],
            "views": frame["播放量"],
            "interactions": frame["互动量"],
            "comments": frame["评论量"],
            "likes": frame["点赞量"],
            "shares": frame["分享量"],
            "saves": frame["收藏量"],
            "link_clicks": 0,
        }
    )
    sample = table.head(ORM_SAMPLE).to_dict("records")  # Python ints, not numpy's
    return table.to_csv(index=False, header=False).encode(), sample


def raw_copy_rows_per_s(data: bytes, rows: int, *, foreign_key: bool) -> float:
    """COPY the same rows into a scratch copy of the table: same columns, indexes and checks
    (LIKE … INCLUDING ALL) and, with ``foreign_key``, the same deferred foreign key to videos,
    whose per-row check at commit every insert into the real table pays."""
    from django.db import connection

    from videos.models import Video, VideoDailyStat

    table = connection.ops.quote_name(VideoDailyStat._meta.db_table)
    columns = ", ".join(("video_id", "date", *COUNT_COLUMNS))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_import_scratch")
        cursor.execute(f"CREATE TABLE bench_import_scratch (LIKE {table} INCLUDING ALL)")
        if foreign_key:
            cursor.execute(
                "ALTER TABLE bench_import_scratch ADD FOREIGN KEY (video_id) REFERENCES "
                f"{connection.ops.quote_name(Video._meta.db_table)} (id) "
                "DEFERRABLE INITIALLY DEFERRED"
            )
    start = time.perf_counter()
    with connection.cursor() as cursor:  # autocommit: the COPY commits (and checks) itself
        with cursor.cursor.copy(
            f"COPY bench_import_scratch ({columns}) FROM STDIN (FORMAT csv)"
        ) as copy:
            view = memoryview(data)
            for offset in range(0, len(data), 1 << 20):
                copy.write(view[offset : offset + (1 << 20)])
    seconds = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_import_scratch")
    return rows / seconds


def orm_save_rows_per_s(sample: list[dict]) -> float:
    """Per-row save() of the sample for videos of another creator (so every save inserts)."""
    from django.contrib.auth import get_user_model

    from videos.models import Platform, Video, VideoDailyStat

    owner = get_user_model().objects.create(username=f"{BENCH_USER_PREFIX}-orm-{os.getpid()}")
    douyin = Platform.objects.get(slug="douyin")
    own = {}
    for video_id in dict.fromkeys(row["video_id"] for row in sample):
        own[video_id] = Video.objects.create(
            owner=owner, platform=douyin, platform_video_id=f"orm-{video_id}", title="orm"
        ).pk
    start = time.perf_counter()
    for row in sample:
        VideoDailyStat(**{**row, "video_id": own[row["video_id"]]}).save()
    return len(sample) / (time.perf_counter() - start)


def main() -> None:
    setup_django()
    from django.db import connection

    cleanup()
    folder = ROOT / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"daily_stats_{ROWS}.csv"
    start = time.perf_counter()
    rows = generate(path)
    print(
        f"generated {rows:,} rows ({path.stat().st_size / 2**20:.0f} MB) in "
        f"{time.perf_counter() - start:.1f} s on {connection.vendor}",
        flush=True,
    )

    username = f"{BENCH_USER_PREFIX}-{os.getpid()}"
    child_run = subprocess.run(
        [sys.executable, __file__, "--child", str(path), username],
        capture_output=True,
        text=True,
        env=CHILD_ENV,
        check=False,
    )
    lines = [line for line in child_run.stdout.splitlines() if line.startswith("RESULT ")]
    if child_run.returncode or not lines:
        sys.stderr.write(child_run.stdout + child_run.stderr)
        raise SystemExit("the import child process failed")
    measured = json.loads(lines[-1][len("RESULT ") :])
    import_rate = measured["rows"] / measured["seconds"]
    print(
        f"import: {measured['rows']:,} rows in {measured['seconds']:.1f} s; re-import of the "
        f"same file (nothing changes) in {measured['reimport_seconds']:.1f} s",
        flush=True,
    )
    data, sample = same_rows_with_video_ids(path, username)

    figure("import_rows_per_s", import_rate, "rows/s")
    figure("import_reimport_rows_per_s", measured["rows"] / measured["reimport_seconds"], "rows/s")
    ratios = {}
    if connection.vendor == "postgresql":
        copy_rate = raw_copy_rows_per_s(data, measured["rows"], foreign_key=True)
        bare_rate = raw_copy_rows_per_s(data, measured["rows"], foreign_key=False)
        figure("import_copy_rows_per_s", copy_rate, "rows/s")
        figure("import_copy_without_fk_rows_per_s", bare_rate, "rows/s")
        ratios["import_vs_copy"] = import_rate / copy_rate
        figure("import_vs_copy", ratios["import_vs_copy"], "ratio")
        ratios["import_vs_copy_without_fk"] = import_rate / bare_rate
        figure("import_vs_copy_without_fk", ratios["import_vs_copy_without_fk"], "ratio")
    else:
        print(
            "raw COPY comparison skipped: COPY is PostgreSQL's (run with DATABASE_URL=postgres://…)"
        )
    del data
    save_rate = orm_save_rows_per_s(sample)
    figure("import_orm_save_rows_per_s", save_rate, "rows/s")
    ratios["import_vs_orm_save"] = import_rate / save_rate
    figure("import_vs_orm_save", ratios["import_vs_orm_save"], "ratio")
    figure("import_peak_memory", measured["peak_mb"], "MB")

    verdicts = [
        f"{name} {value:.2f} {'≥' if value >= GOALS[name] else '<'} {GOALS[name]}"
        for name, value in ratios.items()
    ]
    memory_ok = measured["peak_mb"] < GOALS["import_peak_memory"]
    verdicts.append(f"peak memory {measured['peak_mb']:.0f} MB {'<' if memory_ok else '≥'} 500 MB")
    print("goals: " + "; ".join(verdicts))
    cleanup()
    path.unlink(missing_ok=True)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
