#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import signal
import sys


def _exit_normally(signum, frame):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the exit short
    sys.exit(0)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if sys.argv[1:2] == ["runserver"] and (
        "--noreload" in sys.argv or os.environ.get("RUN_MAIN") == "true"
    ):
        # The serving process of a stopped dev server (`make run` stops it with SIGTERM) exits
        # like gunicorn does, so exit handlers run: the tracking click writer saves the clicks
        # it still holds. With the autoreloader the server is a child process (RUN_MAIN): the
        # handler is installed there, not in the watching parent; `make run` uses --noreload.
        signal.signal(signal.SIGTERM, _exit_normally)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
