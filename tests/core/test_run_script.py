"""`make run` (scripts/run.sh) stops the web server, the Celery worker (and its pool children)
and beat within 10 s of Ctrl-C or SIGTERM, leaving no process behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from tests.processes import ROOT, wait_for

STOP_WITHIN = 10.0  # seconds: what the README promises for Ctrl-C


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _group_members(pgids: set[int]) -> set[int]:
    """Live processes (not zombies) whose process group is one of ``pgids``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, pgid = fields[0], int(fields[2])
        if pgid in pgids and state != "Z":
            found.add(int(entry.name))
    return found


def _children(pid: int) -> set[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return {int(line) for line in out.split()}


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "term"])
def test_make_run_stops_everything_within_ten_seconds(tmp_path, stop_signal):
    if connection.vendor != "sqlite":
        pytest.skip("make run is the embedded default (SQLite, filesystem broker)")
    port = _free_port()
    var = tmp_path / "var"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "COURSEREEL_VAR_DIR": str(var),
        "MEDIA_ROOT": str(var / "media"),
        "PORT": str(port),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("CELERY_BROKER_URL", None)
    log = open(tmp_path / "run.log", "w")
    script = subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "run.sh")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(
            lambda: _answers(f"http://127.0.0.1:{port}/accounts/login/"),
            timeout=240,
            what="the web server of make run",
        )
        worker_log = var / "log" / "worker.log"
        wait_for(
            lambda: worker_log.exists() and "ready." in worker_log.read_text(),
            timeout=60,
            what="the Celery worker",
        )
        groups = _children(script.pid)
        members = _group_members(groups)
        assert len(groups) == 3, f"web, worker and beat each in their own group: {groups}"
        assert len(members) > 3, "the worker's pool children are in its group"

        script.send_signal(stop_signal)
        started = time.monotonic()
        wait_for(
            lambda: script.poll() is not None and not _group_members(groups),
            timeout=STOP_WITHIN,
            what=f"every process of make run to stop after {stop_signal.name}",
        )
        assert time.monotonic() - started <= STOP_WITHIN
        assert not _answers(f"http://127.0.0.1:{port}/accounts/login/")
    finally:
        if script.poll() is None:
            os.killpg(script.pid, signal.SIGKILL)
        for pid in _group_members(_children(script.pid) if script.poll() is None else set()):
            os.kill(pid, signal.SIGKILL)
        script.wait(timeout=10)
        log.close()
