#!/usr/bin/env bash
# Start CourseReel for a local try-out: web on 127.0.0.1:8000, a Celery worker and beat.
# Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
LOG_DIR=${COURSEREEL_VAR_DIR:-var}/log
mkdir -p "$LOG_DIR"

$BIN/python manage.py migrate --noinput
$BIN/python manage.py seed_demo

# Each process runs in a session of its own (setsid), so Ctrl-C reaches only this script and
# the stop below is the one way they end: SIGTERM to each process group (the web server writes
# its buffered clicks, the worker finishes its task, beat saves its state), then, after
# STOP_GRACE seconds, SIGKILL to whatever of a group is left (a worker child stuck in a task;
# the job reaper marks such a job failed). The whole stop takes at most STOP_GRACE + 1 s.
STOP_GRACE=${STOP_GRACE:-8}
pids=()
alive() {
  local pid
  for pid in "${pids[@]}"; do
    kill -0 -- "-$pid" 2>/dev/null && return 0
  done
  return 1
}
stop() {
  trap - INT TERM EXIT
  echo "Stopping CourseReel…"
  local pid waited=0
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  while alive && [ "$waited" -lt $((STOP_GRACE * 10)) ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  if alive; then
    echo "Still running after ${STOP_GRACE}s: killing what is left."
    for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  fi
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

setsid $BIN/celery -A config worker --loglevel=info --concurrency=2 >"$LOG_DIR/worker.log" 2>&1 &
pids+=($!)
setsid $BIN/celery -A config beat --loglevel=info --pidfile= \
  --scheduler django_celery_beat.schedulers:DatabaseScheduler >"$LOG_DIR/beat.log" 2>&1 &
pids+=($!)
setsid $BIN/python manage.py runserver --noreload "$HOST:$PORT" &
pids+=($!)

cat <<MSG

  CourseReel is running at http://$HOST:$PORT/   (admin: http://$HOST:$PORT/admin/)
  Log in as demo / demo   (a second creator: demo2 / demo2)
  Worker and beat logs: $LOG_DIR/worker.log, $LOG_DIR/beat.log.  Ctrl-C stops everything.

MSG
# Exit (and stop the rest) as soon as any of the three processes dies.
wait -n "${pids[@]}"
