"""The dashboard: stored results and small aggregates, never a recompute on a request."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext as _

from core.htmx import render_page
from tracking.selectors import posting_suggestions

from .dashboard import PERIODS, TABLE_SORTS, dashboard_data


def _chart(data) -> str:
    return json.dumps(
        {
            "type": "bar",
            "labels": data.chart_labels,
            "datasets": [
                {
                    "label": _("Views"),
                    "data": data.chart_views,
                    "backgroundColor": "#8fa7d9",
                    "yAxisID": "y",
                },
                {
                    "label": _("Interactions"),
                    "type": "line",
                    "data": data.chart_interactions,
                    "borderColor": "#d2452d",
                    "pointRadius": 0,
                    "yAxisID": "y1",
                },
            ],
            "options": {
                "scales": {
                    "y": {"beginAtZero": True, "position": "left"},
                    "y1": {
                        "beginAtZero": True,
                        "position": "right",
                        "grid": {"drawOnChartArea": False},
                    },
                    "x": {"ticks": {"maxTicksLimit": 10}},
                }
            },
        },
        ensure_ascii=False,
    )


@login_required
def dashboard(request):
    try:
        period = int(request.GET.get("period", 28))
    except ValueError:
        period = 28
    data = dashboard_data(owner=request.user, period=period, sort=request.GET.get("sort", ""))
    context = {
        "data": data,
        "periods": PERIODS,
        "sorts": TABLE_SORTS,
        "chart": _chart(data),
        "suggestions": posting_suggestions(owner=request.user),
    }
    return render_page(request, "dashboard/page.html", "dashboard/_body.html", context)
