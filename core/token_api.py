"""API endpoint for the requester's own token (rotate, revoke, status), built on core.tokens.

Kept out of ``core.api``: that module is imported while DRF resolves its settings, before the
schema tooling may be imported.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from .tokens import api_token_get, api_token_revoke, api_token_rotate


class TokenStatusSerializer(serializers.Serializer):
    exists = serializers.BooleanField()
    created = serializers.DateTimeField(allow_null=True)
    key_hint = serializers.CharField(
        allow_null=True, help_text="The token's first 8 characters (the rest is not stored)."
    )
    last_used = serializers.DateTimeField(
        allow_null=True, help_text="Its last use, to within a few minutes."
    )


class TokenIssuedSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Send as `Authorization: Token <key>`; shown once.")
    created = serializers.DateTimeField()


class ApiTokenView(APIView):
    """The requester's API token: see whether one exists, issue a new one (the old one stops
    working), or revoke it. ``python manage.py create_api_token USER`` does the same offline."""

    @extend_schema(responses=TokenStatusSerializer)
    def get(self, request):
        token = api_token_get(user=request.user)
        return Response(
            {
                "exists": token is not None,
                "created": token.created if token else None,
                "key_hint": token.prefix if token else None,
                "last_used": token.last_used if token else None,
            }
        )

    @extend_schema(request=None, responses={201: TokenIssuedSerializer})
    def post(self, request):
        issued = api_token_rotate(user=request.user)
        return Response(
            TokenIssuedSerializer({"key": issued.key, "created": issued.created}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses={204: None})
    def delete(self, request):
        api_token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
