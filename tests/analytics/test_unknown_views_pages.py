"""Unknown views on the pages and in the API: "—" and null, never 0 (issue 13, deliverable 2)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from analytics import engine
from analytics.dashboard import dashboard_data
from analytics.models import EngagementMetric
from tests.api.conftest import token_client
from tests.factories import VideoDailyStatFactory, VideoFactory

pytestmark = pytest.mark.django_db


def _video_without_views(owner, days=(1, 2, 3)):
    video = VideoFactory(owner=owner, title="No views reported")
    today = timezone.localdate()
    for d in days:
        VideoDailyStatFactory(
            video=video,
            date=today - timedelta(days=d),
            views=None,
            interactions=100,
            comments=10,
            likes=30,
        )
    engine.engagement_recompute(owner_ids=[owner.id])
    return video


def test_video_page_prints_a_dash_for_unknown_f(creator, creator_client):
    video = _video_without_views(creator)
    week = EngagementMetric.objects.get(video=video, window="7d")
    assert week.frequency is None and week.engagement is None and week.composite_quality is None
    html = creator_client.get(f"/videos/{video.id}/").content.decode()
    table = html[html.index('data-testid="metrics"') :]
    table = table[: table.index("</table>")]
    f_row = table[table.index('data-figure="F"') :]
    f_row = f_row[: f_row.index("</tr>")]
    assert f_row.count("—") == 3 and "0.000" not in f_row  # lifetime, 28d, 7d
    assert 'data-testid="views-unknown"' in table
    assert "0.400" in table  # D = (10 + 30) / 100 needs no views


def test_api_returns_null_for_unknown_figures_and_daily_views(creator):
    video = _video_without_views(creator)
    api = token_client(creator)
    metrics = api.get("/api/v1/engagement-metrics/", {"video": video.id}).json()["results"]
    assert metrics and all(m["frequency"] is None for m in metrics)
    assert all(m["engagement"] is None and m["composite_quality"] is None for m in metrics)
    assert all(m["views"] is None and m["views_unknown_days"] == 3 for m in metrics)
    assert all(m["depth"] == pytest.approx(0.4) for m in metrics)
    days = api.get("/api/v1/daily-stats/", {"video": video.id}).json()["results"]
    assert days and all(d["views"] is None for d in days)


def test_dashboard_leaves_unknown_views_out_of_f_and_says_so(creator):
    today = timezone.localdate()
    known = VideoFactory(owner=creator)
    for d in range(1, 8):
        VideoDailyStatFactory(
            video=known, date=today - timedelta(days=d), views=1000, interactions=50,
            comments=5, likes=5,
        )  # fmt: skip
    _video_without_views(creator)
    data = dashboard_data(owner=creator, period=7)
    kpis = {k.key: k for k in data.kpis}
    assert kpis["views"].value == 7000
    assert "3 video-days" in str(kpis["views"].definition)
    # F = 350 / 7000 (the unknown days' 300 interactions left out); D = 190 / 650, all days.
    assert kpis["engagement"].value == pytest.approx(0.5 * 350 / 7000 + 0.5 * 190 / 650)


def test_dashboard_with_no_views_reported_shows_dashes(creator, creator_client):
    _video_without_views(creator)
    data = dashboard_data(owner=creator, period=7)
    kpis = {k.key: k for k in data.kpis}
    assert kpis["views"].value is None and kpis["engagement"].value is None
    assert None in data.chart_views  # a gap, not a 0
    html = creator_client.get("/?period=7").content.decode()
    card = html[html.index('data-testid="kpi-views"') :]
    assert "—" in card[: card.index("</li>")]
    chart = json.dumps(data.chart_views)
    assert "null" in chart
