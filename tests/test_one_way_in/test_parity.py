"""The parity matrix: one business rule, every way in, one answer.

For each rule in :data:`RULES` the same bad input goes through every surface that can express
it — the creator's page form, the DRF API (single and bulk), the Django admin (its add/change
form and, where a parent's page has one, the inline) — and each must refuse it with the same
message and write nothing. ``test_refused[rule-surface]`` checks one cell;
``test_surfaces_agree[rule]`` collects the message of every surface of a rule and compares them.

Rules about another creator's rows (``OWNERSHIP_RULES``) are different on purpose: each
surface must answer exactly as it answers for an id that does not exist (a 404 page, DRF's
"Invalid pk", the admin's "Select a valid choice"), so nothing tells whether the row exists;
``test_foreign_row_answers_as_missing[rule-surface]`` checks that.

Surfaces that do not exist for a rule are named in each rule's ``unreachable`` (and listed in
:data:`UNREACHABLE`): there is no page for discounts, price tiers, sales (other than a file
upload on /imports/, whose row/column messages are covered by the import tests), live
sessions, interaction tactics, courses or daily statistics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from tests.factories import (
    CampaignFactory,
    CourseFactory,
    DiscountFactory,
    InteractionTacticFactory,
    LiveSessionFactory,
    PriceTierFactory,
    SaleFactory,
    ScheduledPostFactory,
    TrackingLinkFactory,
    VideoDailyStatFactory,
    VideoFactory,
    platform,
)

from .surfaces import (
    HTMX,
    NON_FIELD,
    Attempt,
    admin_submit,
    api_bulk,
    api_send,
    form_data,
    iso,
    normalise,
    page_form_answer,
    page_refusal,
    split,
)

pytestmark = pytest.mark.django_db


def model_of(factory):
    """The model class behind a factory (resolved lazily: apps are being reorganised)."""
    return factory._meta.get_model_class()


@dataclass
class World:
    creator: Any
    other: Any
    api: Any
    client: Any  # the creator's logged-in session: pages and admin
    today: date


@pytest.fixture
def world(creator, other_creator, api, creator_client) -> World:
    return World(creator, other_creator, api, creator_client, timezone.localdate())


def at(day: date, hour: int = 19, minute: int = 30) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


Send = Callable[[World, dict], Attempt]


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    setup: Callable[[World], dict]
    state: Callable[[dict], Any]
    surfaces: dict[str, Callable[..., Attempt]]
    field: str  # the field the message is about, as the API names it
    message: Callable[[dict], str] | None = None  # the one message every surface gives
    page_field: str | None = None  # the page form's name for ``field`` when it differs
    unreachable: dict[str, str] = field(default_factory=dict)

    def field_on(self, surface: str) -> str:
        return self.page_field if surface.startswith("page") and self.page_field else self.field


# =============================================================================================
# Scheduled posts
# =============================================================================================


def _campaign(
    w: World, *, launch_in: int, pre: int = 7, post: int = 7, slugs=("douyin", "bilibili")
):
    campaign = CampaignFactory(
        owner=w.creator,
        launch_date=w.today + timedelta(days=launch_in),
        prelaunch_days=pre,
        followup_days=post,
    )
    campaign.platforms.set([platform(slug) for slug in slugs])
    return campaign


def _window(campaign) -> tuple[date, date]:
    launch = campaign.launch_date
    return (
        launch - timedelta(days=campaign.prelaunch_days),
        launch + timedelta(days=campaign.followup_days),
    )


def _post_setup(*, launch_in: int, day_in: int, slug: str = "douyin"):
    def setup(w: World) -> dict:
        campaign = _campaign(w, launch_in=launch_in)
        day = w.today + timedelta(days=day_in)
        return {"campaign": campaign, "day": day, "platform": platform(slug), "moment": at(day)}

    return setup


def _post_count(ctx) -> int:
    return model_of(ScheduledPostFactory).objects.filter(campaign=ctx["campaign"]).count()


def post_page(w: World, ctx: dict, video_pk=None) -> Attempt:
    data = {
        "day": ctx["day"].isoformat(),
        "time": "19:30",
        "platform": ctx["platform"].pk,
        "title": "A post",
    }
    if video_pk is not None:
        data["video"] = video_pk
    response = w.client.post(f"/campaigns/{ctx['campaign'].pk}/posts/new/", data)
    return page_form_answer(response)


def post_api(w: World, ctx: dict, video_pk=None) -> Attempt:
    body = {
        "campaign": ctx["campaign"].pk,
        "platform": ctx["platform"].pk,
        "planned_at": iso(ctx["moment"]),
        "title": "A post",
    }
    if video_pk is not None:
        body["video"] = video_pk
    return api_send(w.api, "post", "/api/v1/scheduled-posts/", body)


def _post_fields(ctx: dict, video_pk=None) -> dict:
    return {
        "platform": str(ctx["platform"].pk),
        **split("planned_at", ctx["moment"]),
        "title": "A post",
        "video": "" if video_pk is None else str(video_pk),
    }


def post_admin(w: World, ctx: dict, video_pk=None) -> Attempt:
    fields = {"campaign": str(ctx["campaign"].pk), **_post_fields(ctx, video_pk)}
    return admin_submit(w.client, model_of(ScheduledPostFactory), fields)


def post_admin_inline(w: World, ctx: dict, video_pk=None) -> Attempt:
    """The post typed as a new row of the campaign's inline on the Campaign change page."""
    return admin_submit(
        w.client,
        model_of(CampaignFactory),
        {},
        pk=ctx["campaign"].pk,
        inline=("campaigns.ScheduledPost", [_post_fields(ctx, video_pk)]),
        surface="admin_inline",
    )


POST_SURFACES = {
    "page": post_page,
    "api": post_api,
    "admin": post_admin,
    "admin_inline": post_admin_inline,
}


def _inside_message(ctx: dict) -> str:
    first, last = _window(ctx["campaign"])
    return f"Pick a day inside the campaign: from {first} to {last}."


POST_RULES = [
    Rule(
        id="post_day_over",
        description="A scheduled post on a day that is over (two days ago, inside the windows, "
        "on one of the campaign's platforms) is refused.",
        setup=_post_setup(launch_in=0, day_in=-2),
        state=_post_count,
        surfaces=POST_SURFACES,
        field="planned_at",
        page_field="day",
        message=lambda ctx: "That day is over: plan posts from today on.",
    ),
    Rule(
        id="post_platform_not_in_campaign",
        description="A scheduled post on a platform the campaign does not use is refused.",
        setup=_post_setup(launch_in=10, day_in=10, slug="kuaishou"),
        state=_post_count,
        surfaces=POST_SURFACES,
        field="platform",
        message=lambda ctx: f"{ctx['platform'].name} is not one of this campaign's platforms.",
    ),
    Rule(
        id="post_before_prelaunch",
        description="A scheduled post before the pre-launch window opens is refused.",
        setup=_post_setup(launch_in=20, day_in=5),
        state=_post_count,
        surfaces=POST_SURFACES,
        field="planned_at",
        page_field="day",
        message=_inside_message,
    ),
    Rule(
        id="post_after_followup",
        description="A scheduled post after the follow-up window closes is refused.",
        setup=_post_setup(launch_in=20, day_in=28),
        state=_post_count,
        surfaces=POST_SURFACES,
        field="planned_at",
        page_field="day",
        message=_inside_message,
    ),
]


def _frozen_post_setup(w: World) -> dict:
    campaign = _campaign(w, launch_in=0)
    post = ScheduledPostFactory(
        campaign=campaign,
        video=None,
        platform=platform("douyin"),
        planned_at=at(w.today - timedelta(days=2)),
        title="Posted already",
    )
    return {"campaign": campaign, "post": post}


def _post_values(ctx) -> tuple:
    post = model_of(ScheduledPostFactory).objects.get(pk=ctx["post"].pk)
    return (post.title, post.planned_at, post.platform_id, post.hashtags)


def frozen_page(w: World, ctx: dict) -> Attempt:
    tomorrow = w.today + timedelta(days=1)
    response = w.client.post(
        f"/campaigns/{ctx['campaign'].pk}/posts/{ctx['post'].pk}/",
        {
            "day": tomorrow.isoformat(),
            "time": "19:30",
            "platform": platform("douyin").pk,
            "title": "Renamed",
        },
    )
    return page_form_answer(response)


def frozen_api(w: World, ctx: dict) -> Attempt:
    return api_send(
        w.api, "patch", f"/api/v1/scheduled-posts/{ctx['post'].pk}/", {"title": "Renamed"}
    )


def frozen_admin(w: World, ctx: dict) -> Attempt:
    return admin_submit(
        w.client, model_of(ScheduledPostFactory), {"title": "Renamed"}, pk=ctx["post"].pk
    )


POST_RULES.append(
    Rule(
        id="post_day_over_is_frozen",
        description="A post whose day is over stays in the record as it was: changing it is "
        "refused.",
        setup=_frozen_post_setup,
        state=_post_values,
        surfaces={"page": frozen_page, "api": frozen_api, "admin": frozen_admin},
        field=NON_FIELD,
        message=lambda ctx: "This post's day is over; it can no longer be changed.",
    )
)


# =============================================================================================
# Videos: the pipeline and the quality inputs
# =============================================================================================


def _video_values(ctx) -> tuple:
    video = model_of(VideoFactory).objects.get(pk=ctx["video"].pk)
    return (
        video.status,
        video.published_at,
        video.production_level,
        video.usefulness,
        video.updated_at,
    )


def _published_with_stats(w: World) -> dict:
    video = VideoFactory(owner=w.creator, status="published")
    VideoDailyStatFactory(video=video, date=w.today - timedelta(days=3))
    return {"video": video}


def _scripted(w: World) -> dict:
    video = VideoFactory(owner=w.creator, status="script", published_at=None, platform_video_id="")
    return {"video": video}


def video_edit_surfaces(page: dict, api: dict, admin: dict, *, move: str | None = None) -> dict:
    """The video page's edit form, the board's move (when the change is a status), the API's
    PATCH and the admin change form, each sending its spelling of the same change."""

    def page_edit(w: World, ctx: dict) -> Attempt:
        url = f"/videos/{ctx['video'].pk}/"
        shown = w.client.get(url)
        assert shown.status_code == 200
        data = {**form_data(shown.context["form"]), **page}
        return page_form_answer(w.client.post(url, data), surface="page_edit", accepted=(302,))

    def page_move(w: World, ctx: dict) -> Attempt:
        response = w.client.post(f"/videos/{ctx['video'].pk}/move/", {"status": move}, **HTMX)
        return page_refusal(response, "status", surface="page_move")

    def api_patch(w: World, ctx: dict) -> Attempt:
        return api_send(w.api, "patch", f"/api/v1/videos/{ctx['video'].pk}/", api)

    def admin_change(w: World, ctx: dict) -> Attempt:
        return admin_submit(w.client, model_of(VideoFactory), admin, pk=ctx["video"].pk)

    surfaces = {"page_edit": page_edit}
    if move is not None:
        surfaces["page_move"] = page_move
    surfaces.update({"api": api_patch, "admin": admin_change})
    return surfaces


STAYS_PUBLISHED = "This video has imported statistics, so it stays published."
VIDEO_RULES = [
    Rule(
        id=f"video_published_to_{target}",
        description=f"A published video with daily statistics cannot move back to {target}.",
        setup=_published_with_stats,
        state=_video_values,
        surfaces=video_edit_surfaces(
            {"status": target}, {"status": target}, {"status": target}, move=target
        ),
        field="status",
        message=lambda ctx: STAYS_PUBLISHED,
    )
    for target in ("idea", "script", "shooting", "editing", "scheduled")
] + [
    Rule(
        id="video_production_level_above_5",
        description="Production level Q is 1 to 5: 6 is refused.",
        setup=_scripted,
        state=_video_values,
        surfaces=video_edit_surfaces(
            {"production_level": "6"}, {"production_level": 6}, {"production_level": "6"}
        ),
        field="production_level",
        message=lambda ctx: "Ensure this value is less than or equal to 5.",
    ),
    Rule(
        id="video_usefulness_below_1",
        description="Usefulness U is 1 to 5: 0 is refused.",
        setup=_scripted,
        state=_video_values,
        surfaces=video_edit_surfaces({"usefulness": "0"}, {"usefulness": 0}, {"usefulness": "0"}),
        field="usefulness",
        message=lambda ctx: "Ensure this value is greater than or equal to 1.",
    ),
    Rule(
        id="video_published_without_time",
        description="A video marked published without its publish time is refused (the "
        "board's move stamps the time, so it cannot express this).",
        setup=_scripted,
        state=_video_values,
        surfaces=video_edit_surfaces(
            {"status": "published", "published_at": ""},
            {"status": "published", "published_at": None},
            {"status": "published", **split("published_at", None)},
        ),
        field="published_at",
        message=lambda ctx: "A published video needs its publish time.",
    ),
]


# =============================================================================================
# Discounts (no page: the course page shows them, nothing on a page creates one)
# =============================================================================================

NO_PAGE_DISCOUNT = "No page creates discounts (the course page only shows them)."


def _shop(w: World) -> dict:
    course = CourseFactory(owner=w.creator)
    other_course = CourseFactory(owner=w.creator)
    return {
        "course": course,
        "tier": PriceTierFactory(course=course),
        "other_tier": PriceTierFactory(course=other_course),
    }


def _discount_setup(**values):
    def setup(w: World) -> dict:
        ctx = _shop(w)
        start = timezone.now().replace(microsecond=0) + timedelta(days=1)
        discount = {
            "name": "Launch week",
            "kind": "percent",
            "value": Decimal("20"),
            "starts_at": start,
            "ends_at": start + timedelta(days=7),
            "tier": ctx["tier"],
        }
        for name, value in values.items():
            discount[name] = value(ctx, start) if callable(value) else value
        ctx["discount"] = discount
        return ctx

    return setup


def _discount_count(ctx) -> int:
    return model_of(DiscountFactory).objects.filter(course__owner=ctx["course"].owner).count()


def discount_api(w: World, ctx: dict) -> Attempt:
    d = ctx["discount"]
    return api_send(
        w.api,
        "post",
        "/api/v1/discounts/",
        {
            "course": ctx["course"].pk,
            "tier": d["tier"].pk if d["tier"] else None,
            "name": d["name"],
            "kind": d["kind"],
            "value": str(d["value"]),
            "starts_at": iso(d["starts_at"]),
            "ends_at": iso(d["ends_at"]),
        },
    )


def _discount_fields(d: dict) -> dict:
    return {
        "tier": str(d["tier"].pk) if d["tier"] else "",
        "name": d["name"],
        "kind": d["kind"],
        "value": str(d["value"]),
        **split("starts_at", d["starts_at"]),
        **split("ends_at", d["ends_at"]),
    }


def discount_admin(w: World, ctx: dict) -> Attempt:
    fields = {"course": str(ctx["course"].pk), **_discount_fields(ctx["discount"])}
    return admin_submit(w.client, model_of(DiscountFactory), fields)


def discount_admin_inline(w: World, ctx: dict) -> Attempt:
    return admin_submit(
        w.client,
        model_of(CourseFactory),
        {},
        pk=ctx["course"].pk,
        inline=("courses.Discount", [_discount_fields(ctx["discount"])]),
        surface="admin_inline",
    )


DISCOUNT_SURFACES = {
    "api": discount_api,
    "admin": discount_admin,
    "admin_inline": discount_admin_inline,
}
DISCOUNT_RULES = [
    Rule(
        id="discount_ends_before_start",
        description="A discount that ends before it starts is refused.",
        setup=_discount_setup(ends_at=lambda ctx, start: start - timedelta(hours=1)),
        state=_discount_count,
        surfaces=DISCOUNT_SURFACES,
        field="ends_at",
        message=lambda ctx: "The end must be after the start.",
        unreachable={"page": NO_PAGE_DISCOUNT},
    ),
    Rule(
        id="discount_ends_at_start",
        description="A discount that ends the moment it starts (start = end) is refused.",
        setup=_discount_setup(ends_at=lambda ctx, start: start),
        state=_discount_count,
        surfaces=DISCOUNT_SURFACES,
        field="ends_at",
        message=lambda ctx: "The end must be after the start.",
        unreachable={"page": NO_PAGE_DISCOUNT},
    ),
    Rule(
        id="discount_percent_over_100",
        description="A percent discount above 100 is refused.",
        setup=_discount_setup(value=Decimal("150")),
        state=_discount_count,
        surfaces=DISCOUNT_SURFACES,
        field="value",
        message=lambda ctx: "A percent discount is at most 100.",
        unreachable={"page": NO_PAGE_DISCOUNT},
    ),
    Rule(
        id="discount_negative_value",
        description="A discount of a negative amount is refused.",
        setup=_discount_setup(kind="fixed", value=Decimal("-5")),
        state=_discount_count,
        surfaces=DISCOUNT_SURFACES,
        field="value",
        message=lambda ctx: "Ensure this value is greater than or equal to 0.",
        unreachable={"page": NO_PAGE_DISCOUNT},
    ),
    Rule(
        id="discount_tier_of_another_course",
        description="A discount on a tier of another course (the creator's own) is refused.",
        setup=_discount_setup(tier=lambda ctx, start: ctx["other_tier"]),
        state=_discount_count,
        surfaces=DISCOUNT_SURFACES,
        field="tier",
        message=lambda ctx: "The tier must belong to the same course.",
        unreachable={"page": NO_PAGE_DISCOUNT},
    ),
]


# =============================================================================================
# Sales and price tiers (no page form: sales arrive by API, file or admin)
# =============================================================================================

NO_PAGE_SALE = (
    "No page form records a sale; the /imports/ upload takes files, whose refusals name a row "
    "and a column (tests/courses/test_import_sales.py)."
)


def _sale_setup(**values):
    def setup(w: World) -> dict:
        ctx = _shop(w)
        sale = {
            "tier": ctx["tier"],
            "quantity": 1,
            "unit_price": Decimal("79.00"),
            "sold_at": timezone.now().replace(microsecond=0) - timedelta(hours=3),
        }
        for name, value in values.items():
            sale[name] = value(ctx) if callable(value) else value
        ctx["sale"] = sale
        return ctx

    return setup


def _sale_count(ctx) -> int:
    return model_of(SaleFactory).objects.filter(course__owner=ctx["course"].owner).count()


def _sale_body(ctx: dict, course_pk=None) -> dict:
    s = ctx["sale"]
    return {
        "course": course_pk if course_pk is not None else ctx["course"].pk,
        "tier": s["tier"].pk if s["tier"] else None,
        "platform": platform("douyin").pk,
        "quantity": s["quantity"],
        "unit_price": str(s["unit_price"]),
        "sold_at": iso(s["sold_at"]),
    }


def sale_api(w: World, ctx: dict, course_pk=None) -> Attempt:
    return api_send(w.api, "post", "/api/v1/sales/", _sale_body(ctx, course_pk))


def sale_api_bulk(w: World, ctx: dict, course_pk=None) -> Attempt:
    """A good row first, then the bad one: the batch is all or nothing."""
    good = {**_sale_body(ctx), "quantity": 1, "unit_price": "79.00", "tier": ctx["tier"].pk}
    return api_bulk(w.api, "/api/v1/sales/bulk/", [good, _sale_body(ctx, course_pk)])


def sale_admin(w: World, ctx: dict, course_pk=None) -> Attempt:
    s = ctx["sale"]
    fields = {
        "course": str(course_pk if course_pk is not None else ctx["course"].pk),
        "tier": str(s["tier"].pk) if s["tier"] and course_pk is None else "",
        "platform": str(platform("douyin").pk),
        "quantity": str(s["quantity"]),
        "unit_price": str(s["unit_price"]),
        **split("sold_at", s["sold_at"]),
    }
    return admin_submit(w.client, model_of(SaleFactory), fields)


SALE_SURFACES = {"api": sale_api, "api_bulk": sale_api_bulk, "admin": sale_admin}
SALE_RULES = [
    Rule(
        id="sale_quantity_zero",
        description="A sale of 0 units is refused.",
        setup=_sale_setup(quantity=0),
        state=_sale_count,
        surfaces=SALE_SURFACES,
        field="quantity",
        message=lambda ctx: "Ensure this value is greater than or equal to 1.",
        unreachable={"page": NO_PAGE_SALE},
    ),
    Rule(
        id="sale_quantity_negative",
        description="A sale of -1 units is refused.",
        setup=_sale_setup(quantity=-1),
        state=_sale_count,
        surfaces=SALE_SURFACES,
        field="quantity",
        message=lambda ctx: "Ensure this value is greater than or equal to 1.",
        unreachable={"page": NO_PAGE_SALE},
    ),
    Rule(
        id="sale_negative_unit_price",
        description="A sale at a negative unit price is refused (0, a free order, is fine: "
        "see test_free_order_is_accepted).",
        setup=_sale_setup(unit_price=Decimal("-1.00")),
        state=_sale_count,
        surfaces=SALE_SURFACES,
        field="unit_price",
        message=lambda ctx: "Ensure this value is greater than or equal to 0.",
        unreachable={"page": NO_PAGE_SALE},
    ),
    Rule(
        id="sale_tier_of_another_course",
        description="A sale whose tier belongs to another course (the creator's own) is refused.",
        setup=_sale_setup(tier=lambda ctx: ctx["other_tier"]),
        state=_sale_count,
        surfaces=SALE_SURFACES,
        field="tier",
        message=lambda ctx: "The tier must belong to the same course.",
        unreachable={"page": NO_PAGE_SALE},
    ),
]


def _tier_count(ctx) -> int:
    return model_of(PriceTierFactory).objects.filter(course__owner=ctx["course"].owner).count()


def tier_api(w: World, ctx: dict, course_pk=None) -> Attempt:
    return api_send(
        w.api,
        "post",
        "/api/v1/price-tiers/",
        {
            "course": course_pk if course_pk is not None else ctx["course"].pk,
            "level": "beginner",
            "name": "Basic",
            "list_price": str(ctx.get("list_price", "99.00")),
        },
    )


def tier_admin(w: World, ctx: dict, course_pk=None) -> Attempt:
    fields = {
        "course": str(course_pk if course_pk is not None else ctx["course"].pk),
        "level": "beginner",
        "name": "Basic",
        "list_price": str(ctx.get("list_price", "99.00")),
        "currency": "CNY",
    }
    return admin_submit(w.client, model_of(PriceTierFactory), fields)


def _tier_setup(w: World) -> dict:
    return {"course": CourseFactory(owner=w.creator), "list_price": "-1.00"}


PRICE_RULES = [
    Rule(
        id="tier_negative_list_price",
        description="A price tier with a negative list price is refused.",
        setup=_tier_setup,
        state=_tier_count,
        surfaces={"api": tier_api, "admin": tier_admin},
        field="list_price",
        message=lambda ctx: "Ensure this value is greater than or equal to 0.",
        unreachable={"page": "No page creates price tiers."},
    ),
]


# =============================================================================================
# Campaigns: live sessions, tactics and the campaign itself
# =============================================================================================

NO_PAGE_CAMPAIGN_CHILD = "The planner has no form for live sessions or tactics."


def _live_setup(*, offset_days: int, duration: int = 60):
    def setup(w: World) -> dict:
        campaign = _campaign(w, launch_in=20)
        return {
            "campaign": campaign,
            "starts_at": at(campaign.launch_date + timedelta(days=offset_days), 20, 0),
            "duration": duration,
        }

    return setup


def _live_count(ctx) -> int:
    return model_of(LiveSessionFactory).objects.filter(campaign=ctx["campaign"]).count()


def live_api(w: World, ctx: dict) -> Attempt:
    return api_send(
        w.api,
        "post",
        "/api/v1/live-sessions/",
        {
            "campaign": ctx["campaign"].pk,
            "platform": platform("douyin").pk,
            "title": "Q&A live",
            "starts_at": iso(ctx["starts_at"]),
            "duration_minutes": ctx["duration"],
        },
    )


def _live_fields(ctx: dict) -> dict:
    return {
        "platform": str(platform("douyin").pk),
        "title": "Q&A live",
        **split("starts_at", ctx["starts_at"]),
        "duration_minutes": str(ctx["duration"]),
        "topic": "",
    }


def live_admin(w: World, ctx: dict) -> Attempt:
    fields = {"campaign": str(ctx["campaign"].pk), **_live_fields(ctx)}
    return admin_submit(w.client, model_of(LiveSessionFactory), fields)


def live_admin_inline(w: World, ctx: dict) -> Attempt:
    return admin_submit(
        w.client,
        model_of(CampaignFactory),
        {},
        pk=ctx["campaign"].pk,
        inline=("campaigns.LiveSession", [_live_fields(ctx)]),
        surface="admin_inline",
    )


def _tactic_setup(w: World) -> dict:
    return {"campaign": _campaign(w, launch_in=20)}


def _tactic_count(ctx) -> int:
    return model_of(InteractionTacticFactory).objects.filter(campaign=ctx["campaign"]).count()


def tactic_api(w: World, ctx: dict) -> Attempt:
    return api_send(
        w.api,
        "post",
        "/api/v1/interaction-tactics/",
        {"campaign": ctx["campaign"].pk, "kind": "comment_reply", "text": "Reply hour"},
    )


def tactic_admin(w: World, ctx: dict) -> Attempt:
    fields = {
        "campaign": str(ctx["campaign"].pk),
        "kind": "comment_reply",
        "text": "Reply hour",
        **split("starts_at", None),
    }
    return admin_submit(w.client, model_of(InteractionTacticFactory), fields)


def _campaign_form_setup(**values):
    def setup(w: World) -> dict:
        ctx = {
            "course": CourseFactory(owner=w.creator),
            "owner": w.creator,
            "campaign": {
                "name": "Autumn launch",
                "launch_date": (w.today + timedelta(days=30)).isoformat(),
                "prelaunch_days": 7,
                "followup_days": 7,
            },
        }
        ctx["campaign"].update(values)
        return ctx

    return setup


def _campaign_count(ctx) -> int:
    return model_of(CampaignFactory).objects.filter(owner=ctx["owner"]).count()


def campaign_page(w: World, ctx: dict, course_pk=None) -> Attempt:
    data = {
        "course": course_pk if course_pk is not None else ctx["course"].pk,
        **ctx["campaign"],
        "platforms": [platform("douyin").pk],
    }
    return page_form_answer(w.client.post("/campaigns/", data), accepted=(302,))


def campaign_api(w: World, ctx: dict, course_pk=None) -> Attempt:
    body = {
        "course": course_pk if course_pk is not None else ctx["course"].pk,
        **ctx["campaign"],
        "platforms": [platform("douyin").pk],
    }
    return api_send(w.api, "post", "/api/v1/campaigns/", body)


def campaign_admin(w: World, ctx: dict, course_pk=None) -> Attempt:
    fields = {
        "course": str(course_pk if course_pk is not None else ctx["course"].pk),
        **{k: str(v) for k, v in ctx["campaign"].items()},
        "platforms": [str(platform("douyin").pk)],
    }
    return admin_submit(w.client, model_of(CampaignFactory), fields)


CAMPAIGN_SURFACES = {"page": campaign_page, "api": campaign_api, "admin": campaign_admin}
CAMPAIGN_RULES = [
    Rule(
        id="live_session_outside_windows",
        description="A live session after the follow-up window closes is refused, in the "
        "words the planner uses for posts.",
        setup=_live_setup(offset_days=30),
        state=_live_count,
        surfaces={"api": live_api, "admin": live_admin, "admin_inline": live_admin_inline},
        field="starts_at",
        message=lambda ctx: _inside_message(ctx),
        unreachable={"page": NO_PAGE_CAMPAIGN_CHILD},
    ),
    Rule(
        id="live_session_zero_minutes",
        description="A live session of 0 minutes is refused.",
        setup=_live_setup(offset_days=0, duration=0),
        state=_live_count,
        surfaces={"api": live_api, "admin": live_admin, "admin_inline": live_admin_inline},
        field="duration_minutes",
        message=lambda ctx: "Ensure this value is greater than or equal to 1.",
        unreachable={"page": NO_PAGE_CAMPAIGN_CHILD},
    ),
    Rule(
        id="tactic_reply_slot_without_start",
        description="A comment-reply slot without a start time is refused.",
        setup=_tactic_setup,
        state=_tactic_count,
        surfaces={"api": tactic_api, "admin": tactic_admin},
        field="starts_at",
        message=lambda ctx: "A comment-reply slot needs a start time.",
        unreachable={"page": NO_PAGE_CAMPAIGN_CHILD},
    ),
    Rule(
        id="campaign_prelaunch_over_60_days",
        description="A pre-launch window longer than 60 days is refused.",
        setup=_campaign_form_setup(prelaunch_days=61),
        state=_campaign_count,
        surfaces=CAMPAIGN_SURFACES,
        field="prelaunch_days",
        message=lambda ctx: "Ensure this value is less than or equal to 60.",
    ),
    Rule(
        id="campaign_followup_over_60_days",
        description="A follow-up window longer than 60 days is refused.",
        setup=_campaign_form_setup(followup_days=61),
        state=_campaign_count,
        surfaces=CAMPAIGN_SURFACES,
        field="followup_days",
        message=lambda ctx: "Ensure this value is less than or equal to 60.",
    ),
]


# =============================================================================================
# Courses and statistics
# =============================================================================================

NO_PAGE_COURSE = "No course form page exists (/courses/new/ is not routed)."


def _course_setup(slug: str):
    def setup(w: World) -> dict:
        CourseFactory(owner=w.creator, slug="python-101", title="Python 101")
        return {"owner": w.creator, "slug": slug}

    return setup


def _course_count(ctx) -> int:
    return model_of(CourseFactory).objects.filter(owner=ctx["owner"]).count()


def course_api(w: World, ctx: dict) -> Attempt:
    return api_send(
        w.api, "post", "/api/v1/courses/", {"title": "Another course", "slug": ctx["slug"]}
    )


def course_admin(w: World, ctx: dict) -> Attempt:
    fields = {"title": "Another course", "slug": ctx["slug"], "level": "beginner"}
    return admin_submit(w.client, model_of(CourseFactory), fields)


def _stat_setup(w: World) -> dict:
    video = VideoFactory(owner=w.creator)
    return {"video": video, "day": w.today - timedelta(days=2)}


def _stat_count(ctx) -> int:
    return model_of(VideoDailyStatFactory).objects.filter(video=ctx["video"]).count()


def stat_api(w: World, ctx: dict) -> Attempt:
    body = {"video": ctx["video"].pk, "date": ctx["day"].isoformat(), "views": -1}
    return api_send(w.api, "post", "/api/v1/daily-stats/", body)


def stat_api_bulk(w: World, ctx: dict) -> Attempt:
    good = {
        "video": ctx["video"].pk,
        "date": (ctx["day"] - timedelta(days=1)).isoformat(),
        "views": 10,
    }
    bad = {"video": ctx["video"].pk, "date": ctx["day"].isoformat(), "views": -1}
    return api_bulk(w.api, "/api/v1/daily-stats/bulk/", [good, bad])


def stat_admin(w: World, ctx: dict) -> Attempt:
    fields = {"video": str(ctx["video"].pk), "date": ctx["day"].isoformat(), "views": "-1"}
    return admin_submit(w.client, model_of(VideoDailyStatFactory), fields)


OTHER_RULES = [
    Rule(
        id="course_slug_taken",
        description="A second course of the creator with a slug they already use is refused.",
        setup=_course_setup("python-101"),
        state=_course_count,
        surfaces={"api": course_api, "admin": course_admin},
        field=NON_FIELD,
        message=lambda ctx: "Course with this Owner and Slug already exists.",
        unreachable={"page": NO_PAGE_COURSE},
    ),
    Rule(
        id="course_slug_not_a_slug",
        description="A course slug with spaces and punctuation is refused.",
        setup=_course_setup("not a slug!"),
        state=_course_count,
        surfaces={"api": course_api, "admin": course_admin},
        field="slug",
        message=lambda ctx: (
            "Enter a valid “slug” consisting of Unicode letters, numbers, underscores, or hyphens."
        ),
        unreachable={"page": NO_PAGE_COURSE},
    ),
    Rule(
        id="stat_negative_views",
        description="A daily statistic with negative views is refused.",
        setup=_stat_setup,
        state=_stat_count,
        surfaces={"api": stat_api, "api_bulk": stat_api_bulk, "admin": stat_admin},
        field="views",
        message=lambda ctx: "Ensure this value is greater than or equal to 0.",
        unreachable={"page": "Statistics arrive by file on /imports/, not by a page form."},
    ),
]

MESSAGE_RULES: list[Rule] = [
    *POST_RULES,
    *VIDEO_RULES,
    *DISCOUNT_RULES,
    *SALE_RULES,
    *PRICE_RULES,
    *CAMPAIGN_RULES,
    *OTHER_RULES,
]


# =============================================================================================
# Another creator's rows: answered exactly as a missing row
# =============================================================================================


def _foreign(make):
    def setup(w: World) -> dict:
        ctx = make(w)
        ctx["missing_pk"] = ctx["foreign_pk"] + 100_000
        return ctx

    return setup


def _link_setup(w: World) -> dict:
    return {"foreign_pk": VideoFactory(owner=w.other).pk}


def _link_count(ctx) -> int:
    return model_of(TrackingLinkFactory).objects.count()


def link_page(w: World, ctx: dict, pk) -> Attempt:
    return page_form_answer(w.client.post(f"/tracking/videos/{pk}/link/"))


def link_api(w: World, ctx: dict, pk) -> Attempt:
    return api_send(w.api, "post", "/api/v1/tracking-links/", {"video": pk})


def link_admin(w: World, ctx: dict, pk) -> Attempt:
    fields = {"video": str(pk), "post": "", "is_active": "on"}
    return admin_submit(w.client, model_of(TrackingLinkFactory), fields)


def _foreign_course_setup(w: World) -> dict:
    ctx = _shop(w)
    foreign = CourseFactory(owner=w.other)
    ctx.update(
        owner=w.creator,
        foreign_pk=foreign.pk,
        campaign={
            "name": "Borrowed",
            "launch_date": (w.today + timedelta(days=30)).isoformat(),
            "prelaunch_days": 7,
            "followup_days": 7,
        },
    )
    ctx["sale"] = {
        "tier": None,
        "quantity": 1,
        "unit_price": Decimal("79.00"),
        "sold_at": timezone.now().replace(microsecond=0) - timedelta(hours=3),
    }
    return ctx


def _foreign_course_counts(ctx) -> tuple:
    return (
        model_of(PriceTierFactory).objects.count(),
        model_of(SaleFactory).objects.count(),
        model_of(CampaignFactory).objects.count(),
    )


def _foreign_video_post_setup(w: World) -> dict:
    ctx = _post_setup(launch_in=10, day_in=10)(w)
    ctx["foreign_pk"] = VideoFactory(owner=w.other).pk
    return ctx


OWNERSHIP_RULES: list[Rule] = [
    Rule(
        id="tracking_link_for_another_creators_video",
        description="A tracking link for another creator's video is refused as if the video "
        "did not exist.",
        setup=_foreign(_link_setup),
        state=_link_count,
        surfaces={"page": link_page, "api": link_api, "admin": link_admin},
        field="video",
    ),
    Rule(
        id="price_tier_of_another_creators_course",
        description="A price tier on another creator's course is refused as if the course did "
        "not exist.",
        setup=_foreign(_foreign_course_setup),
        state=_foreign_course_counts,
        surfaces={"api": tier_api, "admin": tier_admin},
        field="course",
        unreachable={"page": "No page creates price tiers."},
    ),
    Rule(
        id="sale_of_another_creators_course",
        description="A sale of another creator's course is refused as if the course did not exist.",
        setup=_foreign(_foreign_course_setup),
        state=_foreign_course_counts,
        surfaces=SALE_SURFACES,
        field="course",
        unreachable={"page": NO_PAGE_SALE},
    ),
    Rule(
        id="campaign_for_another_creators_course",
        description="A campaign for another creator's course is refused as if the course did "
        "not exist.",
        setup=_foreign(_foreign_course_setup),
        state=_foreign_course_counts,
        surfaces=CAMPAIGN_SURFACES,
        field="course",
    ),
    Rule(
        id="post_of_another_creators_video",
        description="A scheduled post of another creator's video is refused as if the video "
        "did not exist.",
        setup=_foreign(_foreign_video_post_setup),
        state=_post_count,
        surfaces={"page": post_page, "api": post_api, "admin": post_admin},
        field="video",
    ),
]

ALL_RULES = [*MESSAGE_RULES, *OWNERSHIP_RULES]
RULES: dict[str, str] = {rule.id: rule.description for rule in ALL_RULES}
BY_ID = {rule.id: rule for rule in ALL_RULES}
UNREACHABLE: dict[str, dict[str, str]] = {r.id: r.unreachable for r in ALL_RULES if r.unreachable}

MESSAGE_CASES = [(r.id, s) for r in MESSAGE_RULES for s in r.surfaces]
OWNERSHIP_CASES = [(r.id, s) for r in OWNERSHIP_RULES for s in r.surfaces]


def _ids(cases):
    return [f"{rule}-{surface}" for rule, surface in cases]


def test_the_matrix_is_wide_enough():
    assert len(RULES) >= 15
    assert all(len(rule.surfaces) >= 2 for rule in ALL_RULES)
    assert len(BY_ID) == len(ALL_RULES), "rule ids are unique"


# --- one cell: refused, nothing written, the rule's message -----------------------------------


@pytest.mark.parametrize(("rule_id", "surface"), MESSAGE_CASES, ids=_ids(MESSAGE_CASES))
def test_refused(rule_id, surface, world):
    rule = BY_ID[rule_id]
    ctx = rule.setup(world)
    before = rule.state(ctx)

    attempt = rule.surfaces[surface](world, ctx)

    after = rule.state(ctx)
    wrote = "" if after == before else " and wrote"
    assert attempt.refused, f"{surface} accepts: HTTP {attempt.status}{wrote}"
    assert after == before, f"{surface} refused but wrote: {before} → {after}"
    expected = normalise(rule.message(ctx))
    if surface.startswith("api"):
        # The message sits on the field it is about, in the project's error shape.
        assert expected in attempt.on(rule.field), (
            f"{surface} says {attempt.errors}, expected {expected!r} on {rule.field!r}"
        )
    else:
        assert expected in attempt.messages, (
            f"{surface} says {attempt.errors}, expected {expected!r}"
        )
        assert expected in normalise(attempt.body), f"{surface}: the message is not on the page"


# --- one rule: every surface says the same ----------------------------------------------------


class _Undo(Exception):
    pass


def _rolled_back(send: Callable[[], Attempt]) -> Attempt:
    """Run one surface and undo whatever it wrote, so the next surface starts from the same
    rows."""
    box: dict[str, Attempt] = {}
    try:
        with transaction.atomic():
            box["attempt"] = send()
            raise _Undo
    except _Undo:
        pass
    return box["attempt"]


@pytest.mark.parametrize("rule_id", [r.id for r in MESSAGE_RULES])
def test_surfaces_agree(rule_id, world):
    rule = BY_ID[rule_id]
    ctx = rule.setup(world)
    said = {}
    for surface, send in rule.surfaces.items():
        attempt = _rolled_back(lambda send=send: send(world, ctx))
        said[surface] = (
            attempt.message(rule.field_on(surface))
            if attempt.refused
            else f"ACCEPTED ({attempt.status})"
        )
    assert len(set(said.values())) == 1, f"{rule_id}: the surfaces disagree: {said}"
    assert not next(iter(said.values())).startswith("ACCEPTED")


# --- another creator's rows --------------------------------------------------------------------


def _masked(attempt: Attempt, pk) -> dict:
    return {
        name: [message.replace(str(pk), "<pk>") for message in messages]
        for name, messages in attempt.errors.items()
    }


@pytest.mark.parametrize(("rule_id", "surface"), OWNERSHIP_CASES, ids=_ids(OWNERSHIP_CASES))
def test_foreign_row_answers_as_missing(rule_id, surface, world):
    rule = BY_ID[rule_id]
    ctx = rule.setup(world)
    before = rule.state(ctx)
    send = rule.surfaces[surface]

    foreign = send(world, ctx, ctx["foreign_pk"])
    after = rule.state(ctx)
    missing = send(world, ctx, ctx["missing_pk"])

    assert foreign.refused, f"{rule_id}: {foreign.describe()}"
    assert after == before, f"{rule_id}: {surface} wrote {before} → {after}"
    assert missing.refused, f"control: a missing id is refused too: {missing.describe()}"
    assert foreign.status == missing.status
    assert _masked(foreign, ctx["foreign_pk"]) == _masked(missing, ctx["missing_pk"])
    if surface.startswith("api"):
        assert foreign.on(rule.field), f"{surface}: no message on {rule.field}: {foreign.errors}"


# --- controls: the inputs above differ from accepted ones only by the rule ---------------------


FREE = Decimal("0.00")


@pytest.mark.parametrize("surface", list(SALE_SURFACES))
def test_free_order_is_accepted(surface, world):
    ctx = _sale_setup(unit_price=FREE)(world)
    before = _sale_count(ctx)
    attempt = SALE_SURFACES[surface](world, ctx)
    assert not attempt.refused and attempt.status in (200, 201, 302), attempt.describe()
    added = _sale_count(ctx) - before
    assert added == (2 if surface == "api_bulk" else 1)
    sale_model = model_of(SaleFactory)
    assert sale_model.objects.filter(course=ctx["course"], unit_price=FREE).count() == 1


@pytest.mark.parametrize("surface", list(POST_SURFACES))
def test_a_post_inside_the_rules_is_accepted(surface, world):
    ctx = _post_setup(launch_in=10, day_in=9)(world)
    attempt = POST_SURFACES[surface](world, ctx)
    assert not attempt.refused and attempt.status in (201, 204, 302), attempt.describe()
    assert _post_count(ctx) == 1


@pytest.mark.parametrize("surface", list(DISCOUNT_SURFACES))
def test_a_discount_inside_the_rules_is_accepted(surface, world):
    ctx = _discount_setup()(world)
    attempt = DISCOUNT_SURFACES[surface](world, ctx)
    assert not attempt.refused and attempt.status in (201, 302), attempt.describe()
    assert _discount_count(ctx) == 1
