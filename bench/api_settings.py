"""Settings for the API benchmark's gunicorn: the project's, plus a bare comparison view."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api_urls"
