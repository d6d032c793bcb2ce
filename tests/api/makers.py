"""Rows and request bodies for the API tests, keyed by model and by path.

The schema-driven tests look up every path and model they meet here; a path or model with no
entry fails them, so a new endpoint cannot slip past the isolation matrix untested.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from itertools import count
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from analytics.models import SalesForecast
from campaigns.models import Campaign, ScheduledPost
from connectors.models import PlatformConnection, RefusedEvent, SalesConnection
from connectors.platform_services import platform_connection_create
from connectors.services import connection_create
from core.models import ApiToken
from courses.models import Course, PriceTier, Sale
from imports.models import ImportJob
from tests.factories import (
    CampaignFactory,
    CourseFactory,
    ForecastPointFactory,
    LinkClickFactory,
    PriceTierFactory,
    SaleAttributionFactory,
    ScheduledPostFactory,
    TrackingLinkFactory,
    VideoFactory,
    owned_row,
    platform,
)
from tracking.models import AttributionMethod, TrackingLink
from videos.models import Platform, Video, VideoDailyStat
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint

_serial = count(1)

# Shared reference data: every creator reads the same rows.
SHARED_MODELS = {Platform}


def webhook_endpoint(owner, **kwargs) -> WebhookEndpoint:
    kwargs.setdefault("url", "http://127.0.0.1:9/hook")
    kwargs.setdefault("events", [Event.SALE_RECORDED])
    return WebhookEndpoint.objects.create(owner=owner, **kwargs)


def import_job(owner) -> ImportJob:
    return ImportJob.objects.create(
        owner=owner, kind=ImportJob.Kind.STATS, original_filename="stats.csv", file="x/stats.csv"
    )


def new_platform(owner=None) -> Platform:
    n = next(_serial)
    return Platform.objects.create(
        name=f"Platform {n}", slug=f"platform-{n}", traffic_scale=5, commission_rate="0.1"
    )


EXTRA_MAKERS: dict[type, Callable[[Any], Any]] = {
    WebhookEndpoint: webhook_endpoint,
    WebhookDelivery: lambda owner: WebhookDelivery.objects.create(
        endpoint=webhook_endpoint(owner), event=Event.SALE_RECORDED, payload={"sales": []}
    ),
    ImportJob: import_job,
    Platform: new_platform,
    SalesConnection: lambda owner: connection_create(owner=owner, kind="generic")[0],
    PlatformConnection: lambda owner: platform_connection_create(
        owner=owner, platform="bilibili", video_ids=["BV1xx411c7mD"]
    ),
    RefusedEvent: lambda owner: RefusedEvent.objects.create(
        connection=connection_create(owner=owner, kind="generic")[0], reason="No course"
    ),
}


def api_row(model, owner):
    """One row of ``model`` owned by ``owner`` (tests.factories.owned_row plus API-only models)."""
    if model in EXTRA_MAKERS:
        return EXTRA_MAKERS[model](owner)
    return owned_row(model, owner)


def post_link(owner) -> TrackingLink:
    post = ScheduledPostFactory(campaign=CampaignFactory(owner=owner))
    return TrackingLinkFactory(video=None, post=post, owner=owner)


def list_row(model, owner):
    """A row for the list query-count pins, with its nested rows filled in (points of a
    forecast, platforms of a campaign, clicks of a link, a sale's attribution) so a missing
    prefetch or annotation shows up as extra queries."""
    if model is TrackingLink and next(_serial) % 2:
        row = post_link(owner)  # every other link is a campaign post's
    else:
        row = api_row(model, owner)
    if model is SalesForecast:
        ForecastPointFactory(forecast=row)
        ForecastPointFactory(forecast=row)
    if model is Campaign:
        row.platforms.add(platform("douyin"), platform("bilibili"))
    if model is TrackingLink:
        LinkClickFactory(link=row)
        LinkClickFactory(link=row)
    if model is Sale and next(_serial) % 2:  # every other sale has been attributed
        link = TrackingLinkFactory(video=VideoFactory(owner=owner, course=row.course))
        SaleAttributionFactory(
            sale=row, method=AttributionMethod.CODE, link=link, video=link.video, click_at=_now()
        )
    return row


# --- request bodies: what each create endpoint accepts, built from the requester's rows -------


def _now() -> datetime:
    return timezone.now().replace(microsecond=0)


def _course(owner) -> Course:
    return CourseFactory(owner=owner)


def _tier(course: Course) -> PriceTier:
    return PriceTierFactory(course=course)


def _video(owner) -> Video:
    return VideoFactory(owner=owner)


def _campaign(owner) -> Campaign:
    return CampaignFactory(owner=owner)


def _live_session(owner) -> dict:
    """A live session on launch day: sessions must fall inside the campaign's windows."""
    campaign = _campaign(owner)
    starts_at = timezone.make_aware(datetime.combine(campaign.launch_date, time(20, 0)))
    return {
        "campaign": campaign.pk,
        "platform": platform().pk,
        "title": "Q&A",
        "starts_at": starts_at.isoformat(),
        "duration_minutes": 45,
    }


def _sale_row(owner) -> dict:
    course = _course(owner)
    return {
        "course": course.pk,
        "tier": _tier(course).pk,
        "platform": platform().pk,
        "source_video": VideoFactory(owner=owner, course=course).pk,
        "quantity": 2,
        "unit_price": "99.00",
        "sold_at": _now().isoformat(),
        "order_ref": f"order-{next(_serial)}",
    }


def _stat_row(owner) -> dict:
    return {"video": _video(owner).pk, "date": "2026-01-05", "views": 100, "likes": 5}


def _post_body(owner) -> dict:
    campaign = _campaign(owner)
    planned = timezone.make_aware(datetime.combine(campaign.launch_date, time(19)))
    return {
        "campaign": campaign.pk,
        "video": _video(owner).pk,
        "platform": platform().pk,
        "planned_at": planned.isoformat(),
        "title": "Launch post",
    }


def _discount_body(owner) -> dict:
    course = _course(owner)
    return {
        "course": course.pk,
        "tier": _tier(course).pk,
        "name": "Launch week",
        "kind": "percent",
        "value": "15.00",
        "starts_at": _now().isoformat(),
        "ends_at": (_now() + timedelta(days=7)).isoformat(),
    }


def _upload(owner) -> dict:
    content = "视频ID,日期,播放量,点赞数,评论数\nv1,2026-01-01,100,5,1\n".encode()
    return {
        "file": SimpleUploadedFile("export.csv", content, content_type="text/csv"),
        "kind": "stats",
        "platform": platform().pk,
    }


class Recipe:
    """A valid body for a create endpoint and the related fields in it that must be the
    requester's own (``rows=True``: the fields sit in ``body["rows"][0]``)."""

    def __init__(
        self,
        build: Callable[[Any], dict],
        related: dict[str, type] | None = None,
        *,
        rows: bool = False,
        multipart: bool = False,
        creates: type | None = None,
    ) -> None:
        self.build = build
        self.related = related or {}
        self.rows = rows
        self.multipart = multipart
        self.creates = creates


def _rows(build: Callable[[Any], dict]) -> Callable[[Any], dict]:
    return lambda owner: {"rows": [build(owner)]}


CREATE_RECIPES: dict[str, Recipe] = {
    "/api/v1/courses/": Recipe(lambda o: {"title": "New", "slug": f"new-{next(_serial)}"}),
    "/api/v1/price-tiers/": Recipe(
        lambda o: {"course": _course(o).pk, "name": "Pro", "list_price": "199.00"},
        {"course": Course},
    ),
    "/api/v1/discounts/": Recipe(_discount_body, {"course": Course, "tier": PriceTier}),
    "/api/v1/competitor-prices/": Recipe(
        lambda o: {"course": _course(o).pk, "competitor": "Rival", "price": "120.00"},
        {"course": Course},
    ),
    "/api/v1/sales/": Recipe(
        _sale_row, {"course": Course, "tier": PriceTier, "source_video": Video}
    ),
    "/api/v1/sales/bulk/": Recipe(
        _rows(_sale_row),
        {"course": Course, "tier": PriceTier, "source_video": Video},
        rows=True,
        creates=Sale,
    ),
    "/api/v1/videos/": Recipe(
        lambda o: {"title": "New video", "platform": platform().pk, "course": _course(o).pk},
        {"course": Course},
    ),
    "/api/v1/daily-stats/": Recipe(
        lambda o: {"video": _video(o).pk, "date": "2026-01-05", "views": 100}, {"video": Video}
    ),
    "/api/v1/daily-stats/bulk/": Recipe(
        _rows(_stat_row),
        {"video": Video},
        rows=True,
        creates=VideoDailyStat,
    ),
    "/api/v1/campaigns/": Recipe(
        lambda o: {
            "course": _course(o).pk,
            "name": "Launch",
            "launch_date": str(date.today() + timedelta(days=20)),
            "platforms": [platform().pk],
        },
        {"course": Course},
    ),
    "/api/v1/scheduled-posts/": Recipe(_post_body, {"campaign": Campaign, "video": Video}),
    "/api/v1/live-sessions/": Recipe(
        lambda o: _live_session(o),
        {"campaign": Campaign},
    ),
    "/api/v1/interaction-tactics/": Recipe(
        lambda o: {"campaign": _campaign(o).pk, "kind": "hashtag", "text": "#python"},
        {"campaign": Campaign},
    ),
    "/api/v1/tracking-links/": Recipe(
        lambda o: {"video": _video(o).pk}, {"video": Video, "post": ScheduledPost}
    ),
    # A public address, not a name: saving resolves the host and tests have no DNS.
    "/api/v1/webhook-endpoints/": Recipe(
        lambda o: {"url": "https://93.184.215.14/hook", "events": ["sale.recorded"]}
    ),
    "/api/v1/recompute-runs/enqueue/": Recipe(lambda o: {}),
    "/api/v1/sales-connections/": Recipe(
        lambda o: {"kind": "stripe", "signing_secret": "whsec_test"}
    ),
    "/api/v1/import-jobs/": Recipe(_upload, multipart=True),
    "/api/v1/platform-connections/": Recipe(
        lambda o: {"platform": "bilibili", "video_ids": ["BV1xx411c7mD"]}
    ),
    "/api/v1/auth/token/": Recipe(lambda o: {}, creates=ApiToken),
}

# Positive answers of the create endpoints that do not answer 201.
CREATE_STATUS = {"/api/v1/daily-stats/bulk/": 200, "/api/v1/recompute-runs/enqueue/": 202}
