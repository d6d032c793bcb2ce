"""What analytics adds to the pages of the apps below it (see ``core.panels``): a course's
platform ranking and stored forecast, a video's stored metrics."""

from __future__ import annotations

import json
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.panels import panel

from . import selectors
from .models import ExcludedDay, MetricWindow, SalesForecast

RANKING_SORTS = ("rank", "score", "net_price", "audience_match", "traffic_score", "commission_rate")


@panel("course.detail")
def course_results(*, request, page, course, **kwargs: Any) -> dict[str, Any]:
    sort = request.GET.get("sort", "rank")
    sort = sort if sort in RANKING_SORTS else "rank"
    rankings = list(selectors.ranking_list(owner=request.user, course_id=course.pk, order=sort))
    forecast = selectors.forecast_get(owner=request.user, course_id=course.pk)
    creator_days = list(selectors.excluded_day_list(owner=request.user, course_id=course.pk))
    restored_reason = ExcludedDay.Reason.RESTORED
    restored = {row.day.isoformat() for row in creator_days if row.reason == restored_reason}
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
        "forecast_model": _model_label(forecast.model) if forecast else "",
        "forecast_why": forecast_explanation(forecast) if forecast else "",
        "forecast_backtest": backtest_rows(forecast) if forecast else [],
        "forecast_left_out": left_out_rows(forecast, restored) if forecast else [],
        "excluded_days": [row for row in creator_days if row.reason != restored_reason],
        "restored_days": [row for row in creator_days if row.reason == restored_reason],
        "excluded_reasons": [
            (value, label)
            for value, label in ExcludedDay.Reason.choices
            if value != restored_reason
        ],
        "forecast_daily_band": _daily_band(forecast),
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
    # In the page's date format (a course's history can span more than a year: with the year).
    labels = [date_format(d, "DATE_FORMAT") for d, _units in history] + [
        date_format(p.day, "DATE_FORMAT") for p in points
    ]
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


def _model_label(name: str) -> str:
    if name == SalesForecast.Model.ENSEMBLE:
        # The stored choice's label says three; the forecast averages the two best since the
        # backtest showed two beat three (bench/bench_forecast.py).
        return _("Average of the two best models")
    try:
        return str(SalesForecast.Model(name).label)
    except ValueError:
        return name


def _percent(value) -> str:
    return f"{float(value or 0):.0%}"


@panel("course.admin.forecast")
def forecast_admin_panel(*, forecast, **kwargs) -> dict:
    """The course admin's forecast summary: the explanation in the reader's language."""
    return {"explanation": forecast_explanation(forecast)}


def forecast_explanation(forecast) -> str:
    """One sentence on why this model, in the creator's language, from the stored code and
    numbers (the stored English ``explanation`` is the fallback for older rows)."""
    n = forecast.explanation_numbers or {}
    code = forecast.explanation_code
    if code == "no_sales":
        return _("No sales yet: the forecast is zero until sales are recorded.")
    if code == "override":
        return _("Exponential model with the growth rate you set (r = %(r).4f per day).") % {
            "r": float(n.get("r", forecast.growth_rate))
        }
    if code == "too_short":
        return ngettext(
            "%(days)d day of sales is too few for a backtest (it needs %(needed)d): "
            "the exponential model is used.",
            "%(days)d days of sales are too few for a backtest (it needs %(needed)d): "
            "the exponential model is used.",
            n.get("days", 0),
        ) % {"days": n.get("days", 0), "needed": n.get("needed", 56)}
    if code == "chosen":
        model = _model_label(n.get("model", forecast.model))
        if n.get("model") == "ensemble":
            model = _("the average of %(models)s") % {
                "models": ", ".join(_model_label(m) for m in n.get("members", []))
            }
        return _(
            "Chosen because it forecast best on %(origins)d backtests of %(days)d days: scaled "
            "error %(mase).2f and 28-day total off by %(total)s, against %(baseline_mase).2f "
            "and %(baseline_total)s for the simple baseline (%(baseline)s). Model: %(model)s."
        ) % {
            "origins": n.get("origins", 0),
            "days": n.get("days", 28),
            "mase": float(n.get("mase", 0)),
            "total": _percent(n.get("total_error")),
            "baseline_mase": float(n.get("baseline_mase", 0)),
            "baseline_total": _percent(n.get("baseline_total_error")),
            "baseline": _model_label(n.get("baseline", "")),
            "model": model,
        }
    if code == "baseline_kept":
        return _(
            "No model beat the simple baseline (%(baseline)s) by 2%% on this course's own "
            "backtest, so the baseline is the forecast: scaled error %(mase).2f, 28-day total "
            "off by %(total)s."
        ) % {
            "baseline": _model_label(n.get("baseline", forecast.model)),
            "mase": float(n.get("baseline_mase", 0)),
            "total": _percent(n.get("baseline_total_error")),
        }
    return forecast.explanation


def backtest_rows(forecast) -> list[dict]:
    """Each model's backtest score, best first, the chosen one and the baselines marked."""
    chosen = forecast.explanation_numbers.get("model") if forecast.explanation_numbers else None
    rows = [
        {
            "label": _model_label(name),
            "mase": scores.get("mase"),
            "total_error": scores.get("total_error"),
            "chosen": name == chosen,
            "baseline": name in ("seasonal_naive", "mean_28"),
        }
        for name, scores in (forecast.backtest or {}).items()
    ]
    return sorted(rows, key=lambda r: (r["mase"] or 0) + (r["total_error"] or 0))


LEFT_OUT_REASONS = {
    "before_launch": gettext_lazy("before the launch"),
    "stray": gettext_lazy("a stray sale far ahead of the rest"),
    "excluded": gettext_lazy("you left it out"),
    "clipped": gettext_lazy("a bulk order, counted at the course's usual ceiling"),
}


def left_out_rows(forecast, restored=frozenset()) -> list[dict]:
    """The days the fit left out or clipped by itself, each with its "Put back" button (the
    creator's own exclusions and the days they put back are listed from ExcludedDay, and a
    day put back since the last recompute is not listed here again)."""
    return [
        {
            "day": row["day"],
            "units": round(row.get("units") or 0),
            "reason": str(LEFT_OUT_REASONS.get(row["reason"], row["reason"])),
        }
        for row in forecast.left_out or []
        if row["reason"] != "excluded" and row["day"] not in restored
    ]


def _daily_band(forecast):
    """Tomorrow's (the first forecast day's) expected units and 95 % band."""
    if not forecast:
        return None
    points = list(forecast.points.all())
    return points[0] if points else None
