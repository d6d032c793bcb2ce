"""Attribution rules on the edge cases, through the recompute's funnel step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from analytics import funnel
from analytics.models import CreatorSettings
from core import codes
from tests.factories import (
    CampaignFactory,
    CourseFactory,
    LinkClickFactory,
    SaleFactory,
    ScheduledPostFactory,
    VideoFactory,
)
from tracking import services
from tracking.models import SaleAttribution

NOW = timezone.now().replace(microsecond=0)


def recompute(*owners):
    funnel.funnel_recompute(
        owner_ids=[o.pk for o in owners], today=timezone.localdate(), now=timezone.now()
    )


def attribution_of(sale):
    return SaleAttribution.objects.get(sale=sale)


@pytest.fixture
def course(creator):
    return CourseFactory(owner=creator, sales_page_url="https://shop.example.com/")


@pytest.fixture
def links(creator, course):
    first = services.link_for_video(owner=creator, video=VideoFactory(owner=creator, course=course))
    second = services.link_for_video(
        owner=creator, video=VideoFactory(owner=creator, course=course)
    )
    return first, second


def test_a_code_on_the_sale_credits_that_link(creator, course, links):
    sale = SaleFactory(course=course, tracking_code=links[1].code.upper(), sold_at=NOW)
    LinkClickFactory(link=links[0], clicked_at=NOW - timedelta(minutes=5))  # ignored: coded
    recompute(creator)
    result = attribution_of(sale)
    assert (result.method, result.link, result.video) == ("code", links[1], links[1].video)
    assert not result.inferred


@pytest.mark.parametrize(
    "typed",
    [
        "{code}",
        "{printed}",
        " {printed_lower} ",
        "https://coursereel.example.com/r/{code}",
        "https://shop.example.com/py?utm_source=douyin&utm_content={code}",
    ],
)
def test_a_link_or_printed_code_reads_back_to_the_code(creator, course, links, typed):
    code = links[0].code
    value = typed.format(
        code=code, printed=codes.printable(code), printed_lower=codes.printable(code).lower()
    )
    sale = SaleFactory(course=course, tracking_code=value, sold_at=NOW)
    recompute(creator)
    assert attribution_of(sale).link == links[0]


def test_two_clicks_credit_the_later_one(creator, course, links):
    LinkClickFactory(link=links[0], clicked_at=NOW - timedelta(days=2))
    LinkClickFactory(link=links[1], clicked_at=NOW - timedelta(hours=3))
    sale = SaleFactory(course=course, sold_at=NOW)
    recompute(creator)
    result = attribution_of(sale)
    assert (result.method, result.link, result.video) == ("last_click", links[1], links[1].video)
    assert result.inferred and result.click_at == NOW - timedelta(hours=3)


def test_a_click_after_the_sale_does_not_count(creator, course, links):
    LinkClickFactory(link=links[0], clicked_at=NOW - timedelta(days=1))
    LinkClickFactory(link=links[1], clicked_at=NOW + timedelta(minutes=1))
    sale = SaleFactory(course=course, sold_at=NOW)
    recompute(creator)
    assert attribution_of(sale).link == links[0]


def test_window_edges_default_seven_days(creator, course, links):
    LinkClickFactory(link=links[0], clicked_at=NOW - timedelta(days=7))
    inside = SaleFactory(course=course, sold_at=NOW)
    outside = SaleFactory(course=course, sold_at=NOW + timedelta(seconds=1))
    recompute(creator)
    assert attribution_of(inside).method == "last_click"
    assert attribution_of(outside).method == "none"
    assert attribution_of(outside).link is None


def test_the_creators_window_setting_applies(creator, course, links):
    CreatorSettings.objects.create(owner=creator, attribution_window_days=30)
    LinkClickFactory(link=links[0], clicked_at=NOW - timedelta(days=20))
    sale = SaleFactory(course=course, sold_at=NOW)
    recompute(creator)
    assert attribution_of(sale).method == "last_click"
    CreatorSettings.objects.filter(owner=creator).update(attribution_window_days=10)
    recompute(creator)
    assert attribution_of(sale).method == "none"


def test_an_unknown_code_is_marked_and_never_guessed(creator, course, links):
    LinkClickFactory(link=links[0], clicked_at=NOW - timedelta(hours=1))
    sale = SaleFactory(course=course, tracking_code="PROMO2026", sold_at=NOW)
    typo = SaleFactory(course=course, tracking_code="zzz-zzzz", sold_at=NOW)
    recompute(creator)
    assert attribution_of(sale).method == "unknown_code"
    assert attribution_of(typo).method == "unknown_code"
    assert attribution_of(sale).link is None


def test_another_creators_code_is_unknown(creator, other_creator, course):
    theirs = services.link_for_video(owner=other_creator, video=VideoFactory(owner=other_creator))
    sale = SaleFactory(course=course, tracking_code=theirs.code, sold_at=NOW)
    recompute(creator, other_creator)
    assert attribution_of(sale).method == "unknown_code"
    assert attribution_of(sale).link is None


def test_clicks_on_another_courses_links_do_not_count(creator, course):
    other_course = CourseFactory(owner=creator)
    link = services.link_for_video(
        owner=creator, video=VideoFactory(owner=creator, course=other_course)
    )
    LinkClickFactory(link=link, clicked_at=NOW - timedelta(hours=1))
    sale = SaleFactory(course=course, sold_at=NOW)
    recompute(creator)
    assert attribution_of(sale).method == "none"


def test_the_creators_own_choice_of_video_wins_over_the_rule(creator, course, links):
    chosen = VideoFactory(owner=creator, course=course)
    LinkClickFactory(link=links[0], clicked_at=NOW - timedelta(hours=1))
    sale = SaleFactory(course=course, source_video=chosen, sold_at=NOW)
    coded = SaleFactory(
        course=course, source_video=chosen, tracking_code=links[1].code, sold_at=NOW
    )
    recompute(creator)
    assert (attribution_of(sale).method, attribution_of(sale).video) == ("manual", chosen)
    assert (attribution_of(coded).method, attribution_of(coded).link) == ("code", links[1])


def test_post_links_credit_the_posts_video_and_campaign_course(creator):
    campaign = CampaignFactory(owner=creator)
    post = ScheduledPostFactory(campaign=campaign)
    link = services.link_for_post(owner=creator, post=post)
    LinkClickFactory(link=link, clicked_at=NOW - timedelta(hours=1))
    sale = SaleFactory(course=campaign.course, sold_at=NOW)
    recompute(creator)
    result = attribution_of(sale)
    assert (result.method, result.link, result.video) == ("last_click", link, post.video)


def test_rerun_is_stable_and_follows_changes(creator, course, links):
    sale = SaleFactory(course=course, sold_at=NOW)
    recompute(creator)
    assert attribution_of(sale).method == "none"
    first_computed = attribution_of(sale).computed_at
    recompute(creator)
    if connection.vendor == "postgresql":  # the upsert skips unchanged rows there
        assert attribution_of(sale).computed_at == first_computed
    sale.tracking_code = links[0].code
    sale.save()
    recompute(creator)
    assert attribution_of(sale).method == "code"
    assert SaleAttribution.objects.count() == 1


def test_a_sale_recorded_through_the_api_recomputes_after_commit(
    creator, course, links, monkeypatch, django_capture_on_commit_callbacks
):
    from analytics import tasks
    from courses.services import sale_record

    sent = []
    monkeypatch.setattr(tasks.recompute_owner_metrics, "delay", lambda *args: sent.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        sale = sale_record(
            owner=creator,
            data={
                "course": course,
                "quantity": 1,
                "unit_price": 99,
                "sold_at": NOW,
                "tracking_code": f"https://x.example/r/{codes.printable(links[0].code)}",
            },
        )
    assert sale.tracking_code == links[0].code
    assert sent == [(creator.pk, "sale.recorded")]
