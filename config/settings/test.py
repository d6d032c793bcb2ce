"""Test settings: the same database and broker the environment names, faster hashing."""

import os

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# One test database per test process, so two runs side by side (a developer's and CI's) never
# drop each other's. SQLite uses a file, not :memory:, so a real Celery worker process can open it.
_default = DATABASES["default"]
if _default["ENGINE"] == "django.db.backends.sqlite3":
    _default["TEST"] = {"NAME": str(VAR_DIR / f"test_db_{os.getpid()}.sqlite3")}
else:
    _default["TEST"] = {"NAME": f"test_{_default['NAME']}_{os.getpid()}"}

# Clicks are written in their request, so a test sees them at once; tests/tracking/test_clicks.py
# runs the batch writer (the deployed default) on its own, in-process and under gunicorn.
TRACKING_CLICK_FLUSH_SECONDS = 0
