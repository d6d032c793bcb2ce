"""The forecast on course-like sales: cleaning, promotions, the backtest's choice and the
bands (analytics/forecasting.py, no database)."""

from __future__ import annotations

import numpy as np
import pytest

from analytics import forecasting as fc
from analytics.formulas import sales_forecast
from bench.forecast_series import HOLDOUT, make_series, make_suite


def _weekly(seed=1, days=140, level=8.0):
    rng = np.random.default_rng(seed)
    rhythm = np.array([1.3, 1.2, 1.0, 0.9, 0.8, 0.8, 1.0])
    return rng.poisson(level * rhythm[np.arange(days) % 7]).astype(float)


def test_the_worked_example_still_holds_for_the_exponential():
    assert sales_forecast(500, 0.05, 30) == pytest.approx(2160.97, abs=0.005)
    series = 500 * 1.05 ** np.arange(60)
    result = fc.forecast_sales(series, horizon=30, r_override=0.05)
    assert result.s0 == pytest.approx(500, rel=1e-9)
    assert 500 * (1 + result.r) ** 30 == pytest.approx(2160.97, abs=0.005)


def test_a_stray_old_sale_keeps_the_forecast_within_ten_percent():
    real = _weekly(seed=2)
    with_stray = np.concatenate([[1.0], np.zeros(150), real])
    clean = fc.forecast_sales(real, horizon=30)
    stray = fc.forecast_sales(with_stray, horizon=30)
    assert stray.mean.sum() == pytest.approx(clean.mean.sum(), rel=0.10)
    assert stray.left_out == {0: fc.STRAY}


def test_sales_before_the_launch_and_excluded_days_are_left_out():
    y = _weekly(seed=3)
    y[:10] = 0
    y[3] = 2  # a test purchase before the launch
    result = fc.forecast_sales(y, horizon=30, launch_day=10, excluded_days=[50])
    assert result.left_out[3] == fc.BEFORE_LAUNCH
    assert result.left_out[50] == fc.EXCLUDED


def test_a_bulk_order_is_clipped_and_listed_and_barely_moves_the_forecast():
    y = _weekly(seed=4)
    bulk = y.copy()
    bulk[100] += 60
    clean, clipped = fc.forecast_sales(y, horizon=28), fc.forecast_sales(bulk, horizon=28)
    assert 100 in clipped.clipped and clipped.clipped[100] == bulk[100]
    assert clipped.mean.sum() == pytest.approx(clean.mean.sum(), rel=0.10)


def test_future_promotions_raise_the_forecast_on_those_days():
    y = _weekly(seed=5)
    n = len(y)
    plain = fc.forecast_sales(y, horizon=30)
    promoted = fc.forecast_sales(y, horizon=30, promotions=[(n + 10, n + 14)])
    days = slice(10, 15)
    assert (promoted.mean[days] > plain.mean[days] * 1.1).all()
    np.testing.assert_allclose(promoted.mean[:10], plain.mean[:10])


def test_past_promotions_teach_the_uplift():
    rng = np.random.default_rng(6)
    days = 150
    mu = np.full(days, 6.0)
    promotions = [(d, d + 3) for d in range(10, days, 30)]
    for first, last in promotions:
        mu[first : last + 1] *= 2.5
    y = rng.poisson(mu).astype(float)
    result = fc.forecast_sales(y, horizon=30, promotions=[*promotions, (days + 5, days + 8)])
    assert result.promo_uplift == pytest.approx(2.5, rel=0.25)
    assert result.mean[5:9].mean() > 1.8 * result.mean[12:20].mean()


@pytest.mark.parametrize("kind", ["weekly", "launch", "decline", "intermittent", "stray_sale"])
def test_the_backtest_choice_is_never_worse_than_the_baseline_on_its_own_history(kind):
    rng = np.random.default_rng(7)
    for _ in range(4):
        series = make_series(kind, rng)
        result = fc.forecast_sales(series.history, horizon=28)
        assert result.explanation_code in (fc.CHOSEN, fc.BASELINE_KEPT)
        numbers = result.explanation_numbers
        chosen = numbers["mase"] + numbers["total_error"]
        baseline = numbers["baseline_mase"] + numbers["baseline_total_error"]
        assert chosen <= baseline + 1e-9
        if result.explanation_code == fc.BASELINE_KEPT:
            assert result.model in fc.BASELINES
            assert "baseline" in result.explanation


def test_the_total_band_holds_most_held_out_totals():
    suite = make_suite(seed=3)[::3]  # 72 series, every kind
    held = []
    for series in suite:
        result = fc.forecast_sales(series.history, horizon=HOLDOUT, promotions=series.promotions)
        _total, low, high = result.total_band(HOLDOUT)
        held.append(low <= series.actual.sum() <= high)
    assert 0.85 <= np.mean(held) <= 1.0


def test_the_daily_band_is_a_negative_binomial_wider_than_poisson_when_overdispersed():
    mean = np.array([0.0, 0.5, 5.0, 50.0])
    lower, upper = fc._daily_band(mean, dispersion=3.0, relative=0.2)
    _p_lower, p_upper = fc._daily_band(mean, dispersion=1.0, relative=0.0)
    assert (lower <= mean).all() and (mean <= upper).all()
    assert (upper >= p_upper - 1).all() and upper[-1] > p_upper[-1]


def test_the_explanation_is_a_code_with_its_numbers():
    result = fc.forecast_sales(_weekly(seed=8), horizon=30)
    assert result.explanation_code in (fc.CHOSEN, fc.BASELINE_KEPT)
    assert {"model", "mase", "total_error", "baseline", "baseline_mase"} <= set(
        result.explanation_numbers
    )
    assert set(fc.BASELINES) <= set(result.backtest)
