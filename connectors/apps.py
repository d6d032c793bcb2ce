from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "connectors"
    verbose_name = _("Connections")

    def ready(self) -> None:
        # services registers the sales polls' reaper with core.jobs, subscribers the "sync now"
        # handler with the event hub
        from . import services, subscribers  # noqa: F401
