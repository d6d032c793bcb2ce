"""The OpenAPI schema as the tests see it, and the views behind its paths.

Generated once, at collection, with the same generator ``/api/schema/`` uses, so the
parametrized tests cover exactly what the schema documents.
"""

from __future__ import annotations

import re
from functools import cache

from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

from core.models import owner_path

METHODS = ("get", "post", "put", "patch", "delete")
API_PREFIX = "/api/v1/"


@cache
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations() -> list[tuple[str, str]]:
    return [
        (path, method)
        for path, item in sorted(schema()["paths"].items())
        if path.startswith(API_PREFIX)
        for method in METHODS
        if method in item
    ]


def path_parameters(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)


def concrete(path: str, pk: int | str = 1) -> str:
    return path.replace("{id}", str(pk))


def view_class(path: str):
    return resolve(concrete(path)).func.cls


def view_action(path: str, method: str) -> str | None:
    """The viewset action a method maps to ('list', 'create', a custom action), else None."""
    actions = getattr(resolve(concrete(path)).func, "actions", None) or {}
    return actions.get(method)


def view_model(path: str):
    return view_class(path).queryset.model


def owned_related_fields(serializer: serializers.Serializer) -> dict[str, type]:
    """Writable fields that point at creator-owned rows: {field name: related model}."""
    found = {}
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        relation = (
            field.child_relation if isinstance(field, serializers.ManyRelatedField) else field
        )
        if isinstance(relation, serializers.RelatedField) and owner_path(relation.queryset.model):
            found[name] = relation.queryset.model
    return found


def label(operation: tuple[str, str]) -> str:
    path, method = operation
    return f"{method.upper()} {path.removeprefix(API_PREFIX)}"
