from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from analytics import engine
from analytics.dashboard import dashboard_data
from courses.models import Level
from tests.factories import (
    CampaignFactory,
    CourseFactory,
    DiscountFactory,
    PriceTierFactory,
    SaleFactory,
    VideoDailyStatFactory,
    VideoFactory,
    platform,
)

pytestmark = pytest.mark.django_db


def _data(owner, videos=3):
    today = timezone.localdate()
    for _n in range(videos):
        video = VideoFactory(owner=owner)
        for d in range(1, 57):
            VideoDailyStatFactory(
                video=video,
                date=today - timedelta(days=d),
                views=1000 if d <= 28 else 500,
                interactions=100,
                comments=10,
                likes=50,
            )
    course = CourseFactory(owner=owner)
    tier = PriceTierFactory(course=course, list_price=Decimal("100"))
    for d in range(1, 29):
        SaleFactory(
            course=course,
            tier=tier,
            platform=platform("douyin"),
            unit_price=Decimal("100"),
            sold_at=timezone.now() - timedelta(days=d),
        )
    engine.recompute(owner_ids=[owner.id])


def test_kpis_and_deltas(creator):
    _data(creator)
    data = dashboard_data(owner=creator, period=28)
    kpis = {k.key: k for k in data.kpis}
    assert kpis["views"].value == 3 * 28 * 1000
    assert kpis["views"].delta == pytest.approx(100.0)  # 1000 a day against 500
    # F = 100/1000, D = 60/100 → D_F = 0.35 now; before F = 0.2 → 0.4: −5 pp.
    assert kpis["engagement"].value == pytest.approx(0.35)
    assert kpis["engagement"].delta == pytest.approx(-5.0)
    assert kpis["engagement"].delta_unit == "pp"
    assert kpis["units"].value in (27, 28)  # the first sale may fall on today's boundary
    assert kpis["revenue"].value == pytest.approx(kpis["units"].value * 90)  # 10 % commission
    assert kpis["forecast"].value > 0
    assert len(kpis["views"].spark) == 28


def test_alerts_name_what_to_fix(creator):
    _data(creator, videos=1)
    course = CourseFactory(owner=creator)
    PriceTierFactory(course=course, level=Level.BEGINNER, list_price=Decimal(300))
    PriceTierFactory(course=course, level=Level.ADVANCED, list_price=Decimal(100))
    DiscountFactory(course=course, ends_at=timezone.now() + timedelta(hours=5))
    campaign = CampaignFactory(owner=creator, launch_date=timezone.localdate() + timedelta(days=2))
    campaign.platforms.set([platform("douyin")])
    texts = " ".join(a.text for a in dashboard_data(owner=creator).alerts)
    assert "is cheaper than" in texts
    assert "ends in 5 h" in texts
    assert "open slots" in texts


def test_empty_states_instead_of_zeros(creator):
    data = dashboard_data(owner=creator)
    assert not data.has_stats
    assert any("No stats imported yet" in a.text for a in data.alerts)
    assert {k.key: k.value for k in data.kpis}["engagement"] is None


def test_stale_import_is_flagged(creator):
    VideoDailyStatFactory(
        video=VideoFactory(owner=creator), date=timezone.localdate() - timedelta(days=9)
    )
    assert any("9 days ago" in a.text for a in dashboard_data(owner=creator).alerts)


def test_other_creators_data_never_shows(creator, other_creator, client):
    _data(other_creator)
    client.force_login(creator)
    response = client.get("/")
    kpis = {k.key: k.value for k in response.context["data"].kpis}
    assert kpis["views"] == 0 and kpis["units"] == 0
    assert response.context["data"].best == []


@pytest.mark.parametrize("videos", [1, 6])
def test_dashboard_query_count_is_fixed(creator, creator_client, videos, django_assert_num_queries):
    _data(creator, videos=videos)
    CampaignFactory(owner=creator, launch_date=timezone.localdate() + timedelta(days=2))
    # 17 + what to post next + videos without a course (the nudge, issue 15)
    with django_assert_num_queries(19):
        response = creator_client.get("/?period=28&sort=views")
    assert response.status_code == 200
    assert response.context["data"].sort == "views"


def test_figures_say_up_to_which_day(creator, creator_client):
    video = VideoFactory(owner=creator)
    today = timezone.localdate()
    VideoDailyStatFactory(video=video, date=today - timedelta(days=3))
    data = dashboard_data(owner=creator)
    assert data.figures_through == today - timedelta(days=3) and not data.has_today

    # Numbers imported for today do not count yet: the period ends yesterday.
    VideoDailyStatFactory(video=video, date=today)
    data = dashboard_data(owner=creator)
    assert data.figures_through == today - timedelta(days=1) and data.has_today
    content = creator_client.get("/").content.decode()
    assert "today's imported numbers count from tomorrow" in content
    assert 'data-testid="figures-through"' in content


def test_numbers_and_dates_follow_the_language(creator, creator_client):
    video = VideoFactory(owner=creator)
    day = timezone.localdate() - timedelta(days=2)
    VideoDailyStatFactory(video=video, date=day, views=1234567, interactions=10)
    engine.recompute(owner_ids=[creator.id])
    english = creator_client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1,234,567" in english
    assert f"Figures up to {day.day} {day:%b} {day.year}" in english
    chinese = creator_client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    # Django's zh-Hans groups by four digits without a separator; ours by thousands.
    assert "1,234,567" in chinese and ">1234567<" not in chinese
    assert f"数据截至 {day.year}年{day.month}月{day.day}日" in chinese


def test_the_chart_dates_are_in_the_pages_format_not_iso(creator, creator_client):
    import html
    import json
    import re

    VideoDailyStatFactory(video=VideoFactory(owner=creator), date=timezone.localdate())
    last = timezone.localdate() - timedelta(days=1)

    def labels(language):
        page = creator_client.get("/?period=7", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        spec = json.loads(html.unescape(re.search(r'data-chart="([^"]+)"', page).group(1)))
        return spec["labels"]

    assert labels("en")[-1] == f"{last.day} {last:%b}"
    assert labels("zh-hans")[-1] == f"{last.month}月{last.day}日"
    assert not any(re.fullmatch(r"\d{4}-\d\d-\d\d", label) for label in labels("en"))


def test_an_alerts_list_of_platforms_uses_the_languages_separator():
    from django.utils.translation import pgettext

    with translation.override("zh-hans"):
        assert pgettext("between the items of a list", ", ") == "、"
    with translation.override("en"):
        assert pgettext("between the items of a list", ", ") == ", "
