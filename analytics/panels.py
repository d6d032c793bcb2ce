"""What analytics adds to the pages of the apps below it (see ``core.panels``): a course's
platform ranking and stored forecast, a video's stored metrics."""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _

from core.panels import panel

from . import selectors
from .models import MetricWindow

RANKING_SORTS = ("rank", "score", "net_price", "audience_match", "traffic_score", "commission_rate")


@panel("course.detail")
def course_results(*, request, page, course, **kwargs: Any) -> dict[str, Any]:
    sort = request.GET.get("sort", "rank")
    sort = sort if sort in RANKING_SORTS else "rank"
    rankings = list(selectors.ranking_list(owner=request.user, course_id=course.pk, order=sort))
    forecast = selectors.forecast_get(owner=request.user, course_id=course.pk)
    revenue = {}
    if forecast:
        points = list(forecast.points.all())
        for days in (30, 60, 90):
            revenue[days] = (
                sum(p.units for p in points[:days]),
                sum(p.revenue for p in points[:days]),
            )
    return {
        "rankings": rankings,
        "sort": sort,
        "forecast": forecast,
        "revenue": revenue,
        "forecast_chart": _forecast_chart(page, forecast),
        "last_run": selectors.last_recompute(owner=request.user),
    }


@panel("video.detail")
def video_metrics(*, video, **kwargs: Any) -> dict[str, Any]:
    stored = {metric.window: metric for metric in video.metrics.all()}
    return {
        "metric_rows": [(label, stored.get(value)) for value, label in MetricWindow.choices],
        "has_metrics": bool(stored),
        "missing_windows": [
            str(label) for value, label in MetricWindow.choices if value not in stored
        ],
        "computed_at": max((m.computed_at for m in stored.values()), default=None),
    }


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
