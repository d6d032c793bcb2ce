"""API for tracking links (one per video or campaign post), the funnel figures, and the
attribution shown on each sale."""

from __future__ import annotations

from django.db.models import Count, F, QuerySet
from django.db.models.functions import Coalesce
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from campaigns import api as campaigns_api
from campaigns.models import Campaign, Phase
from core.api import IdFilter, OwnedModelSerializer, OwnedViewSetMixin

from . import services
from .models import FunnelScope, FunnelStat, TrackingLink

# --- querysets -------------------------------------------------------------------------------


def links_with_figures() -> QuerySet[TrackingLink]:
    """Links with what they stand for (a post link: its campaign's course and its platform; a
    video link: the video's) and their counted clicks, in one query for any number of links."""
    return TrackingLink.objects.annotate(
        link_course=Coalesce("post__campaign__course_id", "video__course_id"),
        link_platform=Coalesce("post__platform_id", "video__platform_id"),
        link_campaign=F("post__campaign_id"),
        click_count=Count("clicks"),
    )


def campaign_links(*, owner, campaign: Campaign) -> QuerySet[TrackingLink]:
    """The links of the campaign's planned posts (suggestions have none), in posting order."""
    return (
        links_with_figures()
        .owned_by(owner)
        .filter(post__campaign=campaign, post__is_suggestion=False)
        .order_by("post__planned_at", "id")
    )


# --- serializers -----------------------------------------------------------------------------


class TrackingLinkSerializer(OwnedModelSerializer):
    """A link and its figures. Created for exactly one of ``video`` or ``post`` (the caller's
    own); afterwards only ``is_active`` changes."""

    printable_code = serializers.CharField(
        read_only=True, help_text="The code as printed for platforms that forbid links."
    )
    url = serializers.SerializerMethodField(help_text="The public redirect, /r/<code>.")
    course = serializers.IntegerField(
        source="link_course",
        read_only=True,
        allow_null=True,
        help_text="A post link: its campaign's course; a video link: the video's course.",
    )
    platform = serializers.IntegerField(
        source="link_platform",
        read_only=True,
        allow_null=True,
        help_text="A post link: the post's platform; a video link: the video's platform.",
    )
    campaign = serializers.IntegerField(
        source="link_campaign",
        read_only=True,
        allow_null=True,
        help_text="A post link's campaign; null for a video link.",
    )
    clicks = serializers.IntegerField(
        source="click_count", read_only=True, help_text="Counted clicks (bots never count)."
    )

    class Meta:
        model = TrackingLink
        fields = [
            "id",
            "code",
            "printable_code",
            "url",
            "video",
            "post",
            "course",
            "platform",
            "campaign",
            "is_active",
            "created_at",
            "clicks",
        ]
        read_only_fields = ["id", "code", "created_at"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, link: TrackingLink) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(link.path) if request is not None else link.path

    def validate(self, attrs: dict) -> dict:
        if self.instance is None:
            attrs.pop("is_active", None)  # a new link is active; an existing one keeps its state
            if (attrs.get("video") is None) == (attrs.get("post") is None):
                raise serializers.ValidationError("Give exactly one of video or post.")
            return attrs
        for name in ("video", "post"):
            if name in attrs and getattr(attrs[name], "pk", None) != getattr(
                self.instance, f"{name}_id"
            ):
                raise serializers.ValidationError(
                    {name: "A link keeps its video or post; create another link instead."}
                )
        return attrs


class TrackingLinkCreateSerializer(OwnedModelSerializer):
    """The create body as documented: exactly one of ``video`` or ``post``."""

    class Meta:
        model = TrackingLink
        fields = ["video", "post"]


class TrackingLinkUpdateSerializer(OwnedModelSerializer):
    """The update body as documented: only ``is_active`` changes."""

    class Meta:
        model = TrackingLink
        fields = ["is_active"]


class CampaignLinksSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Links that did not exist before.")
    links = TrackingLinkSerializer(many=True, help_text="Every planned post's link.")


class FunnelStatSerializer(serializers.ModelSerializer):
    click_rate = serializers.FloatField(read_only=True, help_text="Link clicks per view.")
    conversion = serializers.FloatField(read_only=True, help_text="Sales per link click.")
    revenue_per_1000_views = serializers.FloatField(
        read_only=True, help_text="Net revenue per 1,000 views."
    )

    class Meta:
        model = FunnelStat
        fields = [
            "id",
            "scope",
            "key",
            "video",
            "course",
            "platform",
            "campaign",
            "phase",
            "topic",
            "hour",
            "videos",
            "views",
            "clicks",
            "visitors",
            "sales",
            "sales_inferred",
            "units",
            "gross_revenue",
            "net_revenue",
            "engagement",
            "score",
            "click_rate",
            "conversion",
            "revenue_per_1000_views",
            "computed_at",
        ]
        read_only_fields = fields


# --- filters ---------------------------------------------------------------------------------


class TrackingLinkFilter(filters.FilterSet):
    video = IdFilter()
    post = IdFilter()
    campaign = IdFilter(field_name="post__campaign")
    course = IdFilter(field_name="link_course", help_text="The link's course (derived).")

    class Meta:
        model = TrackingLink
        fields = ["video", "post", "campaign", "course", "is_active"]


class FunnelStatFilter(filters.FilterSet):
    scope = filters.ChoiceFilter(choices=FunnelScope.choices)
    course = IdFilter()
    campaign = IdFilter()
    video = IdFilter()
    platform = IdFilter()
    phase = filters.ChoiceFilter(choices=Phase.choices)

    class Meta:
        model = FunnelStat
        fields = ["scope", "course", "campaign", "video", "platform", "phase"]


# --- views -----------------------------------------------------------------------------------


@extend_schema_view(
    destroy=extend_schema(
        description=(
            "Delete the link with its counted clicks; its code stops resolving, and from the next "
            "recompute the sales that carry it are no longer credited to it. To stop a link "
            "while keeping its history, switch it off instead (PATCH is_active)."
        )
    )
)
class TrackingLinkViewSet(
    OwnedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The requester's tracking links: ``/r/<code>`` for a video or a campaign post."""

    queryset = links_with_figures()
    serializer_class = TrackingLinkSerializer
    filterset_class = TrackingLinkFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]

    @extend_schema(
        request=TrackingLinkCreateSerializer,
        responses={201: TrackingLinkSerializer, 200: TrackingLinkSerializer},
        description=(
            "The link of one of your videos or campaign posts: 201 when it is new, 200 with the "
            "existing link (active or not) when the video or post already has one."
        ),
    )
    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        video, post = serializer.validated_data.get("video"), serializer.validated_data.get("post")
        if post is not None:
            existed = TrackingLink.objects.filter(post=post).exists()
            link = services.link_for_post(owner=request.user, post=post)
        else:
            existed = TrackingLink.objects.filter(video=video, post__isnull=True).exists()
            link = services.link_for_video(owner=request.user, video=video)
        body = self.get_serializer(self.get_queryset().get(pk=link.pk)).data
        return Response(body, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    @extend_schema(
        request=TrackingLinkUpdateSerializer,
        responses=TrackingLinkSerializer,
        description="Switch the link on or off; a switched-off link answers 404 and counts "
        "nothing.",
    )
    def partial_update(self, request, pk=None):
        link = self.get_object()
        serializer = self.get_serializer(link, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if "is_active" in serializer.validated_data:
            services.link_set_active(link=link, active=serializer.validated_data["is_active"])
        return Response(self.get_serializer(self.get_queryset().get(pk=link.pk)).data)


class FunnelStatViewSet(OwnedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Views → link clicks → sales → net revenue per video, course, platform, campaign phase,
    topic and posting hour, as the last recompute stored them."""

    queryset = FunnelStat.objects.all()
    serializer_class = FunnelStatSerializer
    filterset_class = FunnelStatFilter
    ordering_fields = ["score", "net_revenue", "views", "clicks"]
    ordering = ["scope", "-net_revenue", "id"]


class CampaignViewSet(campaigns_api.CampaignViewSet):
    """The requester's campaigns; tracking adds a link for every planned post."""

    @extend_schema(
        request=None,
        responses={201: CampaignLinksSerializer, 200: CampaignLinksSerializer},
        description=(
            "A tracking link for every planned post of the campaign (suggestions get none): 201 "
            "when some were new, 200 when every post already had one."
        ),
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="tracking-links",
        pagination_class=None,
        filter_backends=[],
    )
    def tracking_links(self, request, pk=None):
        campaign = self.get_object()
        created = services.links_for_campaign(owner=request.user, campaign=campaign)
        body = CampaignLinksSerializer(
            {"created": created, "links": campaign_links(owner=request.user, campaign=campaign)},
            context=self.get_serializer_context(),
        ).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
