"""The project's URLs plus the baseline of the API benchmark: the same page of videos with the
same lifetime figures, read with ``.values()`` and returned by a bare Django view."""

from django.http import JsonResponse
from django.urls import include, path

from core.tokens import api_token_authenticate
from videos.api import METRIC_FIELDS, _with_lifetime_metrics
from videos.models import Video

PAGE = 50
FIELDS = [
    "id",
    "owner",
    "course",
    "platform",
    "platform_video_id",
    "title",
    "topic",
    "target_audience",
    "length_seconds",
    "production_level",
    "usefulness",
    "hashtags",
    "script_opening",
    "script_body",
    "script_closing",
    "status",
    "scheduled_at",
    "published_at",
    "created_at",
    "updated_at",
    *(f"lifetime_{name}" for name in METRIC_FIELDS),
]


def bare_video_list(request):
    """Same work as GET /api/v1/videos/ minus DRF: token lookup, count, one page of rows."""
    key = request.headers.get("Authorization", "").removeprefix("Token ")
    token = api_token_authenticate(key=key)
    videos = _with_lifetime_metrics(Video.objects.filter(owner=token.user)).order_by(
        "-published_at", "-created_at"
    )
    return JsonResponse({"count": videos.count(), "results": list(videos.values(*FIELDS)[:PAGE])})


urlpatterns = [
    path("bench/bare-videos/", bare_video_list),
    path("", include("config.urls")),
]
