from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackingConfig(AppConfig):
    name = "tracking"
    verbose_name = _("Tracking links and attribution")

    def ready(self) -> None:
        from . import panels, signals  # noqa: F401  (panels register with core.panels)

        signals.connect()
