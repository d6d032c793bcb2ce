"""Forecast accuracy on course-like sales: CourseReel against statsforecast and the baselines.

216 seeded series (bench/forecast_series.py), the last 28 days held out. Scores, per kind and
overall: median MASE (scale: in-sample MAE of the weekly seasonal-naive forecast), median
28-day-total error |Σ forecast − Σ actual| / max(Σ actual, 1), and how often the 95 % band
of the 28-day total holds the actual total. Then the time to forecast 1,000 courses.

statsforecast is the reference, not a dependency of the app: `make bench` installs it and
what it needs from requirements-bench.txt into var/bench-packages (its pins do not fit the
app's pandas). Without it, the reference columns are left out. SEED=… picks another suite.
"""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "var" / "bench-packages"))

from analytics import forecasting as fc  # noqa: E402
from bench.forecast_series import HOLDOUT, KINDS, make_suite  # noqa: E402

SEED = int(os.environ.get("SEED", "16"))
Z_95 = 1.96


def _reference_models():
    try:
        os.environ.setdefault("NIXTLA_ID_AS_COL", "1")
        from statsforecast.models import AutoETS, CrostonSBA
    except ImportError as error:
        print(f"(statsforecast not installed: {error}; run `make bench`)")
        return None
    return AutoETS, CrostonSBA


def _autoets(AutoETS, history):
    out = AutoETS(season_length=7).fit(history.astype(float)).predict(HOLDOUT, level=[95])
    mean = np.maximum(out["mean"], 0.0)
    sd = (out["hi-95"] - out["lo-95"]) / (2 * Z_95)
    half = Z_95 * math.sqrt(float(np.sum(sd**2)))
    return mean, (mean.sum() - half, mean.sum() + half)


def _coursereel(series):
    result = fc.forecast_sales(series.history, horizon=HOLDOUT, promotions=series.promotions)
    _total, low, high = result.total_band(HOLDOUT)
    return result.mean, (low, high), result.model


def evaluate(suite):
    refs = _reference_models()
    methods = ["coursereel", "autoets", "croston_sba", "seasonal_naive", "mean_28"]
    if refs is None:
        methods = ["coursereel", "seasonal_naive", "mean_28"]
    rows = {m: {"mase": [], "total": [], "cover": [], "kind": []} for m in methods}
    chosen = {}
    seconds = {m: 0.0 for m in methods}
    for series in suite:
        history, actual = series.history, series.actual
        scale = fc.mase_scale(history)
        for method in methods:
            started = time.perf_counter()
            band = None
            if method == "coursereel":
                mean, band, model = _coursereel(series)
                chosen[model] = chosen.get(model, 0) + 1
            elif method == "autoets":
                mean, band = _autoets(refs[0], history)
            elif method == "croston_sba":
                mean = refs[1]().forecast(history.astype(float), HOLDOUT)["mean"]
            elif method == "seasonal_naive":
                mean = np.tile(history[-7:], HOLDOUT // 7)
            else:
                mean = np.full(HOLDOUT, history[-28:].mean())
            seconds[method] += time.perf_counter() - started
            row = rows[method]
            row["kind"].append(series.kind)
            row["mase"].append(fc.mase(actual, mean, scale))
            row["total"].append(fc.total_error(actual, mean))
            row["cover"].append(
                np.nan if band is None else float(band[0] <= actual.sum() <= band[1])
            )
    return rows, chosen, seconds


def _summary(row, kind=None):
    keep = [i for i, k in enumerate(row["kind"]) if kind is None or k == kind]
    cover = [row["cover"][i] for i in keep]
    return (
        float(np.median([row["mase"][i] for i in keep])),
        float(np.median([row["total"][i] for i in keep])),
        float(np.nanmean(cover)) if not np.isnan(cover).all() else float("nan"),
    )


def print_table(rows):
    methods = list(rows)
    print(f"{'kind':<14}" + "".join(f"{m:>26}" for m in methods))
    print(f"{'':<14}" + "".join(f"{'MASE  total  cover':>26}" for _ in methods))
    for kind in (*KINDS, None):
        cells = []
        for method in methods:
            m, t, c = _summary(rows[method], kind)
            cover = "   —" if math.isnan(c) else f"{c:4.2f}"
            cells.append(f"{m:>12.3f} {t:>6.1%} {cover:>6}")
        print(f"{kind or 'overall':<14}" + "".join(f"{c:>26}" for c in cells))


def time_1000_courses(suite) -> tuple[float, float]:
    """Wall and CPU seconds for 1,000 forecasts of 90 days (CPU time is the steadier figure
    on a shared machine)."""
    histories = [suite[i % len(suite)] for i in range(1000)]
    fc.forecast_sales(histories[0].history, horizon=90)  # imports and caches warmed
    started, cpu = time.perf_counter(), time.process_time()
    for series in histories:
        fc.forecast_sales(series.history, horizon=90, promotions=series.promotions)
    return time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    suite = make_suite(SEED)
    print(f"{len(suite)} series, {len(KINDS)} kinds, seed {SEED}, last {HOLDOUT} days held out")
    rows, chosen, seconds = evaluate(suite)
    print_table(rows)
    print("chosen:", ", ".join(f"{k} {v}" for k, v in sorted(chosen.items(), key=lambda i: -i[1])))
    print("seconds for the suite:", ", ".join(f"{m} {s:.2f}" for m, s in seconds.items()))
    ours = _summary(rows["coursereel"])
    worst = max(
        _summary(rows["coursereel"], kind)[0]
        / max(
            min(_summary(rows["seasonal_naive"], kind)[0], _summary(rows["mean_28"], kind)[0]),
            0.01,
        )
        for kind in KINDS
    )
    if "autoets" in rows:
        theirs = _summary(rows["autoets"])
        print(f"bench forecast_mase_vs_autoets = {ours[0] / theirs[0]:.3f} ratio")
        print(f"bench forecast_autoets_total_error = {theirs[1]:.3f} share")
    print(f"bench forecast_mase = {ours[0]:.3f} mase")
    print(f"bench forecast_total_error = {ours[1]:.3f} share")
    print(f"bench forecast_band_cover = {ours[2]:.3f} share")
    print(f"bench forecast_worst_kind_vs_baseline = {worst:.3f} ratio")
    wall, cpu = time_1000_courses(suite)
    print(f"bench forecast_1000_courses_seconds = {wall:.2f} s")
    print(f"bench forecast_1000_courses_cpu_seconds = {cpu:.2f} s")


if __name__ == "__main__":
    main()
