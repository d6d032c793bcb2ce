"""API for the requester's shop connections and the events they refused."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import IdFilter, OwnedModelSerializer, OwnedViewSetMixin

from . import services
from .models import RefusedEvent, SalesConnection


def receive_url(request, connection: SalesConnection) -> str | None:
    if not connection.is_push:
        return None
    path = reverse("sales-receive", args=[connection.receive_token])
    return request.build_absolute_uri(path) if request is not None else path


class SalesConnectionSerializer(OwnedModelSerializer):
    kind = serializers.ChoiceField(choices=SalesConnection.Kind.choices)
    signing_secret = serializers.CharField(
        write_only=True,
        required=False,
        help_text="Stripe: the endpoint's signing secret (whsec_…). Generic: made by CourseReel.",
    )
    restricted_key = serializers.CharField(write_only=True, required=False)
    app_id = serializers.CharField(write_only=True, required=False)
    client_id = serializers.CharField(write_only=True, required=False)
    client_secret = serializers.CharField(write_only=True, required=False)
    receive_url = serializers.SerializerMethodField(
        help_text="Push kinds: where the shop POSTs its events (unguessable; keep it private)."
    )
    secret = serializers.SerializerMethodField(
        help_text="Generic kind: the signing secret, in the create and rotate answers only."
    )
    restricted_key_hint = serializers.SerializerMethodField(
        help_text="Stripe: the restricted key's last four characters (…abcd), or null."
    )
    last_error = serializers.CharField(
        source="last_error_message",
        read_only=True,
        help_text="What needs attention, in the request's language (Accept-Language).",
    )
    last_error_code = serializers.CharField(
        read_only=True, help_text="The same for programs (README 'Connecting shops')."
    )

    class Meta:
        model = SalesConnection
        fields = [
            "id", "kind", "name", "status", "receive_url", "secret",
            "signing_secret", "restricted_key", "restricted_key_hint", "app_id", "client_id",
            "client_secret", "currency_rates", "goods_mapping", "unmatched_goods",
            "price_mapping", "unmatched_prices",
            "last_event_at", "last_poll_at", "poll_started_at", "poll_heartbeat_at",
            "last_error", "last_error_code",
            "sales_created", "sales_updated", "events_refused", "created_at",
        ]  # fmt: skip
        read_only_fields = [
            "id", "status", "unmatched_goods", "unmatched_prices", "last_event_at",
            "last_poll_at", "poll_started_at", "poll_heartbeat_at",
            "sales_created", "sales_updated", "events_refused", "created_at",
        ]  # fmt: skip

    def get_receive_url(self, connection) -> str | None:
        return receive_url(self.context.get("request"), connection)

    def get_secret(self, connection) -> str | None:
        return self.context.get("shown_secret")

    def get_restricted_key_hint(self, connection) -> str | None:
        return services.connection_secret_hints(connection).get("restricted_key")

    def validate(self, attrs):
        if self.instance is not None and "kind" in attrs and attrs["kind"] != self.instance.kind:
            raise serializers.ValidationError(
                {"kind": _("The kind of a connection cannot change.")}
            )
        return attrs


SECRET_NAMES = ("signing_secret", "restricted_key", "app_id", "client_id", "client_secret")


class SalesConnectionViewSet(OwnedViewSetMixin, viewsets.ModelViewSet):
    """Shops that send sales by themselves (Stripe, generic signed webhook) or that CourseReel
    polls (Xiaoe-tech)."""

    queryset = SalesConnection.objects.all()
    serializer_class = SalesConnectionSerializer
    filterset_fields = ["kind", "status"]
    ordering_fields = ["created_at"]
    ordering = ["created_at", "id"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        connection, shown = services.connection_create(
            owner=request.user,
            kind=data["kind"],
            name=data.get("name", ""),
            secrets={name: data[name] for name in SECRET_NAMES if name in data},
        )
        self._apply_settings(connection, data)
        output = self.get_serializer(
            self.get_queryset().get(pk=connection.pk),
            context={**self.get_serializer_context(), "shown_secret": shown},
        )
        return Response(output.data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        connection = self.get_object()
        serializer = self.get_serializer(connection, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "name" in data:
            connection.name = data["name"]
            connection.save(update_fields=["name", "updated_at"])
        self._apply_settings(connection, data)
        return Response(self.get_serializer(self.get_queryset().get(pk=connection.pk)).data)

    def _apply_settings(self, connection, data) -> None:
        if "currency_rates" in data:
            services.connection_rates_update(
                connection=connection, rates=data["currency_rates"] or {}
            )
        if "goods_mapping" in data:
            services.connection_mapping_update(
                connection=connection, mapping=data["goods_mapping"] or {}
            )
        if "price_mapping" in data:
            services.connection_price_mapping_update(
                connection=connection, mapping=data["price_mapping"] or {}
            )

    def perform_destroy(self, instance) -> None:
        services.connection_delete(connection=instance)

    @extend_schema(request=None, responses=SalesConnectionSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        connection = self.get_object()
        given = {name: request.data.get(name) for name in SECRET_NAMES if request.data.get(name)}
        shown = services.connection_rotate_secret(connection=connection, secrets=given)
        output = self.get_serializer(
            self.get_queryset().get(pk=connection.pk),
            context={**self.get_serializer_context(), "shown_secret": shown},
        )
        return Response(output.data)

    @extend_schema(request=None, responses={202: None})
    @action(detail=True, methods=["post"])
    def poll(self, request, pk=None):
        try:
            services.connection_poll_request(connection=self.get_object())
        except DjangoValidationError as error:
            return Response({"detail": " ".join(error.messages)},
                            status=status.HTTP_400_BAD_REQUEST)  # fmt: skip
        return Response({"status": "queued"}, status=status.HTTP_202_ACCEPTED)


class RefusedEventSerializer(serializers.ModelSerializer):
    message = serializers.CharField(
        read_only=True, help_text="The reason in the request's language (Accept-Language)."
    )

    class Meta:
        model = RefusedEvent
        fields = [
            "id", "connection", "received_at", "code", "params", "message", "reason",
            "external_id", "excerpt",
        ]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {
            "code": {"help_text": "What was wrong, for programs (README 'Connecting shops')."},
            "reason": {"help_text": "The reason in English, as stored."},
        }


class RefusedEventFilter(filters.FilterSet):
    connection = IdFilter()

    class Meta:
        model = RefusedEvent
        fields = ["connection"]


class RefusedEventViewSet(
    OwnedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """What shops sent that CourseReel did not record, with the reason."""

    queryset = RefusedEvent.objects.all()
    serializer_class = RefusedEventSerializer
    filterset_class = RefusedEventFilter
    ordering_fields = ["received_at"]
    ordering = ["-received_at", "-id"]
