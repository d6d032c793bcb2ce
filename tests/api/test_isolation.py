"""Cross-tenant sweep generated from the OpenAPI schema.

Creator A (alice) owns the rows under attack; creator B (bob) holds a token and attacks them
through every operation the schema documents:

- every path with an ``{id}`` and every method: A's id answers 404 and no row of A changes;
- every create endpoint: a body that names A's related rows answers 400 "Invalid pk" and
  creates nothing (with a control request proving the same body with B's rows works);
- every update endpoint: pointing B's own row at A's related rows answers 400.

A path, path parameter or model the tests do not know how to exercise fails the sweep, so an
endpoint added tomorrow is covered (or noticed) without editing this file.
"""

from __future__ import annotations

import pytest
from django.apps import apps

from core.models import owner_path

from .makers import CREATE_RECIPES, CREATE_STATUS, SHARED_MODELS, api_row
from .schema import (
    concrete,
    label,
    operations,
    owned_related_fields,
    path_parameters,
    view_action,
    view_class,
    view_model,
)

pytestmark = pytest.mark.django_db

DETAIL_OPERATIONS = [op for op in operations() if path_parameters(op[0])]
CREATE_PATHS = sorted(
    {path for path, method in operations() if method == "post"}
    - {path for path, _ in DETAIL_OPERATIONS}
)
PATCH_PATHS = [path for path, method in DETAIL_OPERATIONS if method == "patch"]
OWNED_MODELS = [model for model in apps.get_models() if owner_path(model)]


def snapshot(owner) -> dict[str, list[dict]]:
    """Every row of every creator-owned table that belongs to ``owner``, as stored."""
    return {
        model._meta.label: list(model.objects.owned_by(owner).order_by("pk").values())
        for model in OWNED_MODELS
    }


def send(client, method: str, path: str, body: dict | None = None, *, multipart=False):
    if method in ("get", "delete"):
        return getattr(client, method)(path)
    return getattr(client, method)(path, body or {}, format="multipart" if multipart else "json")


def test_the_schema_documents_every_api_route():
    assert len(DETAIL_OPERATIONS) >= 50
    assert len(CREATE_PATHS) >= 15
    for path, _ in operations():
        assert set(path_parameters(path)) <= {"id"}, f"unknown path parameter in {path}"


@pytest.mark.parametrize(("path", "method"), DETAIL_OPERATIONS, ids=map(label, DETAIL_OPERATIONS))
def test_other_creators_object_answers_404_and_changes_nothing(
    path, method, api_b, creator, other_creator
):
    model = view_model(path)
    if model in SHARED_MODELS:
        # Reference data: everyone reads the same rows and nobody writes them.
        assert method == "get", f"{method.upper()} on shared {model.__name__} must not exist"
        return
    row = api_row(model, creator)
    before = snapshot(creator)

    response = send(api_b, method, concrete(path, row.pk))

    assert response.status_code in (403, 404), (response.status_code, response.content[:300])
    assert response.json()["error"]["code"] in ("not_found", "permission_denied")
    assert snapshot(creator) == before


@pytest.mark.parametrize(
    ("path", "method"),
    [op for op in DETAIL_OPERATIONS if op[1] == "get" and view_action(*op) == "retrieve"],
    ids=lambda value: value,
)
def test_own_object_is_found(path, method, api_b, other_creator):
    """The control for the sweep: the same path with B's own id answers 200."""
    model = view_model(path)
    row = model.objects.first() if model in SHARED_MODELS else api_row(model, other_creator)
    response = api_b.get(concrete(path, row.pk))
    assert response.status_code == 200, response.content[:300]
    assert response.json()["id"] == row.pk


@pytest.mark.parametrize("path", CREATE_PATHS)
def test_create_naming_other_creators_rows_is_refused(path, api_b, creator, other_creator):
    recipe = CREATE_RECIPES.get(path)
    assert recipe is not None, f"tests/api/makers.py has no create recipe for {path}"
    if view_action(path, "post") == "create" and not recipe.multipart:
        serializer = view_class(path).serializer_class()
        assert set(recipe.related) == set(owned_related_fields(serializer)), (
            "the recipe must exercise every owned related field"
        )
    created_model = recipe.creates or view_model(path)

    control = send(api_b, "post", path, recipe.build(other_creator), multipart=recipe.multipart)
    assert control.status_code == CREATE_STATUS.get(path, 201), control.content[:500]

    for field, related_model in recipe.related.items():
        body = recipe.build(other_creator)
        target = body["rows"][0] if recipe.rows else body
        target[field] = api_row(related_model, creator).pk
        rows_before = created_model.objects.count()
        before = snapshot(creator)

        response = send(api_b, "post", path, body, multipart=recipe.multipart)

        assert response.status_code == 400, (field, response.content[:500])
        error = response.json()["error"]
        fields = error["rows"][0]["fields"] if recipe.rows else error["fields"]
        assert "Invalid pk" in str(fields[field]), error
        assert created_model.objects.count() == rows_before
        assert snapshot(creator) == before


@pytest.mark.parametrize("path", PATCH_PATHS)
def test_update_pointing_at_other_creators_rows_is_refused(path, api_b, creator, other_creator):
    model = view_model(path)
    fields = owned_related_fields(view_class(path).serializer_class())
    own = api_row(model, other_creator)
    for field, related_model in fields.items():
        foreign = api_row(related_model, creator).pk
        value = [foreign] if isinstance(getattr(own, field, None), list) else foreign
        before = model.objects.filter(pk=own.pk).values().get()

        response = api_b.patch(concrete(path, own.pk), {field: value}, format="json")

        assert response.status_code == 400, (field, response.content[:300])
        assert "Invalid pk" in str(response.json()["error"]["fields"][field])
        assert model.objects.filter(pk=own.pk).values().get() == before
