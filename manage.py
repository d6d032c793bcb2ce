#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import signal
import sys


def _exit_normally(signum, frame):
    sys.exit(0)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if sys.argv[1:2] == ["runserver"]:
        # A stopped dev server (`make run` stops it with SIGTERM) exits like gunicorn does, so
        # exit handlers run: the tracking click writer saves the clicks it still holds.
        signal.signal(signal.SIGTERM, _exit_normally)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
