from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from analytics import views as analytics_views
from connectors import receive_views as connectors_receive
from core import views as core_views
from tracking import views as tracking_views

urlpatterns = [
    path("", analytics_views.dashboard, name="dashboard"),
    path(
        "courses/<int:course_id>/forecast/days/",
        analytics_views.forecast_days,
        name="course-forecast-days",
    ),
    path("courses/", include("courses.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("videos/", include("videos.urls")),
    path("imports/", include("imports.urls")),
    path("tracking/", include("tracking.urls")),
    path("settings/connections/", include("connectors.urls")),
    path("settings/", include("analytics.settings_urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("r/<str:code>", tracking_views.redirect, name="tracking-redirect"),
    path("hooks/sales/<str:token>", connectors_receive.sales_receive, name="sales-receive"),
    path("healthz", core_views.healthz, name="healthz"),
]

# Lazy, so each request's language decides (the admin's own "Site administration" is replaced).
admin.site.site_header = gettext_lazy("CourseReel administration")
admin.site.site_title = gettext_lazy("CourseReel admin")
admin.site.index_title = gettext_lazy("Your courses, videos and campaigns")
