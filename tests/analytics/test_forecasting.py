import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics import forecasting as fc


def _bass_daily(m=3000.0, p=0.01, q=0.08, days=100):
    tau = np.arange(0, days + 1, dtype=float)
    return np.diff(fc._bass_cumulative(tau, m, p, q))


def test_noise_free_exponential_is_recovered_and_chosen():
    series = 5 * 1.03 ** np.arange(60)
    result = fc.forecast_sales(series, horizon=30)
    assert result.model == fc.EXPONENTIAL
    assert result.s0 == pytest.approx(5, rel=1e-6)
    assert result.r == pytest.approx(0.03, abs=1e-8)
    assert result.mean[0] == pytest.approx(5 * 1.03**60, rel=1e-6)
    assert result.error_exponential == pytest.approx(0, abs=1e-6)


def test_sales_that_flatten_choose_the_saturating_model_and_say_why():
    rng = np.random.default_rng(3)
    series = rng.poisson(_bass_daily())
    result = fc.forecast_sales(series, horizon=90)
    assert result.model == fc.BASS
    assert result.error_alternative < result.error_exponential
    assert "Bass" in result.explanation and "%" in result.explanation
    # A saturating forecast never sells more than the fitted market has left.
    m, p, q = (result.params[k] for k in ("m", "p", "q"))
    fitted_so_far = fc._bass_cumulative(np.array([float(len(series))]), m, p, q)[0]
    assert fitted_so_far + result.mean.sum() <= m + 1e-6


def test_the_exponential_overshoots_flattening_sales_in_the_backtest():
    series = _bass_daily(days=60)  # noise free, already past its peak
    train, test = series[:-14], series[-14:]
    exp_fit = fc.fit_exponential(train)
    bass_fit = fc.fit_bass(train)
    days = np.arange(len(train), len(series))
    assert fc.backtest_error(test, bass_fit.mean(days)) < 0.05
    assert fc.backtest_error(test, exp_fit.mean(days)) > fc.backtest_error(
        test, bass_fit.mean(days)
    )


def test_short_history_skips_the_backtest():
    result = fc.forecast_sales([1, 0, 2, 3, 1], horizon=10)
    assert result.model == fc.EXPONENTIAL
    assert result.error_exponential is None and result.error_alternative is None
    assert "too few" in result.explanation


def test_no_sales_forecasts_zero():
    result = fc.forecast_sales([0, 0, 0], horizon=5)
    assert result.mean.tolist() == [0] * 5
    assert "No sales" in result.explanation


def test_override_fixes_r_and_fits_only_the_level():
    series = 4 * 1.05 ** np.arange(40)
    result = fc.forecast_sales(series, horizon=5, r_override=0.0)
    assert result.r_overridden and result.r == 0.0
    # With r = 0 the level is the mean of the history.
    assert result.mean == pytest.approx(np.full(5, series.mean()))


def test_backtest_error_is_weighted_and_safe_with_zero_days():
    assert fc.backtest_error(np.array([0, 0, 10]), np.array([1, 1, 8])) == pytest.approx(0.4)
    assert fc.backtest_error(np.zeros(3), np.zeros(3)) == 0


def test_total_band_is_narrower_than_summing_daily_bands():
    rng = np.random.default_rng(5)
    result = fc.forecast_sales(rng.poisson(np.full(60, 6.0)), horizon=30)
    total, low, high = result.total_band(30)
    assert low < total < high
    assert high - low < (result.upper - result.lower).sum()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=0, max_size=120))
def test_any_count_series_gives_a_finite_ordered_band(series):
    result = fc.forecast_sales(series, horizon=30)
    assert np.isfinite(result.mean).all()
    assert (result.lower <= result.mean + 1e-9).all()
    assert (result.mean <= result.upper + 1e-9).all()
    assert (result.lower >= 0).all()


def test_negative_sales_are_refused():
    with pytest.raises(ValueError):
        fc.forecast_sales([1, -1, 2])


def test_a_burst_of_sales_after_quiet_weeks_does_not_explode():
    """A few sales on the last days after a month of nothing fit r ≫ 0.1; extrapolated for
    90 days that is ~10^20 units. The fitted r is capped, and said so."""
    y = np.zeros(30)
    y[-2:] = [3, 1]
    result = fc.forecast_sales(y, horizon=90)
    assert result.model == fc.EXPONENTIAL
    assert result.r == pytest.approx(fc.MAX_FITTED_GROWTH)
    assert "capped" in result.explanation
    assert result.mean.max() < 1e5


def test_no_day_exceeds_the_unit_ceiling_even_with_the_creators_r():
    result = fc.forecast_sales(np.ones(20), horizon=90, r_override=10.0)
    assert result.r_overridden
    assert result.mean.max() <= fc.MAX_DAILY_UNITS
    assert np.isfinite(result.upper).all()
