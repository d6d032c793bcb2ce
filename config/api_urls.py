"""The integration API, /api/v1/: one router for every app's viewsets."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from analytics import api as analytics_api
from campaigns import api as campaigns_api
from connectors import api as connectors_api
from connectors import platform_api as connectors_platform_api
from core.token_api import ApiTokenView
from courses import api as courses_api
from imports import api as imports_api
from tracking import api as tracking_api
from videos import api as videos_api
from webhooks import api as webhooks_api

router = DefaultRouter()
router.register("courses", analytics_api.CourseViewSet, basename="course")
router.register("price-tiers", courses_api.PriceTierViewSet, basename="pricetier")
router.register("discounts", courses_api.DiscountViewSet, basename="discount")
router.register("competitor-prices", courses_api.CompetitorPriceViewSet, basename="competitorprice")
router.register("sales", courses_api.SaleViewSet, basename="sale")
router.register("platforms", videos_api.PlatformViewSet, basename="platform")
router.register("videos", videos_api.VideoViewSet, basename="video")
router.register("daily-stats", videos_api.VideoDailyStatViewSet, basename="videodailystat")
router.register("import-jobs", imports_api.ImportJobViewSet, basename="importjob")
router.register("campaigns", tracking_api.CampaignViewSet, basename="campaign")
router.register("scheduled-posts", campaigns_api.ScheduledPostViewSet, basename="scheduledpost")
router.register("live-sessions", campaigns_api.LiveSessionViewSet, basename="livesession")
router.register(
    "interaction-tactics", campaigns_api.InteractionTacticViewSet, basename="interactiontactic"
)
router.register(
    "engagement-metrics", analytics_api.EngagementMetricViewSet, basename="engagementmetric"
)
router.register("forecasts", analytics_api.SalesForecastViewSet, basename="salesforecast")
router.register(
    "platform-rankings", analytics_api.PlatformRankingViewSet, basename="platformranking"
)
router.register("recompute-runs", analytics_api.RecomputeRunViewSet, basename="recomputerun")
router.register("tracking-links", tracking_api.TrackingLinkViewSet, basename="trackinglink")
router.register("funnel", tracking_api.FunnelStatViewSet, basename="funnelstat")
router.register(
    "webhook-endpoints", webhooks_api.WebhookEndpointViewSet, basename="webhookendpoint"
)
router.register(
    "webhook-deliveries", webhooks_api.WebhookDeliveryViewSet, basename="webhookdelivery"
)
router.register(
    "sales-connections", connectors_api.SalesConnectionViewSet, basename="salesconnection"
)
router.register("sales-refusals", connectors_api.RefusedEventViewSet, basename="refusedevent")
router.register(
    "platform-connections",
    connectors_platform_api.PlatformConnectionViewSet,
    basename="platformconnection",
)

app_name = "api"
urlpatterns = [
    path("settings/", analytics_api.CreatorSettingsView.as_view(), name="creator-settings"),
    path("auth/token/", ApiTokenView.as_view(), name="api-token"),
    *router.urls,
]
