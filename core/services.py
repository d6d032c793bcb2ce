"""Creators: a creator is a staff user, not a superuser, in the "Creators" group."""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

CREATOR_GROUP = "Creators"
CREATOR_APPS = ("courses", "videos", "campaigns", "analytics")
# Shared reference rows a creator may read but not change.
READ_ONLY_MODELS = {("videos", "platform"), ("analytics", "recomputerun")}
# Computed result tables: the engine writes them, creators only read them.
RESULT_MODELS = {
    ("analytics", "engagementmetric"),
    ("analytics", "salesforecast"),
    ("analytics", "forecastpoint"),
    ("analytics", "platformranking"),
}


def creator_group_sync() -> Group:
    """Create or refresh the Creators group's permissions (idempotent)."""
    group, _ = Group.objects.get_or_create(name=CREATOR_GROUP)
    wanted = []
    for app_label in CREATOR_APPS:
        for model in apps.get_app_config(app_label).get_models():
            key = (app_label, model._meta.model_name)
            actions = (
                ("view",)
                if key in READ_ONLY_MODELS | RESULT_MODELS
                else ("view", "add", "change", "delete")
            )
            codenames = [f"{action}_{model._meta.model_name}" for action in actions]
            wanted.extend(
                Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
            )
    group.permissions.set(wanted)
    return group


@transaction.atomic
def creator_create(*, username: str, password: str, email: str = ""):
    """Create (or reset the password of) a creator login that can use the admin."""
    User = get_user_model()
    user, _ = User.objects.get_or_create(
        username=username, defaults={"email": email, "is_staff": True}
    )
    user.is_staff = True
    user.is_superuser = False
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.add(creator_group_sync())
    return user
