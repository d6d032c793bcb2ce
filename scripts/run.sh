#!/usr/bin/env bash
# Start CourseReel for a local try-out: web on 127.0.0.1:8000, a Celery worker and beat.
# Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
mkdir -p var/log

$BIN/python manage.py migrate --noinput
$BIN/python manage.py seed_demo

pids=()
stop() {
  trap - INT TERM EXIT
  echo "Stopping CourseReel…"
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

$BIN/celery -A config worker --loglevel=info --concurrency=2 >var/log/worker.log 2>&1 &
pids+=($!)
$BIN/celery -A config beat --loglevel=info --pidfile= \
  --scheduler django_celery_beat.schedulers:DatabaseScheduler >var/log/beat.log 2>&1 &
pids+=($!)
$BIN/python manage.py runserver --noreload "$HOST:$PORT" &
pids+=($!)

cat <<MSG

  CourseReel is running at http://$HOST:$PORT/   (admin: http://$HOST:$PORT/admin/)
  Log in as demo / demo   (a second creator: demo2 / demo2)
  Worker and beat logs: var/log/worker.log, var/log/beat.log.  Ctrl-C stops everything.

MSG
# Exit (and stop the rest) as soon as any of the three processes dies.
wait -n "${pids[@]}"
