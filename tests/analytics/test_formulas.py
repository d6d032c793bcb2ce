"""The seed's worked examples with the corrected numbers, and properties of every formula."""

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from analytics import formulas as f

counts = st.integers(min_value=0, max_value=10**9)


def test_seed_4_3_1_engagement_is_0_65_not_0_85():
    freq = f.interaction_frequency(2000, 2000)
    depth = f.interaction_depth(100, 500, 2000)
    assert freq == 1
    assert depth == pytest.approx(0.3)
    assert f.engagement(freq, depth, (0.5, 0.5)) == pytest.approx(0.65)


def test_seed_4_3_2_forecast_is_2160_97_not_800():
    assert f.sales_forecast(500, 0.05, 30) == pytest.approx(2160.97, abs=0.005)


def test_seed_4_3_3_quality_is_4_and_1_99_not_3_9():
    cq = f.content_quality(5, 4, 3)
    assert cq == 4
    assert f.composite_quality(1, 0.3, cq, (0.3, 0.3, 0.4)) == pytest.approx(1.99)


def test_default_weights_are_the_designs():
    assert f.engagement(1, 0.3) == pytest.approx(0.65)
    assert f.composite_quality(1, 0.3, 4) == pytest.approx(1.99)


@pytest.mark.parametrize(
    ("func", "args"),
    [
        (f.interaction_frequency, (5, 0)),
        (f.interaction_depth, (3, 4, 0)),
    ],
)
def test_zero_denominator_gives_zero(func, args):
    assert func(*args) == 0


@pytest.mark.parametrize(
    ("func", "args"),
    [
        (f.interaction_frequency, (-1, 10)),
        (f.interaction_frequency, (1, -10)),
        (f.interaction_depth, (-1, 1, 1)),
        (f.interaction_depth, (1, -1, 1)),
        (f.content_quality, (-1, 3, 3)),
        (f.sales_forecast, (-5, 0.1, 3)),
        (f.sales_forecast, (5, -1, 3)),
    ],
)
def test_negative_counts_raise(func, args):
    with pytest.raises(ValueError):
        func(*args)


@given(i=counts, t=counts, c=counts, p=counts)
def test_no_exception_on_any_non_negative_input(i, t, c, p):
    freq = f.interaction_frequency(i, t)
    depth = f.interaction_depth(c, p, i)
    assert math.isfinite(f.engagement(freq, depth))
    assert math.isfinite(f.composite_quality(freq, depth, f.content_quality(c, 3, 3)))


@given(
    views=counts,
    likes=counts,
    comments=counts,
    shares=st.integers(0, 10**6),
    saves=st.integers(0, 10**6),
)
def test_f_and_d_in_unit_interval_when_counts_are_consistent(views, likes, comments, shares, saves):
    interactions = likes + comments + shares + saves
    assume(interactions <= views)
    assert 0 <= f.interaction_frequency(interactions, views) <= 1
    assert 0 <= f.interaction_depth(comments, likes, interactions) <= 1


@given(
    i=st.lists(counts, min_size=1, max_size=30),
    data=st.data(),
)
def test_vectorised_equals_scalar(i, data):
    n = len(i)
    t = data.draw(st.lists(counts, min_size=n, max_size=n))
    c = data.draw(st.lists(counts, min_size=n, max_size=n))
    p = data.draw(st.lists(counts, min_size=n, max_size=n))
    freq = f.interaction_frequency_array(i, t)
    depth = f.interaction_depth_array(c, p, i)
    cq = f.content_quality_array(np.array(t) / 60, np.full(n, 3), np.full(n, 4))
    for k in range(n):
        assert freq[k] == pytest.approx(f.interaction_frequency(i[k], t[k]))
        assert depth[k] == pytest.approx(f.interaction_depth(c[k], p[k], i[k]))
        assert cq[k] == pytest.approx(f.content_quality(t[k] / 60, 3, 4))
    assert f.engagement_array(freq, depth)[0] == pytest.approx(f.engagement(freq[0], depth[0]))
    assert f.composite_quality_array(freq, depth, cq)[0] == pytest.approx(
        f.composite_quality(freq[0], depth[0], cq[0])
    )


def test_vectorised_rejects_negative_counts():
    with pytest.raises(ValueError):
        f.interaction_frequency_array([1, -1], [2, 2])


@given(
    s0=st.floats(0.1, 1e4),
    r=st.floats(-0.5, 0.5),
    t=st.integers(0, 60),
)
def test_forecast_is_monotone_in_r_and_matches_its_twin(s0, r, t):
    assert f.sales_forecast(s0, r + 0.01, t) >= f.sales_forecast(s0, r, t)
    assert f.sales_forecast_array([s0], [r], [t])[0] == pytest.approx(f.sales_forecast(s0, r, t))


@pytest.mark.parametrize(("s0", "r"), [(500, 0.05), (3, -0.04), (40, 0.0), (0.7, 0.12)])
def test_fit_growth_rate_is_exact_on_a_noise_free_exponential(s0, r):
    series = [s0 * (1 + r) ** t for t in range(60)]
    fitted_s0, fitted_r = f.fit_growth_rate(series)
    assert fitted_s0 == pytest.approx(s0, rel=1e-6)
    assert fitted_r == pytest.approx(r, abs=1e-8)


def test_fit_growth_rate_handles_zero_days_and_small_counts():
    rng = np.random.default_rng(1)
    truth = 0.8 * 1.03 ** np.arange(90)
    series = rng.poisson(truth)
    assert (series == 0).any()
    s0, r = f.fit_growth_rate(series)
    assert r == pytest.approx(0.03, abs=0.005)
    assert s0 == pytest.approx(0.8, rel=0.35)


@pytest.mark.parametrize(("series", "expected"), [([], (0, 0)), ([0, 0, 0], (0, 0)), ([7], (7, 0))])
def test_fit_growth_rate_degenerate_series(series, expected):
    assert f.fit_growth_rate(series) == expected


def test_fit_growth_rate_rejects_negative_sales():
    with pytest.raises(ValueError):
        f.fit_growth_rate([1, -2, 3])
