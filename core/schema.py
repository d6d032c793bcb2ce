"""OpenAPI generation for /api/v1/: every operation documents the error bodies it can answer
with, in the one shape ``core.api.api_exception_handler`` produces."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

API_PREFIX = "/api/v1/"


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable: invalid, invalid_rows, not_found…")
    message = serializers.CharField(help_text="The first problem, in words.")
    fields = serializers.DictField(
        required=False, help_text="DRF's field errors: {field: [messages]} (nested as sent)."
    )
    rows = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text="Bulk requests: [{index, fields}] for every refused row.",
    )


class ErrorBodySerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus the documented error responses of our API."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if not self.path.startswith(API_PREFIX):
            return responses
        codes = ["401", "429"]
        if self.method in ("POST", "PUT", "PATCH") or self._is_list_view():
            codes.append("400")
        if "{" in self.path or self._is_list_view():
            codes.append("404")  # another creator's (or no) row; a page past the end
        for code in sorted(codes):
            responses.setdefault(
                code, self._get_response_for_code(ErrorBodySerializer, code, direction=direction)
            )
        return responses
