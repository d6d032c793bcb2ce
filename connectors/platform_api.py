"""API for the requester's platform connections: connect, list, remove, sync now."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import OwnedModelSerializer, OwnedViewSetMixin
from videos.models import Platform

from . import platform_services as services
from .models import PlatformConnection


class PlatformConnectionSerializer(OwnedModelSerializer):
    # platform, account_id and video_ids are what a create names (validated by the create
    # serializer and the service); everything else is the sync's.
    platform = serializers.SlugRelatedField(slug_field="slug", queryset=Platform.objects.all())
    secret_hint = serializers.CharField(read_only=True)
    # in the request's language, whatever language the sync that failed ran in
    last_error = serializers.CharField(source="last_error_text", read_only=True)

    class Meta:
        model = PlatformConnection
        fields = [
            "id", "platform", "account_id", "video_ids", "secret_hint", "status",
            "last_success_at", "next_run_at", "last_error", "rate_limit_waits",
            "snapshots_stored", "videos_created", "last_fetched", "last_corrections_count",
            "last_corrections", "created_at",
        ]  # fmt: skip
        read_only_fields = [
            name for name in fields if name not in ("platform", "account_id", "video_ids")
        ]


class PlatformConnectionCreateSerializer(serializers.Serializer):
    platform = serializers.ChoiceField(choices=["bilibili", "youtube-shorts"])
    account_id = serializers.CharField(required=False, allow_blank=True, max_length=100)
    video_ids = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=10_000
    )
    api_key = serializers.CharField(required=False, write_only=True, max_length=200)


class PlatformConnectionViewSet(
    OwnedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Platform accounts or video lists whose lifetime counts CourseReel pulls on a cadence.
    Douyin and Kuaishou connect through their sign-in on the Connections page."""

    queryset = PlatformConnection.objects.select_related("platform")
    serializer_class = PlatformConnectionSerializer
    filterset_fields = ["status"]
    ordering_fields = ["created_at"]
    ordering = ["created_at", "id"]

    @extend_schema(
        request=PlatformConnectionCreateSerializer, responses=PlatformConnectionSerializer
    )
    def create(self, request, *args, **kwargs):
        given = PlatformConnectionCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            connection = services.platform_connection_create(
                owner=request.user, **given.validated_data
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        output = self.get_serializer(self.get_queryset().get(pk=connection.pk))
        return Response(output.data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance) -> None:
        services.platform_connection_delete(connection=instance)

    @extend_schema(request=None, responses={202: None})
    @action(detail=True, methods=["post"])
    def sync(self, request, pk=None):
        try:
            services.platform_connection_sync_request(connection=self.get_object())
        except DjangoValidationError as error:
            raise serializers.ValidationError({"detail": error.messages}) from error
        return Response({"status": "queued"}, status=status.HTTP_202_ACCEPTED)

    def _pause(self, request, *, paused: bool):
        connection = self.get_object()
        try:
            services.platform_connection_pause(connection=connection, paused=paused)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"detail": error.messages}) from error
        return Response(self.get_serializer(connection).data)

    @extend_schema(request=None, responses=PlatformConnectionSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        """Take the connection off the schedule (refused while it needs re-authorisation)."""
        return self._pause(request, paused=True)

    @extend_schema(request=None, responses=PlatformConnectionSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Put a paused connection back on the schedule, with a run now."""
        return self._pause(request, paused=False)
