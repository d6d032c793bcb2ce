"""Creators: a creator is a staff user, not a superuser, in the "Creators" group."""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

CREATOR_GROUP = "Creators"
CREATOR_APPS = ("courses", "videos", "campaigns", "analytics", "webhooks", "tracking", "imports")
# Shared reference rows a creator may read but not change.
READ_ONLY_MODELS = {
    ("videos", "platform"),
    ("analytics", "recomputerun"),
    ("analytics", "recomputestate"),
    ("webhooks", "webhookdelivery"),
    ("tracking", "linkclick"),  # counted by the redirect, never typed in
}
# Computed result tables: the engine writes them, creators only read them.
RESULT_MODELS = {
    ("analytics", "engagementmetric"),
    ("analytics", "salesforecast"),
    ("analytics", "forecastpoint"),
    ("analytics", "platformranking"),
    ("tracking", "saleattribution"),
    ("tracking", "funnelstat"),
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


def _owner_field(model) -> bool:
    return any(field.name == "owner" for field in model._meta.concrete_fields)


@transaction.atomic
def instance_create(*, model, data: dict, owner=None):
    """Create a row from already-validated input: the owner comes from the caller (never from
    the input), model rules and constraints run through ``full_clean`` before the insert."""
    values, many = _split_many_to_many(model, data)
    instance = model(**values)
    if owner is not None and _owner_field(model):
        instance.owner = owner
    instance.full_clean()
    instance.save()
    for name, related in many.items():
        getattr(instance, name).set(related)
    return instance


@transaction.atomic
def instance_update(*, instance, data: dict):
    """Change the given fields only, after ``full_clean``; saves with ``update_fields`` so a
    concurrent edit of another field is not overwritten."""
    values, many = _split_many_to_many(type(instance), data)
    for name, value in values.items():
        setattr(instance, name, value)
    instance.full_clean()
    if values:
        instance.save(
            update_fields=[
                *values,
                *(
                    field.name
                    for field in instance._meta.concrete_fields
                    if getattr(field, "auto_now", False) and field.name not in values
                ),
            ]
        )
    for name, related in many.items():
        getattr(instance, name).set(related)
    return instance


def _split_many_to_many(model, data: dict) -> tuple[dict, dict]:
    many_names = {field.name for field in model._meta.many_to_many}
    values = {name: value for name, value in data.items() if name not in many_names}
    many = {name: value for name, value in data.items() if name in many_names}
    return values, many
