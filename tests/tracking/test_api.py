"""The tracking part of /api/v1/: links (idempotent create, on/off, clicks), the campaign
action, the funnel figures and the attribution nested in each sale."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics import funnel
from tests.api.conftest import token_client
from tests.factories import (
    CampaignFactory,
    CourseFactory,
    FunnelStatFactory,
    LinkClickFactory,
    SaleFactory,
    ScheduledPostFactory,
    TrackingLinkFactory,
    VideoFactory,
    platform,
)
from tracking import services
from tracking.models import FunnelStat, LinkClick, TrackingLink

pytestmark = pytest.mark.django_db

LINKS = "/api/v1/tracking-links/"
FUNNEL = "/api/v1/funnel/"
BROWSER = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"
NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def api_a(creator):
    return token_client(creator)


@pytest.fixture
def api_b(other_creator):
    return token_client(other_creator)


@pytest.fixture
def course(creator):
    return CourseFactory(owner=creator, sales_page_url="https://shop.example.com/python")


@pytest.fixture
def video(creator, course):
    return VideoFactory(owner=creator, course=course, platform=platform("douyin"))


@pytest.fixture
def campaign(creator, course):
    return CampaignFactory(owner=creator, course=course)


@pytest.fixture
def post(campaign, creator):
    # The post's video belongs to another course: a post link follows its campaign's course.
    return ScheduledPostFactory(
        campaign=campaign, video=VideoFactory(owner=creator), platform=platform("bilibili")
    )


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content[:300]
    return [row["id"] for row in response.json()["results"]]


def click(client, code: str):
    return client.get(f"/r/{code}", HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="203.0.113.7")


# --- create ----------------------------------------------------------------------------------


def test_create_for_a_video_is_201_then_the_same_link_with_200(api_a, video):
    first = api_a.post(LINKS, {"video": video.pk}, format="json")
    again = api_a.post(LINKS, {"video": video.pk}, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    link = TrackingLink.objects.get()
    assert first.json() == {
        "id": link.pk,
        "code": link.code,
        "printable_code": link.printable_code,
        "url": f"http://testserver/r/{link.code}",
        "video": video.pk,
        "post": None,
        "course": video.course_id,
        "platform": video.platform_id,
        "campaign": None,
        "is_active": True,
        "created_at": first.json()["created_at"],
        "clicks": 0,
    }
    assert link.printable_code == f"{link.code[:3]}-{link.code[3:]}".upper()


def test_create_for_a_post_derives_course_platform_and_campaign(api_a, post, campaign):
    first = api_a.post(LINKS, {"post": post.pk}, format="json")
    again = api_a.post(LINKS, {"post": post.pk}, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    body = first.json()
    assert body["id"] == again.json()["id"] == TrackingLink.objects.get(post=post).pk
    assert (body["video"], body["post"]) == (None, post.pk)
    assert body["course"] == campaign.course_id != post.video.course_id
    assert body["platform"] == platform("bilibili").pk
    assert body["campaign"] == campaign.pk


def test_a_video_link_and_a_post_link_of_the_same_video_are_two_links(api_a, creator, campaign):
    video = VideoFactory(owner=creator, course=campaign.course)
    post = ScheduledPostFactory(campaign=campaign, video=video)
    by_video = api_a.post(LINKS, {"video": video.pk}, format="json")
    by_post = api_a.post(LINKS, {"post": post.pk}, format="json")
    assert (by_video.status_code, by_post.status_code) == (201, 201)
    assert by_video.json()["id"] != by_post.json()["id"]


@pytest.mark.parametrize("body", [{}, {"video": None}, {"video": None, "post": None}, "both"])
def test_create_needs_exactly_one_of_video_or_post(api_a, video, post, body):
    if body == "both":
        body = {"video": video.pk, "post": post.pk}
    response = api_a.post(LINKS, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"] == {
        "non_field_errors": ["Give exactly one of video or post."]
    }
    assert not TrackingLink.objects.exists()


def test_create_ignores_is_active(api_a, video):
    response = api_a.post(LINKS, {"video": video.pk, "is_active": False}, format="json")
    assert response.status_code == 201
    assert response.json()["is_active"] is True


def test_create_for_another_creators_video_or_post_is_refused(api_b, video, post):
    for field, row in [("video", video), ("post", post)]:
        response = api_b.post(LINKS, {field: row.pk}, format="json")
        assert response.status_code == 400, response.content
        assert "Invalid pk" in str(response.json()["error"]["fields"][field])
    assert not TrackingLink.objects.exists()
    assert api_b.get(LINKS).json()["count"] == 0


def test_another_creators_existing_link_is_neither_returned_nor_shared(api_a, api_b, video):
    """Creating "again" through B's token never hands out A's link."""
    link = services.link_for_video(owner=video.owner, video=video)
    response = api_b.post(LINKS, {"video": video.pk}, format="json")
    assert response.status_code == 400
    assert link.code not in response.content.decode()
    assert TrackingLink.objects.count() == 1


# --- read, switch off, delete -----------------------------------------------------------------


def test_another_creators_link_is_404_everywhere_and_never_listed(api_a, api_b, video):
    link = services.link_for_video(owner=video.owner, video=video)
    path = f"{LINKS}{link.pk}/"

    assert api_b.get(path).status_code == 404
    assert api_b.patch(path, {"is_active": False}, format="json").status_code == 404
    assert api_b.delete(path).status_code == 404
    assert ids(api_b.get(LINKS)) == []
    assert ids(api_a.get(LINKS)) == [link.pk]
    link.refresh_from_db()
    assert link.is_active


def test_switching_a_link_off_makes_the_redirect_answer_404(api_a, client, video):
    link = services.link_for_video(owner=video.owner, video=video)
    assert click(client, link.code).status_code == 302  # the target is cached now
    path = f"{LINKS}{link.pk}/"

    off = api_a.patch(path, {"is_active": False}, format="json")

    assert off.status_code == 200 and off.json()["is_active"] is False
    assert click(client, link.code).status_code == 404
    assert LinkClick.objects.count() == 1  # the click while switched off counted nothing
    assert ids(api_a.get(LINKS, {"is_active": "false"})) == [link.pk]

    on = api_a.patch(path, {"is_active": True}, format="json")

    assert on.status_code == 200 and on.json()["is_active"] is True
    assert click(client, link.code).status_code == 302
    assert on.json()["clicks"] == 1
    assert api_a.get(path).json()["clicks"] == 2


def test_a_link_keeps_its_video_or_post(api_a, creator, video):
    link = services.link_for_video(owner=creator, video=video)
    path = f"{LINKS}{link.pk}/"
    other = VideoFactory(owner=creator)

    changed = api_a.patch(path, {"video": other.pk}, format="json")
    same = api_a.patch(path, {"video": video.pk, "is_active": False}, format="json")

    assert changed.status_code == 400
    assert "video" in changed.json()["error"]["fields"]
    assert same.status_code == 200 and same.json()["video"] == video.pk
    link.refresh_from_db()
    assert (link.video_id, link.is_active) == (video.pk, False)


def test_put_is_not_offered(api_a, video):
    link = services.link_for_video(owner=video.owner, video=video)
    response = api_a.put(f"{LINKS}{link.pk}/", {"is_active": False}, format="json")
    assert response.status_code == 405


def test_delete_removes_the_link_and_its_redirect(api_a, client, video):
    link = services.link_for_video(owner=video.owner, video=video)
    assert click(client, link.code).status_code == 302

    assert api_a.delete(f"{LINKS}{link.pk}/").status_code == 204

    assert not TrackingLink.objects.exists()
    assert click(client, link.code).status_code == 404


# --- clicks and filters -----------------------------------------------------------------------


def test_clicks_are_counted_per_link(api_a, client, creator, video, post):
    busy = services.link_for_video(owner=creator, video=video)
    quiet = services.link_for_post(owner=creator, post=post)
    for _ in range(3):
        click(client, busy.code)
    click(client, "not-a-code")
    LinkClickFactory(link=TrackingLinkFactory(video=VideoFactory(owner=creator)))  # elsewhere

    rows = {row["id"]: row["clicks"] for row in api_a.get(LINKS).json()["results"]}

    assert rows[busy.pk] == 3 and rows[quiet.pk] == 0
    assert api_a.get(f"{LINKS}{busy.pk}/").json()["clicks"] == 3


def test_link_filters(api_a, creator, course, video, campaign, post):
    by_video = services.link_for_video(owner=creator, video=video)
    by_post = services.link_for_post(owner=creator, post=post)
    elsewhere = services.link_for_video(owner=creator, video=VideoFactory(owner=creator))
    services.link_set_active(link=elsewhere, active=False)
    other_campaign = CampaignFactory(owner=creator)
    services.link_for_post(owner=creator, post=ScheduledPostFactory(campaign=other_campaign))

    assert ids(api_a.get(LINKS, {"video": video.pk})) == [by_video.pk]
    assert ids(api_a.get(LINKS, {"post": post.pk})) == [by_post.pk]
    assert ids(api_a.get(LINKS, {"campaign": campaign.pk})) == [by_post.pk]
    # The course of a post link is its campaign's, not its video's.
    assert set(ids(api_a.get(LINKS, {"course": course.pk}))) == {by_video.pk, by_post.pk}
    assert ids(api_a.get(LINKS, {"course": post.video.course_id})) == []
    assert ids(api_a.get(LINKS, {"is_active": "false"})) == [elsewhere.pk]
    assert len(ids(api_a.get(LINKS, {"is_active": "true"}))) == 3
    assert api_a.get(LINKS, {"course": "x"}).status_code == 400


def test_filtering_by_another_creators_ids_finds_nothing(api_b, creator, video, campaign, post):
    services.link_for_video(owner=creator, video=video)
    services.link_for_post(owner=creator, post=post)
    for name, value in [("video", video.pk), ("campaign", campaign.pk), ("post", post.pk)]:
        assert ids(api_b.get(LINKS, {name: value})) == []


# --- the campaign action ----------------------------------------------------------------------


def test_campaign_action_links_every_planned_post(api_a, creator, campaign):
    early = ScheduledPostFactory(campaign=campaign, planned_at=NOW + timedelta(days=1))
    late = ScheduledPostFactory(campaign=campaign, planned_at=NOW + timedelta(days=2))
    ScheduledPostFactory(campaign=campaign, is_suggestion=True)
    existing = services.link_for_post(owner=creator, post=late)
    path = f"/api/v1/campaigns/{campaign.pk}/tracking-links/"

    first = api_a.post(path)
    again = api_a.post(path)

    assert first.status_code == 201, first.content
    assert first.json()["created"] == 1
    links = first.json()["links"]
    assert [row["post"] for row in links] == [early.pk, late.pk]
    assert links[1]["id"] == existing.pk
    assert {row["campaign"] for row in links} == {campaign.pk}
    assert links[0]["url"].startswith("http://testserver/r/")
    assert again.status_code == 200
    assert again.json() == {"created": 0, "links": links}
    assert TrackingLink.objects.count() == 2


def test_campaign_action_on_another_creators_campaign_is_404(api_b, campaign):
    ScheduledPostFactory(campaign=campaign)
    response = api_b.post(f"/api/v1/campaigns/{campaign.pk}/tracking-links/")
    assert response.status_code == 404
    assert not TrackingLink.objects.exists()


# --- funnel -----------------------------------------------------------------------------------


@pytest.fixture
def figures(creator, course, video, campaign):
    douyin = platform("douyin")
    return {
        "video": FunnelStatFactory(
            owner=creator, scope="video", key=f"v{video.pk}", topic="", video=video,
            course=course, platform=douyin, views=20000, clicks=100, visitors=80, sales=4,
            units=4, gross_revenue=Decimal("400.00"), net_revenue=Decimal("360.00"),
        ),
        "course": FunnelStatFactory(
            owner=creator, scope="course", key=f"c{course.pk}", topic="", course=course,
            views=20000, clicks=100, sales=4, net_revenue=Decimal("360.00"),
        ),
        "launch": FunnelStatFactory(
            owner=creator, scope="phase", key=f"k{campaign.pk}:launch", topic="",
            campaign=campaign, course=course, phase="launch", views=5000, clicks=50, sales=3,
            net_revenue=Decimal("270.00"),
        ),
        "prelaunch": FunnelStatFactory(
            owner=creator, scope="phase", key=f"k{campaign.pk}:prelaunch", topic="",
            campaign=campaign, course=course, phase="prelaunch", views=9000, clicks=10,
            net_revenue=Decimal("0.00"),
        ),
        "platform": FunnelStatFactory(
            owner=creator, scope="platform", key=f"p{douyin.pk}", topic="", platform=douyin,
            views=20000, score=0.4,
        ),
        "topic_low": FunnelStatFactory(owner=creator, views=0, score=0.1),
        "topic_high": FunnelStatFactory(owner=creator, views=10, score=0.9),
    }  # fmt: skip


def test_funnel_lists_the_callers_figures_with_rates(api_a, figures):
    response = api_a.get(FUNNEL, {"scope": "video"})
    [row] = response.json()["results"]
    assert row["id"] == figures["video"].pk
    assert (row["views"], row["clicks"], row["visitors"], row["sales"]) == (20000, 100, 80, 4)
    assert (row["gross_revenue"], row["net_revenue"]) == ("400.00", "360.00")
    assert row["click_rate"] == pytest.approx(100 / 20000)
    assert row["conversion"] == pytest.approx(4 / 100)
    assert row["revenue_per_1000_views"] == pytest.approx(18.0)
    no_views = api_a.get(f"{FUNNEL}{figures['topic_low'].pk}/").json()
    assert (no_views["click_rate"], no_views["conversion"]) == (0.0, 0.0)
    assert no_views["revenue_per_1000_views"] == 0.0


def test_funnel_default_order_is_scope_then_net_revenue(api_a, figures):
    rows = api_a.get(FUNNEL).json()["results"]
    scopes = [row["scope"] for row in rows]
    assert scopes == sorted(scopes)
    phases = [row["id"] for row in rows if row["scope"] == "phase"]
    assert phases == [figures["launch"].pk, figures["prelaunch"].pk]


def test_funnel_filters_and_ordering(api_a, figures, course, campaign, video):
    f = figures
    assert ids(api_a.get(FUNNEL, {"scope": "phase", "phase": "launch"})) == [f["launch"].pk]
    assert ids(api_a.get(FUNNEL, {"campaign": campaign.pk, "ordering": "views"})) == [
        f["launch"].pk,
        f["prelaunch"].pk,
    ]
    assert set(ids(api_a.get(FUNNEL, {"course": course.pk}))) == {
        f["video"].pk,
        f["course"].pk,
        f["launch"].pk,
        f["prelaunch"].pk,
    }
    assert ids(api_a.get(FUNNEL, {"video": video.pk})) == [f["video"].pk]
    douyin = platform("douyin").pk
    assert ids(api_a.get(FUNNEL, {"platform": douyin, "ordering": "-score"})) == [
        f["platform"].pk,
        f["video"].pk,
    ]
    assert ids(api_a.get(FUNNEL, {"scope": "topic", "ordering": "-score"})) == [
        f["topic_high"].pk,
        f["topic_low"].pk,
    ]
    assert ids(api_a.get(FUNNEL, {"ordering": "-clicks"}))[0] in (f["video"].pk, f["course"].pk)
    assert api_a.get(FUNNEL, {"scope": "nonsense"}).status_code == 400
    assert api_a.get(FUNNEL, {"phase": "someday"}).status_code == 400


def test_another_creators_funnel_is_404_and_never_listed(api_b, figures, course):
    row = figures["video"]
    assert api_b.get(f"{FUNNEL}{row.pk}/").status_code == 404
    assert ids(api_b.get(FUNNEL)) == []
    assert ids(api_b.get(FUNNEL, {"course": course.pk})) == []


def test_funnel_is_read_only(api_a, figures):
    row = figures["video"]
    assert api_a.post(FUNNEL, {"scope": "video"}, format="json").status_code == 405
    assert api_a.patch(f"{FUNNEL}{row.pk}/", {"views": 1}, format="json").status_code == 405
    assert api_a.delete(f"{FUNNEL}{row.pk}/").status_code == 405
    assert FunnelStat.objects.get(pk=row.pk).views == 20000


def test_funnel_after_a_recompute(api_a, client, creator, video):
    link = services.link_for_video(owner=creator, video=video)
    click(client, link.code)
    SaleFactory(course=video.course, tracking_code=link.printable_code, sold_at=NOW)
    funnel.funnel_recompute(owner_ids=[creator.pk], today=timezone.localdate(), now=NOW)

    [row] = api_a.get(FUNNEL, {"scope": "video", "video": video.pk}).json()["results"]

    assert (row["clicks"], row["visitors"], row["sales"], row["units"]) == (1, 1, 1, 1)
    assert row["gross_revenue"] == "99.00"
    assert row["conversion"] == 1.0


# --- attribution on sales ---------------------------------------------------------------------


def test_sales_carry_their_attribution_after_the_recompute(api_a, creator, course, video):
    link = services.link_for_video(owner=creator, video=video)
    clicked_at = NOW - timedelta(hours=3)
    LinkClickFactory(link=link, clicked_at=clicked_at)
    coded = api_a.post(
        "/api/v1/sales/",
        {
            "course": course.pk,
            "unit_price": "99.00",
            "sold_at": NOW.isoformat(),
            "tracking_code": f"https://example.com/r/{link.printable_code}",
        },
        format="json",
    )
    assert coded.status_code == 201, coded.content
    assert coded.json()["tracking_code"] == link.code  # normalised on the way in
    assert coded.json()["attribution"] is None  # not computed yet
    inferred = SaleFactory(course=course, sold_at=NOW - timedelta(hours=1))
    unknown = SaleFactory(course=course, tracking_code="ZZZ-ZZZZ", sold_at=NOW)

    funnel.funnel_recompute(owner_ids=[creator.pk], today=timezone.localdate(), now=NOW)

    rows = {row["id"]: row["attribution"] for row in api_a.get("/api/v1/sales/").json()["results"]}
    code = rows[coded.json()["id"]]
    assert code["method"] == "code" and code["method_label"] == "tracking code on the sale"
    assert (code["link"], code["link_code"], code["video"]) == (link.pk, link.code, video.pk)
    assert code["click_at"] is None and code["inferred"] is False
    last_click = rows[inferred.pk]
    assert last_click["method"] == "last_click" and last_click["inferred"] is True
    assert (last_click["link_code"], last_click["video"]) == (link.code, video.pk)
    assert datetime.fromisoformat(last_click["click_at"]) == clicked_at
    assert rows[unknown.pk]["method"] == "unknown_code"
    assert (rows[unknown.pk]["link"], rows[unknown.pk]["link_code"]) == (None, None)
    detail = api_a.get(f"/api/v1/sales/{inferred.pk}/").json()
    assert detail["attribution"] == last_click


def test_attribution_is_read_only_on_create(api_a, course):
    response = api_a.post(
        "/api/v1/sales/",
        {
            "course": course.pk,
            "unit_price": "10.00",
            "sold_at": NOW.isoformat(),
            "attribution": {"method": "manual"},
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["attribution"] is None


# --- query counts -----------------------------------------------------------------------------

TOKEN, COUNT, PAGE = 1, 1, 1


def _links(owner, n: int) -> None:
    for _ in range(n):
        video = VideoFactory(owner=owner)
        link = TrackingLinkFactory(video=video)
        LinkClickFactory(link=link)
        post = ScheduledPostFactory(campaign=CampaignFactory(owner=owner, course=video.course))
        LinkClickFactory(link=TrackingLinkFactory(video=None, post=post, owner=owner))


def _sales(owner, n: int) -> None:
    course = CourseFactory(owner=owner)
    video = VideoFactory(owner=owner, course=course)
    link = services.link_for_video(owner=owner, video=video)
    for i in range(n):
        LinkClickFactory(link=link, clicked_at=NOW - timedelta(hours=i + 2))
        SaleFactory(course=course, tracking_code=link.code if i % 2 else "", sold_at=NOW)
    funnel.funnel_recompute(owner_ids=[owner.pk], today=timezone.localdate(), now=NOW)


def _funnel(owner, n: int) -> None:
    for _ in range(n):
        FunnelStatFactory(owner=owner)


@pytest.mark.parametrize("size", [2, 20])
@pytest.mark.parametrize(
    ("path", "query", "make"),
    [
        (LINKS, {}, _links),
        (LINKS, {"is_active": "true", "ordering": "created_at"}, _links),
        ("/api/v1/sales/", {}, _sales),
        (FUNNEL, {"scope": "topic", "ordering": "-score"}, _funnel),
    ],
)
def test_list_query_counts_do_not_grow(
    api_a, creator, other_creator, django_assert_num_queries, path, query, make, size
):
    make(creator, size)
    make(other_creator, 1)
    with django_assert_num_queries(TOKEN + COUNT + PAGE):
        response = api_a.get(path, {"page_size": 100, **query})
    assert response.status_code == 200
    assert response.json()["count"] >= size
