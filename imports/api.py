"""API for import jobs: upload a file, then poll its job."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from core.api import OwnedModelSerializer, OwnedViewSetMixin
from videos.models import Platform

from .models import ImportJob
from .services import import_job_create

# --- import jobs -----------------------------------------------------------------------------


class ImportJobSerializer(OwnedModelSerializer):
    progress_percent = serializers.IntegerField(read_only=True)
    errors = serializers.ListField(
        child=serializers.DictField(),
        read_only=True,
        help_text="[{row, column, message}, ...]; error_count counts those not listed too.",
    )
    result = serializers.DictField(read_only=True)
    detected_mode = serializers.ChoiceField(
        choices=ImportJob.Mode.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "kind",
            "original_filename",
            "platform",
            "mode",
            "detected_mode",
            "dry_run",
            "status",
            "rows_total",
            "rows_done",
            "progress_percent",
            "errors",
            "error_count",
            "result",
            "started_at",
            "finished_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ImportJobCreateSerializer(serializers.Serializer):
    """An upload: a CSV or XLSX platform export (kind=stats), a sales list (kind=sales) or
    courses with their videos in the seed's courses.csv layout (kind=courses)."""

    file = serializers.FileField()
    kind = serializers.ChoiceField(choices=ImportJob.Kind.choices, default=ImportJob.Kind.STATS)
    platform = serializers.PrimaryKeyRelatedField(
        queryset=Platform.objects.all(),
        required=False,
        allow_null=True,
        help_text="Stats only; empty: taken from the file.",
    )
    mode = serializers.ChoiceField(choices=ImportJob.Mode.choices, default=ImportJob.Mode.AUTO)
    dry_run = serializers.BooleanField(default=False)


class ImportJobViewSet(
    OwnedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Upload a file, then poll its job: status, rows_done/rows_total and errors by row."""

    queryset = ImportJob.objects.all()
    serializer_class = ImportJobSerializer
    parser_classes = [MultiPartParser]
    filterset_fields = ["kind", "status"]
    ordering_fields = ["created_at", "finished_at"]
    ordering = ["-created_at", "-id"]

    @extend_schema(request=ImportJobCreateSerializer, responses={201: ImportJobSerializer})
    def create(self, request, *args, **kwargs):
        upload = ImportJobCreateSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        job = import_job_create(
            owner=request.user,
            kind=data["kind"],
            file=data["file"],
            original_filename=data["file"].name,
            platform=data.get("platform"),
            mode=data["mode"],
            dry_run=data["dry_run"],
        )
        return Response(self.get_serializer(job).data, status=status.HTTP_201_CREATED)
