"""Days the forecast leaves out by itself (before the launch, a stray early sale, a bulk order
it clips) that the creator put back stay in the fit (``restored_days``)."""

from __future__ import annotations

import numpy as np

from analytics import forecasting as fc


def _weekly(seed=1, days=140, level=8.0):
    rng = np.random.default_rng(seed)
    rhythm = np.array([1.3, 1.2, 1.0, 0.9, 0.8, 0.8, 1.0])
    return rng.poisson(level * rhythm[np.arange(days) % 7]).astype(float)


def test_a_restored_stray_sale_stays_in_the_fit():
    y = np.concatenate([[1.0], np.zeros(150), _weekly(seed=2)])
    left_out = fc.forecast_sales(y, horizon=30)
    assert left_out.left_out == {0: fc.STRAY}
    kept = fc.forecast_sales(y, horizon=30, restored_days=[0])
    assert kept.left_out == {}
    # The fit now starts at the stray sale, the months of nothing after it included.
    cleaned = fc.clean_history(
        y, launch_day=None, excluded_days=(), promo=np.zeros(len(y), bool), restored_days=[0]
    )
    assert cleaned.start == 0 and len(cleaned.values) == len(y)
    assert not np.allclose(kept.mean, left_out.mean)


def test_a_restored_day_before_the_launch_moves_the_start_back_to_it():
    y = _weekly(seed=3)
    y[3] = 2
    cleaned = fc.clean_history(
        y, launch_day=10, excluded_days=(), promo=np.zeros(len(y), bool), restored_days=[5]
    )
    assert cleaned.start == 5
    assert cleaned.left_out == {d: fc.BEFORE_LAUNCH for d in range(5) if y[d] > 0}
    assert 3 in cleaned.left_out


def test_a_restored_bulk_order_is_not_clipped():
    y = _weekly(seed=4)
    y[100] += 60
    assert 100 in fc.forecast_sales(y, horizon=28).clipped
    kept = fc.forecast_sales(y, horizon=28, restored_days=[100])
    assert kept.clipped == {} and kept.left_out == {}


def test_restoring_a_day_the_forecast_keeps_anyway_changes_nothing():
    y = _weekly(seed=5)
    plain, restored = (
        fc.forecast_sales(y, horizon=28),
        fc.forecast_sales(y, horizon=28, restored_days=[60]),
    )
    assert np.allclose(plain.mean, restored.mean)
