from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign, ScheduledPost
from tests.factories import (
    CampaignFactory,
    CourseFactory,
    DiscountFactory,
    LiveSessionFactory,
    ScheduledPostFactory,
    VideoFactory,
    platform,
)

pytestmark = pytest.mark.django_db


def _at(day, hour=19, minute=30):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.fixture
def campaign(creator):
    launch = timezone.localdate() + timedelta(days=3)
    c = CampaignFactory(owner=creator, launch_date=launch, prelaunch_days=5, followup_days=5)
    c.platforms.set([platform("douyin"), platform("bilibili")])
    return c


def test_pages_need_a_login(client, campaign):
    for url in ("/campaigns/", f"/campaigns/{campaign.id}/"):
        assert client.get(url).status_code == 302


def test_another_creators_campaign_and_posts_are_404_and_unchanged(client, other_creator, campaign):
    post = ScheduledPostFactory(
        campaign=campaign, platform=platform("douyin"), planned_at=_at(campaign.launch_date)
    )
    client.force_login(other_creator)
    base = f"/campaigns/{campaign.id}"
    for url in (f"{base}/", f"{base}/posts/new/", f"{base}/posts/{post.id}/"):
        assert client.get(url).status_code == 404
    day = (campaign.launch_date + timedelta(days=1)).isoformat()
    for url, data in (
        (f"{base}/posts/new/", {"day": day, "time": "10:00", "platform": platform("douyin").id}),
        (f"{base}/posts/{post.id}/move/", {"day": day}),
        (f"{base}/posts/{post.id}/delete/", {}),
        (f"{base}/suggest/", {"per_day": 1}),
        (f"{base}/suggestions/accept/", {}),
    ):
        assert client.post(url, data).status_code == 404
    post.refresh_from_db()
    assert timezone.localdate(post.planned_at) == campaign.launch_date
    assert ScheduledPost.objects.count() == 1


def test_create_a_campaign_from_the_list_page(creator_client, creator):
    course = CourseFactory(owner=creator)
    response = creator_client.post(
        "/campaigns/",
        {
            "course": course.id,
            "name": "Spring launch",
            "launch_date": (timezone.localdate() + timedelta(days=20)).isoformat(),
            "prelaunch_days": 7,
            "followup_days": 7,
            "platforms": [platform("douyin").id, platform("kuaishou").id],
        },
    )
    campaign = Campaign.objects.get(name="Spring launch")
    assert response.status_code == 302 and response.url == f"/campaigns/{campaign.id}/"
    assert campaign.owner == creator
    assert {p.slug for p in campaign.platforms.all()} == {"douyin", "kuaishou"}


def test_campaign_form_refuses_another_creators_course(creator_client, other_creator):
    foreign = CourseFactory(owner=other_creator)
    response = creator_client.post(
        "/campaigns/",
        {
            "course": foreign.id,
            "name": "x",
            "launch_date": "2027-01-01",
            "prelaunch_days": 7,
            "followup_days": 7,
        },
    )
    assert response.status_code == 422
    assert "course" in response.context["form"].errors
    assert not Campaign.objects.exists()


def test_plan_a_post_in_a_gap_and_it_lands_in_its_phase(creator_client, campaign):
    day = campaign.launch_date - timedelta(days=1)
    form = creator_client.get(
        f"/campaigns/{campaign.id}/posts/new/?day={day}&platform={platform('douyin').id}"
    )
    assert form.status_code == 200
    assert form.context["form"].initial["day"] == day.isoformat()
    response = creator_client.post(
        f"/campaigns/{campaign.id}/posts/new/",
        {
            "day": day.isoformat(),
            "time": "20:00",
            "platform": platform("douyin").id,
            "title": "Teaser",
        },
    )
    assert response.status_code == 204
    assert "plannerChanged" in response["HX-Trigger"]
    post = ScheduledPost.objects.get(title="Teaser")
    assert post.phase == "prelaunch"


def test_invalid_post_shows_the_error_inline_and_saves_nothing(creator_client, campaign):
    outside = campaign.launch_date + timedelta(days=30)
    response = creator_client.post(
        f"/campaigns/{campaign.id}/posts/new/",
        {
            "day": outside.isoformat(),
            "time": "20:00",
            "platform": platform("douyin").id,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["day"]
    assert b"Pick a day inside the campaign" in response.content
    assert not ScheduledPost.objects.exists()


def test_move_keeps_time_and_a_refused_move_answers_422(creator_client, campaign):
    post = ScheduledPostFactory(
        campaign=campaign, platform=platform("douyin"), planned_at=_at(campaign.launch_date, 21, 5)
    )
    target = campaign.launch_date + timedelta(days=2)
    ok = creator_client.post(
        f"/campaigns/{campaign.id}/posts/{post.id}/move/",
        {"day": target.isoformat(), "platform": platform("bilibili").id},
    )
    assert ok.status_code == 204
    post.refresh_from_db()
    assert timezone.localtime(post.planned_at).strftime("%Y-%m-%d %H:%M") == f"{target} 21:05"
    refused = creator_client.post(
        f"/campaigns/{campaign.id}/posts/{post.id}/move/",
        {"day": (campaign.launch_date + timedelta(days=40)).isoformat()},
    )
    assert refused.status_code == 422
    assert refused["X-Error-Message"]
    post.refresh_from_db()
    assert timezone.localdate(post.planned_at) == target


def test_suggest_then_accept(creator_client, campaign):
    before = creator_client.get(f"/campaigns/{campaign.id}/")
    gaps_before = before.context["planner"].gaps
    slots_before = before.content.decode().count('data-testid="gap-slot"')
    response = creator_client.post(f"/campaigns/{campaign.id}/suggest/", {"per_day": 1})
    assert response.status_code == 204
    suggested = ScheduledPost.objects.filter(is_suggestion=True).count()
    assert suggested > 0
    page = creator_client.get(f"/campaigns/{campaign.id}/")
    assert page.context["planner"].suggestions == suggested
    # Each suggestion takes a "+" box's place and leaves the gap count.
    assert page.context["planner"].gaps == gaps_before - suggested
    assert page.content.decode().count('data-testid="gap-slot"') == slots_before - suggested
    creator_client.post(f"/campaigns/{campaign.id}/suggestions/accept/")
    assert ScheduledPost.objects.filter(is_suggestion=False).count() == suggested


def _fill(campaign, posts_per_cell):
    video = VideoFactory(owner=campaign.owner, course=campaign.course)
    for day in campaign.days:
        for p in campaign.platforms.all():
            for n in range(posts_per_cell):
                ScheduledPostFactory(
                    campaign=campaign, platform=p, video=video, planned_at=_at(day, 8 + n)
                )
    LiveSessionFactory(campaign=campaign, starts_at=_at(campaign.launch_date, 20))
    DiscountFactory(course=campaign.course)


@pytest.mark.parametrize("posts_per_cell", [0, 4])
def test_planner_query_count_is_fixed(
    creator_client, campaign, posts_per_cell, django_assert_num_queries
):
    _fill(campaign, posts_per_cell)
    # session, user, campaign, platforms, posts, live sessions, discounts
    with django_assert_num_queries(7):
        response = creator_client.get(f"/campaigns/{campaign.id}/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    planner = response.context["planner"]
    cells = [c for _p, row in planner.rows for c in row]
    assert len(cells) == 2 * len(campaign.days)
    if posts_per_cell:
        assert all(c.more == 1 for c in cells)  # 4 posts: 3 chips and "+1 more"
        assert planner.gaps == 0
    else:
        assert planner.gaps == len(cells)


@pytest.mark.parametrize("posts_per_cell", [0, 4])
def test_full_planner_page_query_count_is_fixed(
    creator_client, creator, campaign, posts_per_cell, django_assert_num_queries
):
    """The whole page adds the tracking section: phase funnel, post links, posts without one."""
    from analytics import funnel
    from tracking import services

    _fill(campaign, posts_per_cell)
    services.links_for_campaign(owner=creator, campaign=campaign)
    funnel.funnel_recompute(owner_ids=[creator.pk], today=timezone.localdate(), now=timezone.now())
    with django_assert_num_queries(10):
        response = creator_client.get(f"/campaigns/{campaign.id}/")
    assert response.status_code == 200
    tracking = response.context["tracking"]
    assert len(tracking.links) == 2 * len(campaign.days) * posts_per_cell
    assert [row.phase for row in tracking.phases] == ["prelaunch", "launch", "followup"]


def test_list_query_count_is_fixed(creator_client, creator, django_assert_max_num_queries):
    for _ in range(5):
        CampaignFactory(owner=creator).platforms.set([platform("douyin")])
    with django_assert_max_num_queries(6):
        assert creator_client.get("/campaigns/").status_code == 200
