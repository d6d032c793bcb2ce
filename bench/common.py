"""Shared set-up for benchmark scripts: Django on the configured database, figure printing.

Each benchmark is a plain script (`python bench/bench_x.py`) run by `make bench`. It uses the
database DATABASE_URL names (PostgreSQL in CI and production-like runs) and works in a scratch
database of its own so it never touches real rows: `<name>_bench` on PostgreSQL, a file under
var/ on SQLite.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCALE = float(os.environ.get("SCALE", "1"))


def setup_django(name: str = "bench") -> None:
    """Point Django at a scratch benchmark database of its own (``<db>_<name>`` on
    PostgreSQL, ``var/<name>.sqlite3`` on SQLite), create it, migrate it."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import dj_database_url

    url = os.environ.get("DATABASE_URL", f"sqlite:///{ROOT / 'var' / f'{name}.sqlite3'}")
    parsed = dj_database_url.parse(url)
    if parsed["ENGINE"].endswith("postgresql"):
        import psycopg

        bench_name = f"{parsed['NAME']}_{name}"
        admin_url = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [bench_name]
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{bench_name}"')
        os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + f"/{bench_name}"
    else:
        os.environ["DATABASE_URL"] = url
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def vacuum_analyze(*, full: bool = False) -> None:
    """Vacuum and analyze the scratch database, as autovacuum would after a bulk load: the
    planner gets statistics, and dead rows of earlier runs do not pile up on a server that
    runs without autovacuum. ``full`` also gives back the space of deleted rows (cheap once
    the bench's rows are deleted), so every run starts from compact tables."""
    from django.db import connection

    if connection.vendor == "postgresql":
        statement = "VACUUM (FULL, ANALYZE)" if full else "VACUUM ANALYZE"
    else:
        statement = "VACUUM" if full else "ANALYZE"
    with connection.cursor() as cursor:
        cursor.execute(statement)


def figure(name: str, value: float, unit: str) -> None:
    """The machine-readable line `make bench` promises."""
    print(f"bench {name} = {value:.4g} {unit}", flush=True)


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def timed():
    result = {}
    start = time.perf_counter()
    yield result
    result["seconds"] = time.perf_counter() - start


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn_start(
    port: int, *, settings_module: str, env: dict[str, str], args: list[str]
) -> subprocess.Popen:
    """The project under gunicorn on 127.0.0.1:``port`` with a benchmark's settings module,
    extra environment and gunicorn arguments; returns once /healthz answers."""
    import requests

    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            *args,
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
            "config.wsgi:application",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings_module,
            "DEBUG": "false",
            "PYTHONPATH": str(ROOT),
            **env,
        },
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
            return server
        except requests.RequestException:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")
