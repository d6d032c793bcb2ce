"""Settings for the redirect benchmark's gunicorn: the project's, plus a plain redirect view."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.redirect_urls"
