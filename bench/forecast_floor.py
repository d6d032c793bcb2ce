"""How well a forecast can do on bench_forecast.py's suite at all: the scores of forecasting
each held-out day with the generator's own expected value (the mean of its gamma-Poisson
draw), against AutoETS(7). No model can expect to beat these; they are the noise floor the
goals in bench_forecast.py are measured against.

The generator is not changed: its draw function is wrapped to note the expected values it is
given. `SEED=5 .venv/bin/python bench/forecast_floor.py` (statsforecast from `make bench`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "var" / "bench-packages"))

from analytics import forecasting as fc  # noqa: E402
from bench import bench_forecast, forecast_series  # noqa: E402

SEED = int(os.environ.get("SEED", "16"))


def suite_with_expected_values(seed: int):
    """The suite, and for each series the expected units of each held-out day."""
    noted: list[np.ndarray] = []
    draw = forecast_series._counts

    def noting(rng, mu, shape=8.0):
        noted.append(np.maximum(mu, 0.0))
        return draw(rng, mu, shape)

    forecast_series._counts = noting
    try:
        suite = forecast_series.make_suite(seed)
    finally:
        forecast_series._counts = draw
    assert len(noted) == len(suite)  # one draw per series
    return suite, [mu[-forecast_series.HOLDOUT :] for mu in noted]


def main() -> None:
    suite, expected = suite_with_expected_values(SEED)
    mase, total = [], []
    for series, mean in zip(suite, expected, strict=True):
        mase.append(fc.mase(series.actual, mean, fc.mase_scale(series.history)))
        total.append(fc.total_error(series.actual, mean))
    print(f"{len(suite)} series, seed {SEED}: forecasting the generator's expected values")
    print(f"bench forecast_floor_mase = {np.median(mase):.3f} mase")
    print(f"bench forecast_floor_total_error = {np.median(total):.3f} share")
    refs = bench_forecast._reference_models()
    if refs is not None:
        theirs = [
            fc.mase(
                s.actual, bench_forecast._autoets(refs[0], s.history)[0], fc.mase_scale(s.history)
            )
            for s in suite
        ]
        ratio = np.median(mase) / np.median(theirs)
        print(f"bench forecast_floor_mase_vs_autoets = {ratio:.3f} ratio")


if __name__ == "__main__":
    main()
