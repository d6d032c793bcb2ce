from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _creator_group_refresh(sender, **kwargs):
    """After every migrate (once the permissions of new models exist), give the Creators group
    the permissions of models added since it was made."""
    from django.apps import apps

    if sender is not list(apps.get_app_configs())[-1]:  # post_migrate comes once per app
        return
    from .services import creator_group_sync

    creator_group_sync()


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "CourseReel core"

    def ready(self) -> None:
        post_migrate.connect(_creator_group_refresh, dispatch_uid="core-creator-group-refresh")
