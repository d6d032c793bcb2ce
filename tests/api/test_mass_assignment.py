"""Mass assignment: a write that sets ``owner``, ids, timestamps or computed figures changes
none of them. Generated from the schema's create and update endpoints: every read-only field
of the serializer is sent with a value it must ignore."""

from __future__ import annotations

import pytest
from rest_framework import serializers

from core.api import OwnedModelSerializer

from .makers import CREATE_RECIPES, api_row
from .schema import operations, view_action, view_class, view_model

pytestmark = pytest.mark.django_db

FORGED_ID = 987654321
FORGED_MOMENT = "2001-02-03T04:05:06Z"

CREATE_PATHS = [path for path, method in operations() if view_action(path, method) == "create"]
PATCH_PATHS = [
    path for path, method in operations() if view_action(path, method) == "partial_update"
]


def forged(name: str, field: serializers.Field, other_owner_id: int):
    """A value the API must not store for this read-only field."""
    if name == "owner":
        return other_owner_id
    if isinstance(field, serializers.DateTimeField):
        return FORGED_MOMENT
    if isinstance(field, serializers.DateField):
        return "2001-02-03"
    if isinstance(field, serializers.BooleanField):
        return True
    if isinstance(field, serializers.IntegerField | serializers.RelatedField):
        return FORGED_ID
    if isinstance(field, serializers.FloatField | serializers.DecimalField):
        return 4242.5
    if isinstance(field, serializers.ListField | serializers.ListSerializer):
        return ["forged"]
    if isinstance(field, serializers.DictField | serializers.JSONField | serializers.Serializer):
        return {"forged": True}
    return "forged"


def forged_body(serializer: serializers.Serializer, other_owner_id: int) -> dict:
    return {
        name: forged(name, field, other_owner_id)
        for name, field in serializer.fields.items()
        if field.read_only
    }


def test_every_create_and_update_serializer_has_read_only_fields():
    assert len(CREATE_PATHS) >= 12
    assert len(PATCH_PATHS) >= 11
    for path in CREATE_PATHS + PATCH_PATHS:
        serializer = view_class(path).serializer_class()
        assert "id" in serializer.fields and serializer.fields["id"].read_only, path


@pytest.mark.parametrize("path", CREATE_PATHS)
def test_create_ignores_read_only_fields(path, api_b, creator, other_creator):
    recipe = CREATE_RECIPES[path]
    serializer = view_class(path).serializer_class()
    forgery = forged_body(serializer, creator.pk)
    body = {**recipe.build(other_creator), **({} if recipe.multipart else forgery)}

    response = api_b.post(path, body, format="multipart" if recipe.multipart else "json")

    assert response.status_code == 201, response.content[:500]
    data = response.json()
    row = view_model(path).objects.get(pk=data["id"])
    assert row.pk != FORGED_ID
    if hasattr(row, "owner_id"):
        assert row.owner_id == other_creator.pk
    for name in ("created_at", "updated_at"):
        if hasattr(row, name):
            assert getattr(row, name).year != 2001
    for name, value in forgery.items():
        if name == "owner":
            assert data[name] == other_creator.pk
        else:
            assert data[name] != value, f"{name} took the forged value"


@pytest.mark.parametrize("path", PATCH_PATHS)
def test_update_ignores_read_only_fields(path, api_b, creator, other_creator):
    model = view_model(path)
    row = api_row(model, other_creator)
    forgery = forged_body(view_class(path).serializer_class(), creator.pk)
    before = model.objects.filter(pk=row.pk).values().get()

    response = api_b.patch(path.replace("{id}", str(row.pk)), forgery, format="json")

    assert response.status_code == 200, response.content[:500]
    assert model.objects.filter(pk=row.pk).values().get() == before
    assert model.objects.filter(pk=FORGED_ID).count() == 0


def test_settings_ignore_a_forged_owner(api_b, creator, other_creator):
    response = api_b.put(
        "/api/v1/settings/", {"owner": creator.pk, "engagement_weight_f": 0.8}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["owner"] == other_creator.pk
    assert not hasattr(creator, "creator_settings") or (
        creator.creator_settings.engagement_weight_f == 0.5
    )


def test_owned_serializers_are_the_default():
    """Every writable serializer of the API scopes its related fields by owner."""
    for path in CREATE_PATHS:
        assert issubclass(view_class(path).serializer_class, OwnedModelSerializer), path
