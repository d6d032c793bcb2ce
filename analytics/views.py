"""The dashboard: stored results and small aggregates, never a recompute on a request."""

from __future__ import annotations

import json
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.htmx import refuse, render_page, trigger
from courses.models import Course
from tracking.selectors import posting_suggestions

from . import services
from .dashboard import PERIODS, TABLE_SORTS, dashboard_data
from .forms import ExcludedDayForm
from .models import ExcludedDay


def _chart(data) -> str:
    return json.dumps(
        {
            "type": "bar",
            # The page's own date format (the video page's chart does the same), not ISO.
            "labels": [
                date_format(date.fromisoformat(day), "MONTH_DAY_FORMAT")
                for day in data.chart_labels
            ],
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


@login_required
@require_POST
def forecast_days(request, course_id: int):
    """Leave a day out of the course's forecast fit or put it back (the creator's own
    exclusions, and the days the forecast leaves out by itself); the recompute follows.

    htmx: 204 that reloads the page with a toast; otherwise a redirect to the course page.
    """
    form = ExcludedDayForm(request.POST)
    if not form.is_valid():
        return refuse(_("Choose a day and whether to leave it out or restore it."), status=400)
    day, action = form.cleaned_data["day"], form.cleaned_data["action"]
    try:
        if action == ExcludedDayForm.EXCLUDE:
            services.excluded_day_add(
                owner=request.user,
                course_id=course_id,
                day=day,
                reason=form.cleaned_data["reason"] or ExcludedDay.Reason.OTHER,
            )
            message = _("%(day)s is left out of the forecast; it is being recomputed.")
        elif action == ExcludedDayForm.PUT_BACK:
            services.excluded_day_add(
                owner=request.user,
                course_id=course_id,
                day=day,
                reason=ExcludedDay.Reason.RESTORED,
            )
            message = _("%(day)s is back in the forecast; it is being recomputed.")
        elif action == ExcludedDayForm.LEAVE_OUT:
            services.excluded_day_remove(owner=request.user, course_id=course_id, day=day)
            message = _("The forecast decides on %(day)s by itself again; it is being recomputed.")
        else:
            services.excluded_day_remove(owner=request.user, course_id=course_id, day=day)
            message = _("%(day)s is back in the forecast; it is being recomputed.")
    except Course.DoesNotExist:
        raise Http404 from None
    message = message % {"day": date_format(day, "SHORT_DATE_FORMAT")}
    if getattr(request, "htmx", None):
        response = trigger("forecastDaysChanged", message=message)
        response["HX-Refresh"] = "true"
        return response
    messages.success(request, message)
    return redirect(reverse("courses:detail", args=[course_id]) + "#forecast")
