"""API plumbing shared by every app: owner scoping, owned related fields, pagination, errors.

Ownership is enforced in querysets, never only in permissions: DRF does not run object
permissions on lists, and a related-field choice that is not scoped leaks another creator's
ids. Every viewset under ``/api/v1/`` therefore derives its queryset from
``Model.objects.owned_by(request.user)`` through :class:`OwnedViewSetMixin`, and every related
field that points at a creator-owned model is an :class:`OwnedPrimaryKeyRelatedField`.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

import django_filters
import django_filters.fields
import django_filters.widgets
from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils import timezone
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .errors import RowsInvalid
from .models import owner_path
from .services import instance_create, instance_update

MAX_PAGE_SIZE = 500


# --- related fields --------------------------------------------------------------------------


class OwnedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """Accepts only the requester's own rows: another creator's id is 'Invalid pk', exactly as
    if it did not exist, so the answer never tells whether it does."""

    def get_queryset(self):
        queryset = super().get_queryset()
        if owner_path(queryset.model) is None:
            return queryset
        request = self.context.get("request")
        return queryset.owned_by(getattr(request, "user", None))


class OwnedModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose generated related fields are owner-scoped by default, so a field
    added tomorrow cannot point at another creator's row by accident."""

    serializer_related_field = OwnedPrimaryKeyRelatedField


MAX_ID = 2**63 - 1


class IdFilter(django_filters.NumberFilter):
    """Filter by a related row's id; the list it filters is already the requester's own."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 moment turned into UTC: PostgreSQL refuses offsets beyond ±15:59 that
    ISO 8601 allows, and a moment is the same moment in UTC."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None and timezone.is_aware(value):
            try:
                value = value.astimezone(UTC)
            except OverflowError:
                raise forms.ValidationError("Enter a moment between years 1 and 9999.") from None
        return value


class UtcIsoDateTimeRangeField(django_filters.fields.RangeField):
    widget = django_filters.widgets.DateRangeWidget

    def __init__(self, *args, **kwargs):
        super().__init__((UtcIsoDateTimeField(), UtcIsoDateTimeField()), *args, **kwargs)


class MomentFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class MomentRangeFilter(django_filters.IsoDateTimeFromToRangeFilter):
    """``<name>_after`` / ``<name>_before``, ISO 8601 moments, inclusive."""

    field_class = UtcIsoDateTimeRangeField


def rows_validate(serializer_class: type[serializers.Serializer], data: Any, **kwargs) -> list:
    """Validate a bulk body ``{"rows": [...]}`` row by row with ``serializer_class``.

    Shape problems (no list, too many rows) are ordinary field errors; bad rows raise
    :class:`RowsInvalid` with every bad row's index and fields, and nothing is written.
    """
    outer = BulkBodySerializer(data=data, context={"max_rows": settings.API_BULK_MAX_ROWS})
    outer.is_valid(raise_exception=True)
    rows = serializer_class(data=outer.validated_data["rows"], many=True, **kwargs)
    if not rows.is_valid():
        errors = rows.errors
        by_index = errors.items() if isinstance(errors, dict) else enumerate(errors)
        raise RowsInvalid(
            [{"index": int(i), "fields": fields} for i, fields in sorted(by_index) if fields]
        )
    return rows.validated_data


class BulkBodySerializer(serializers.Serializer):
    rows = serializers.ListField(child=serializers.DictField(), allow_empty=False)

    def validate_rows(self, rows: list) -> list:
        limit = self.context["max_rows"]
        if len(rows) > limit:
            raise serializers.ValidationError(f"At most {limit} rows per request.")
        return rows


# --- pagination ------------------------------------------------------------------------------


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class IdCursorPagination(CursorPagination):
    """For tables that grow by the thousand a day: stable pages whatever is inserted meanwhile."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = ("id",)

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            try:
                int(cursor.position)
            except ValueError:
                raise exceptions.NotFound(self.invalid_cursor_message) from None
        return cursor


# --- viewsets --------------------------------------------------------------------------------


class OwnedViewSetMixin:
    """Scope a (Model)ViewSet to the requester and write through validated model saves.

    ``queryset`` on the viewset carries the select_related/prefetch/annotations that keep a list
    at a fixed number of queries; this mixin narrows it to the requester's rows. Creates set
    ``owner`` from the request for models that have the field, and both creates and updates go
    through ``full_clean`` (model rules, constraints) before saving. The response is rendered
    from the row re-read through ``get_queryset`` so annotated figures are present.
    """

    def get_queryset(self):
        queryset = super().get_queryset()
        if owner_path(queryset.model) is None:
            return queryset
        return queryset.owned_by(self.request.user)

    def perform_create(self, serializer) -> None:
        instance = instance_create(
            model=self.get_queryset().model,
            data=serializer.validated_data,
            owner=self.request.user,
        )
        serializer.instance = self.get_queryset().get(pk=instance.pk)

    def perform_update(self, serializer) -> None:
        instance = instance_update(instance=serializer.instance, data=serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=instance.pk)


# --- errors ----------------------------------------------------------------------------------


def _message(detail: Any) -> str:
    """The first message, prefixed with the field it is about: "slug: This field is required."."""
    if isinstance(detail, list) and detail:
        return _message(detail[0])
    if isinstance(detail, dict) and detail:
        name, inner = next(iter(detail.items()))
        text = _message(inner)
        return text if name in ("non_field_errors", "detail") else f"{name}: {text}"
    return str(detail)


def api_exception_handler(exc: Exception, context: dict) -> Any:
    """Every error body is ``{"error": {"code", "message", "fields" | "rows"}}``.

    ``fields`` keeps DRF's field errors exactly as DRF produces them (lists of messages per
    field, nested for nested serializers); ``rows`` is used by the bulk endpoints. Model
    validation raised from ``full_clean`` in a service becomes a 400 like a serializer error.
    """
    if isinstance(exc, RowsInvalid):
        return Response(
            {"error": {"code": "invalid_rows", "message": exc.message, "rows": exc.rows}},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, DjangoValidationError):
        detail = serializers.as_serializer_error(exc)
        if NON_FIELD_ERRORS in detail:
            detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, IntegrityError):
        # Two writers raced past validation (e.g. the same slug twice at once).
        set_rollback()
        return Response(
            {"error": {"code": "conflict", "message": "The row conflicts with another one."}},
            status=status.HTTP_409_CONFLICT,
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    error: dict[str, Any] = {"code": _code(exc), "message": ""}
    if isinstance(exc, exceptions.ValidationError):
        fields = response.data if isinstance(response.data, dict) else {}
        if isinstance(response.data, list):
            fields = {"non_field_errors": response.data}
        error["message"] = _message(fields) or "Invalid input."
        error["fields"] = fields
    else:
        error["message"] = _message(response.data.get("detail", exc.detail))
    response.data = {"error": error}
    return response


def _code(exc: exceptions.APIException) -> str:
    if isinstance(exc, exceptions.ValidationError):
        return "invalid"
    detail = getattr(exc, "detail", None)
    return getattr(detail, "code", None) or exc.default_code
