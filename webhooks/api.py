"""API for the requester's webhook endpoints and the log of their deliveries."""

from __future__ import annotations

from django_filters import rest_framework as filters
from rest_framework import mixins, serializers, viewsets

from core.api import IdFilter, OwnedModelSerializer, OwnedViewSetMixin

from . import services
from .models import Event, WebhookDelivery, WebhookEndpoint


class WebhookEndpointSerializer(OwnedModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.choices), allow_empty=False, max_length=10
    )
    secret = serializers.CharField(
        read_only=True,
        help_text=(
            "Verify each delivery: X-CourseReel-Signature is sha256=<hex HMAC-SHA256 of the raw "
            "body with this secret>."
        ),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "description", "active", "secret", "created_at"]
        read_only_fields = ["id", "secret", "created_at"]

    def validate_events(self, events: list[str]) -> list[str]:
        return list(dict.fromkeys(events))


class WebhookDeliverySerializer(serializers.ModelSerializer):
    last_error = serializers.ChoiceField(
        choices=WebhookDelivery.Error.choices,
        allow_blank=True,
        read_only=True,
        help_text=(
            "What went wrong on the last attempt, as a class (empty when nothing did); the "
            "receiver's answer body is never kept. Refused connections, timeouts and TLS "
            "failures are all could_not_connect."
        ),
    )

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "event",
            "payload",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "last_attempt_at",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields


class WebhookDeliveryFilter(filters.FilterSet):
    endpoint = IdFilter()

    class Meta:
        model = WebhookDelivery
        fields = ["endpoint", "event", "status"]


class WebhookEndpointViewSet(OwnedViewSetMixin, viewsets.ModelViewSet):
    """URLs that receive signed JSON POSTs for the chosen events."""

    queryset = WebhookEndpoint.objects.all()
    serializer_class = WebhookEndpointSerializer
    filterset_fields = ["active"]
    ordering_fields = ["created_at", "url"]
    ordering = ["-created_at", "-id"]

    def perform_create(self, serializer) -> None:
        endpoint = services.webhook_endpoint_create(
            owner=self.request.user, data=serializer.validated_data
        )
        serializer.instance = self.get_queryset().get(pk=endpoint.pk)

    def perform_update(self, serializer) -> None:
        endpoint = services.webhook_endpoint_update(
            endpoint=serializer.instance, data=serializer.validated_data
        )
        serializer.instance = self.get_queryset().get(pk=endpoint.pk)


class WebhookDeliveryViewSet(
    OwnedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Every delivery with its status, attempts, the receiver's last status code and the class
    of the last error (never the receiver's answer body)."""

    queryset = WebhookDelivery.objects.all()
    serializer_class = WebhookDeliverySerializer
    filterset_class = WebhookDeliveryFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]
