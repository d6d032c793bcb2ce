from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics import engine, funnel
from courses.models import Level
from tests.factories import (
    CompetitorPriceFactory,
    CourseFactory,
    DiscountFactory,
    LinkClickFactory,
    PriceTierFactory,
    SaleFactory,
    TrackingLinkFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db


def _course(owner, tiers=2, competitors=3, sales=10):
    course = CourseFactory(owner=owner, audience_tags=["developers"])
    for n in range(tiers):
        PriceTierFactory(course=course, level=Level.BEGINNER, list_price=Decimal(100 + n))
    for n in range(competitors):
        CompetitorPriceFactory(course=course, price=Decimal(80 + 20 * n))
    DiscountFactory(course=course, value=Decimal("10"))
    for n in range(sales):
        SaleFactory(
            course=course, tier=course.tiers.first(), sold_at=timezone.now() - timedelta(days=n + 1)
        )
    return course


def test_course_pages_need_login_and_hide_other_creators(client, creator, other_creator):
    course = _course(creator)
    assert client.get(f"/courses/{course.id}/").status_code == 302
    client.force_login(other_creator)
    assert client.get(f"/courses/{course.id}/").status_code == 404
    assert course.title.encode() not in client.get("/courses/").content


def test_course_page_shows_prices_band_ranking_and_forecast(creator_client, creator):
    course = _course(creator)
    engine.recompute(owner_ids=[creator.id])
    response = creator_client.get(f"/courses/{course.id}/")
    assert response.status_code == 200
    page = response.context["page"]
    assert [t.price_now for t in page.tiers] == [Decimal("90.00"), Decimal("90.90")]
    assert page.band.q1 == Decimal("90.00")
    assert len(response.context["rankings"]) == 6
    assert response.context["forecast"].points.count() == 90
    assert response.context["revenue"][30][1] > 0
    html = response.content.decode()
    assert "data-chart=" in html and "Exponential" in html


def test_out_of_order_tier_is_flagged(creator_client, creator):
    course = CourseFactory(owner=creator)
    PriceTierFactory(course=course, level=Level.BEGINNER, name="Basic", list_price=Decimal(300))
    PriceTierFactory(course=course, level=Level.ADVANCED, name="Pro", list_price=Decimal(200))
    response = creator_client.get(f"/courses/{course.id}/")
    assert [t.out_of_order for t in response.context["page"].tiers] == [True, True]
    assert "higher levels should not be cheaper" in response.content.decode()


def test_ranking_sorts_through_htmx_fragment(creator_client, creator):
    course = _course(creator)
    engine.recompute(owner_ids=[creator.id])
    response = creator_client.get(f"/courses/{course.id}/?sort=net_price", HTTP_HX_REQUEST="true")
    assert response.templates[0].name == "courses/_ranking.html"
    prices = [r.net_price for r in response.context["rankings"]]
    assert prices == sorted(prices, reverse=True)


@pytest.mark.parametrize("size", [1, 8])
def test_course_page_query_count_is_fixed(creator_client, creator, size, django_assert_num_queries):
    course = _course(creator, tiers=size, competitors=size, sales=size * 3)
    engine.recompute(owner_ids=[creator.id])
    for video in VideoFactory.create_batch(size, owner=creator, course=course):
        LinkClickFactory.create_batch(2, link=TrackingLinkFactory(video=video))
    funnel.funnel_recompute(owner_ids=[creator.id], today=timezone.localdate(), now=timezone.now())
    # session, user, course, tiers, discounts, competitors, sales by day, rankings,
    # forecast, points, last recompute, funnel: total, top videos, platforms, attributions,
    # excluded sales days
    with django_assert_num_queries(16):
        response = creator_client.get(f"/courses/{course.id}/")
    assert response.status_code == 200
    assert response.context["funnel"].total.clicks == 2 * size


@pytest.mark.parametrize("size", [1, 6])
def test_course_list_query_count_is_fixed(creator_client, creator, size, django_assert_num_queries):
    for _ in range(size):
        _course(creator, sales=0)
    with django_assert_num_queries(3):
        assert creator_client.get("/courses/").status_code == 200
