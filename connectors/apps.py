from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "connectors"
    verbose_name = _("Connections")

    def ready(self) -> None:
        from . import services  # noqa: F401  (registers the sales polls' reaper with core.jobs)
