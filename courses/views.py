"""Course pages: pricing, competitor band, platform ranking and the stored forecast."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics import selectors as analytics_selectors
from core.htmx import render_page
from tracking.selectors import course_funnel

from . import selectors
from .models import Course

RANKING_SORTS = ("rank", "score", "net_price", "audience_match", "traffic_score", "commission_rate")


@login_required
def course_list_page(request):
    courses = selectors.course_list_page(owner=request.user)
    return render(request, "courses/list.html", {"courses": courses})


def _forecast_chart(page, forecast) -> str:
    history = page.daily_sales
    points = list(forecast.points.all()) if forecast else []
    labels = [d.isoformat() for d, _units in history] + [p.day.isoformat() for p in points]
    pad = [None] * len(history)
    spec = {
        "type": "line",
        "labels": labels,
        "datasets": [
            {
                "label": _("Units sold"),
                "type": "bar",
                "data": [u for _d, u in history] + [None] * len(points),
                "backgroundColor": "#8fa7d9",
            },
            {
                "label": _("Forecast"),
                "data": pad + [round(p.units, 2) for p in points],
                "borderColor": "#d2452d",
                "pointRadius": 0,
                "borderWidth": 2,
            },
            {
                "label": _("95% band, low"),
                "data": pad + [round(p.lower, 2) for p in points],
                "borderColor": "rgba(210,69,45,.25)",
                "pointRadius": 0,
                "borderWidth": 1,
            },
            {
                "label": _("95% band, high"),
                "data": pad + [round(p.upper, 2) for p in points],
                "borderColor": "rgba(210,69,45,.25)",
                "backgroundColor": "rgba(210,69,45,.12)",
                "pointRadius": 0,
                "borderWidth": 1,
                "fill": "-1",
            },
        ],
        "options": {"scales": {"x": {"ticks": {"maxTicksLimit": 12}}}},
    }
    return json.dumps(spec, ensure_ascii=False)


@login_required
def course_detail_page(request, course_id: int):
    try:
        page = selectors.course_page(owner=request.user, course_id=course_id, now=timezone.now())
    except Course.DoesNotExist:
        raise Http404 from None
    sort = request.GET.get("sort", "rank")
    sort = sort if sort in RANKING_SORTS else "rank"
    rankings = list(
        analytics_selectors.ranking_list(owner=request.user, course_id=course_id, order=sort)
    )
    forecast = analytics_selectors.forecast_get(owner=request.user, course_id=course_id)
    revenue = {}
    if forecast:
        points = list(forecast.points.all())
        for days in (30, 60, 90):
            revenue[days] = (
                sum(p.units for p in points[:days]),
                sum(p.revenue for p in points[:days]),
            )
    context = {
        "page": page,
        "course": page.course,
        "rankings": rankings,
        "sort": sort,
        "forecast": forecast,
        "revenue": revenue,
        "forecast_chart": _forecast_chart(page, forecast),
        "last_run": analytics_selectors.last_recompute(owner=request.user),
        "funnel": course_funnel(owner=request.user, course_id=course_id),
    }
    return render_page(request, "courses/detail.html", "courses/_ranking.html", context)
