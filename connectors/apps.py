from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "connectors"
    verbose_name = _("Connections")

    def ready(self) -> None:
        from . import subscribers  # noqa: F401  (registers with the event hub)
