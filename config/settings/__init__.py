# `DJANGO_SETTINGS_MODULE=config.settings` is the local/default configuration.
from .base import *  # noqa: F403
