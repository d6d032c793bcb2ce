"""API for courses, their price tiers, discounts, competitor prices and sales."""

from __future__ import annotations

from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import (
    MAX_ID,
    IdFilter,
    MomentFilter,
    MomentRangeFilter,
    OwnedModelSerializer,
    OwnedViewSetMixin,
    rows_validate,
)
from core.codes import code_normalize

from . import selectors, services
from .models import CompetitorPrice, Course, Discount, PriceTier, Sale

MAX_INT = 2**31 - 1

# --- serializers -----------------------------------------------------------------------------


class CourseSerializer(OwnedModelSerializer):
    audience_tags = serializers.ListField(
        child=serializers.CharField(max_length=60), max_length=50, required=False
    )
    growth_rate_override = serializers.FloatField(
        min_value=-1, max_value=10, allow_null=True, required=False
    )

    class Meta:
        model = Course
        fields = [
            "id",
            "owner",
            "title",
            "slug",
            "topic",
            "level",
            "target_audience",
            "audience_tags",
            "description",
            "launch_date",
            "status",
            "sales_page_url",
            "growth_rate_override",
            "external_id",
            "import_snapshot",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "owner", "import_snapshot", "created_at", "updated_at"]


class PriceTierSerializer(OwnedModelSerializer):
    class Meta:
        model = PriceTier
        fields = ["id", "course", "level", "name", "list_price", "currency", "position"]
        read_only_fields = ["id"]
        extra_kwargs = {
            "list_price": {"min_value": 0},
            "position": {
                "min_value": 0,
                "max_value": MAX_INT,
                "required": False,
                "help_text": (
                    "The tier's place in its course's list, 0 first. A new tier without one "
                    "goes to the end; setting it moves the tier there and renumbers the "
                    "course's other tiers 0, 1, 2 …"
                ),
            },
        }


class DiscountSerializer(OwnedModelSerializer):
    class Meta:
        model = Discount
        fields = [
            "id",
            "course",
            "tier",
            "name",
            "kind",
            "value",
            "starts_at",
            "ends_at",
            "code",
            "max_redemptions",
        ]
        read_only_fields = ["id"]
        extra_kwargs = {"value": {"min_value": 0}}


class CompetitorPriceSerializer(OwnedModelSerializer):
    class Meta:
        model = CompetitorPrice
        fields = [
            "id",
            "course",
            "competitor",
            "platform",
            "price",
            "currency",
            "level",
            "observed_on",
            "url",
        ]
        read_only_fields = ["id"]
        extra_kwargs = {"price": {"min_value": 0}}


SALE_FIELDS = [
    "id",
    "course",
    "tier",
    "platform",
    "source_video",
    "quantity",
    "unit_price",
    "sold_at",
    "order_ref",
    "tracking_code",
]


class TrackingCodeMixin:
    def validate_tracking_code(self, value: str) -> str:
        """A printed code, the /r/ link or a landing URL all store as the code."""
        return code_normalize(value)


class SaleAttributionSerializer(serializers.Serializer):
    """How the last recompute credited a sale; read with the sale (``attribution__link``
    joined), never with a query of its own. The attribution is tracking's row, reached through
    the sale's reverse relation."""

    method = serializers.CharField(read_only=True)
    method_label = serializers.CharField(source="get_method_display", read_only=True)
    link = serializers.IntegerField(source="link_id", read_only=True, allow_null=True)
    link_code = serializers.CharField(source="link.code", read_only=True, allow_null=True)
    video = serializers.IntegerField(source="video_id", read_only=True, allow_null=True)
    click_at = serializers.DateTimeField(read_only=True, allow_null=True)
    inferred = serializers.BooleanField(
        read_only=True, help_text="Credited to the last click before the sale, not by a code."
    )
    computed_at = serializers.DateTimeField(read_only=True)


class SaleSerializer(TrackingCodeMixin, OwnedModelSerializer):
    attribution = SaleAttributionSerializer(
        read_only=True,
        allow_null=True,
        help_text="Which video the sale is credited to; null until the next recompute.",
    )

    class Meta:
        model = Sale
        fields = [*SALE_FIELDS, "attribution"]
        read_only_fields = ["id"]
        extra_kwargs = {"quantity": {"min_value": 1}, "unit_price": {"min_value": 0}}


class SaleRowSerializer(TrackingCodeMixin, serializers.ModelSerializer):
    """One row of a bulk sales request: related rows by id, checked for ownership in batch."""

    course = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    tier = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    platform = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True
    )
    source_video = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True
    )

    class Meta:
        model = Sale
        fields = SALE_FIELDS[1:]
        # Uniqueness is checked for the whole batch by the service, not with a query per row.
        validators = []
        extra_kwargs = {"quantity": {"min_value": 1}, "unit_price": {"min_value": 0}}


class SalesBulkSerializer(serializers.Serializer):
    rows = SaleRowSerializer(many=True, help_text="Up to API_BULK_MAX_ROWS sales.")


class SalesBulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    ids = serializers.ListField(child=serializers.IntegerField())


class EffectivePriceSerializer(serializers.Serializer):
    tier = serializers.IntegerField(source="tier.id")
    tier_name = serializers.CharField(source="tier.name")
    level = serializers.CharField(source="tier.level")
    currency = serializers.CharField(source="tier.currency")
    list_price = serializers.DecimalField(source="tier.list_price", max_digits=10, decimal_places=2)
    price = serializers.DecimalField(max_digits=10, decimal_places=2)
    saving = serializers.DecimalField(max_digits=10, decimal_places=2)
    discount = serializers.IntegerField(source="discount.id", allow_null=True, default=None)
    discount_name = serializers.CharField(source="discount.name", allow_null=True, default=None)


class PricesQuerySerializer(serializers.Serializer):
    at = serializers.DateTimeField(required=False)


# --- filters ---------------------------------------------------------------------------------


class CourseFilter(filters.FilterSet):
    launch_date = filters.DateFromToRangeFilter()

    class Meta:
        model = Course
        fields = ["status", "level", "topic", "slug", "external_id", "launch_date"]


class CourseChildFilter(filters.FilterSet):
    course = IdFilter()


class PriceTierFilter(CourseChildFilter):
    class Meta:
        model = PriceTier
        fields = ["course", "level", "currency"]


class DiscountFilter(CourseChildFilter):
    tier = IdFilter()
    active_at = MomentFilter(method="filter_active_at")

    class Meta:
        model = Discount
        fields = ["course", "tier", "kind", "code", "active_at"]

    def filter_active_at(self, queryset, name, value):
        return queryset.filter(starts_at__lte=value, ends_at__gt=value)


class CompetitorPriceFilter(CourseChildFilter):
    platform = IdFilter()

    class Meta:
        model = CompetitorPrice
        fields = ["course", "platform", "level", "currency"]


class SaleFilter(CourseChildFilter):
    tier = IdFilter()
    platform = IdFilter()
    source_video = IdFilter()
    sold_at = MomentRangeFilter()

    class Meta:
        model = Sale
        fields = ["course", "tier", "platform", "source_video", "order_ref", "sold_at"]


# --- views -----------------------------------------------------------------------------------


class CourseWritesMixin:
    """Courses and their rows write through the course services (course.changed)."""

    def perform_create(self, serializer) -> None:
        model = self.get_queryset().model
        if model is Course:
            row = services.course_create(owner=self.request.user, data=serializer.validated_data)
        else:
            row = services.course_row_create(model=model, data=serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=row.pk)

    def perform_update(self, serializer) -> None:
        if isinstance(serializer.instance, Course):
            row = services.course_update(course=serializer.instance, data=serializer.validated_data)
        else:
            row = services.course_row_update(
                row=serializer.instance, data=serializer.validated_data
            )
        serializer.instance = self.get_queryset().get(pk=row.pk)

    def perform_destroy(self, instance) -> None:
        services.course_row_delete(row=instance)


class CourseViewSet(CourseWritesMixin, OwnedViewSetMixin, viewsets.ModelViewSet):
    """The requester's courses. Effective prices hang off each one (analytics adds the stored
    forecast: ``analytics.api.CourseViewSet``)."""

    queryset = Course.objects.all()
    serializer_class = CourseSerializer
    filterset_class = CourseFilter
    ordering_fields = ["title", "launch_date", "created_at", "status"]
    ordering = ["title"]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "at",
                OpenApiTypes.DATETIME,
                description="The moment to price at (ISO 8601); now when absent.",
            )
        ],
        responses=EffectivePriceSerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def prices(self, request, pk=None):
        """Each tier's price at a moment: list price minus the best discount running then."""
        course = self.get_object()
        query = PricesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        at = query.validated_data.get("at") or timezone.now()
        prices = selectors.course_effective_prices(course=course, at=at)
        return Response(EffectivePriceSerializer(prices, many=True).data)


class PriceTierViewSet(CourseWritesMixin, OwnedViewSetMixin, viewsets.ModelViewSet):
    queryset = PriceTier.objects.all()
    serializer_class = PriceTierSerializer
    filterset_class = PriceTierFilter
    ordering_fields = ["position", "list_price", "name", "level"]
    ordering = ["course_id", "position", "list_price", "id"]


class DiscountViewSet(CourseWritesMixin, OwnedViewSetMixin, viewsets.ModelViewSet):
    queryset = Discount.objects.all()
    serializer_class = DiscountSerializer
    filterset_class = DiscountFilter
    ordering_fields = ["starts_at", "ends_at", "value", "name"]
    ordering = ["starts_at"]


class CompetitorPriceViewSet(CourseWritesMixin, OwnedViewSetMixin, viewsets.ModelViewSet):
    queryset = CompetitorPrice.objects.all()
    serializer_class = CompetitorPriceSerializer
    filterset_class = CompetitorPriceFilter
    ordering_fields = ["price", "observed_on", "competitor"]
    ordering = ["course_id", "price"]


class SaleViewSet(
    OwnedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Sales are recorded (one, or thousands at once) and read; a wrong one is deleted and
    recorded again. Each recording sends ``sale.recorded`` to the creator's webhooks."""

    queryset = Sale.objects.select_related("attribution__link")
    serializer_class = SaleSerializer
    filterset_class = SaleFilter
    ordering_fields = ["sold_at", "unit_price", "quantity"]
    ordering = ["-sold_at", "-id"]

    def perform_create(self, serializer) -> None:
        sale = services.sale_record(owner=self.request.user, data=serializer.validated_data)
        serializer.instance = sale

    @extend_schema(
        request=SalesBulkSerializer,
        responses={201: SalesBulkResultSerializer},
        description=(
            "Record up to API_BULK_MAX_ROWS sales at once, all or nothing. A refused batch "
            'answers 400 with `{"error": {"code": "invalid_rows", "rows": [{"index", '
            '"fields"}]}}` naming every bad row.'
        ),
    )
    @action(detail=False, methods=["post"], pagination_class=None, filter_backends=[])
    def bulk(self, request):
        rows = rows_validate(SaleRowSerializer, request.data, context=self.get_serializer_context())
        created = services.sales_record_bulk(owner=request.user, rows=rows)
        return Response(
            {"created": len(created), "ids": [sale.pk for sale in created]},
            status=status.HTTP_201_CREATED,
        )
