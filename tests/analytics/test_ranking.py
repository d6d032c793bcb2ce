import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics import ranking

unit = st.floats(0, 1)


def test_audience_match_is_the_share_of_course_tags_the_platform_has():
    assert ranking.audience_match(["Developers", "students"], ["developers", "managers"]) == 0.5
    assert ranking.audience_match([], ["developers"]) == 0
    assert ranking.audience_match(["x"], []) == 0


def test_score_is_the_weighted_geometric_mean():
    score = ranking.platform_scores([0.5], [8], [0.2], weights=(1, 1, 2))[0]
    assert score == pytest.approx(0.5**0.25 * 0.8**0.25 * 0.8**0.5)


def test_zero_weight_ignores_that_factor_entirely():
    scores = ranking.platform_scores([0.0, 1.0], [10, 10], [0.1, 0.1], weights=(0, 1, 1))
    assert scores[0] == pytest.approx(scores[1])


def test_ranks_are_stable_on_ties():
    assert ranking.ranks([0.5, 0.9, 0.5], ["b", "z", "a"]) == [3, 1, 2]


@given(
    match=st.lists(unit, min_size=3, max_size=3),
    traffic=st.lists(st.integers(1, 10), min_size=3, max_size=3),
    commission=st.lists(unit, min_size=3, max_size=3),
    weights=st.tuples(unit, unit, unit),
)
def test_scores_in_unit_interval_and_monotone_in_commission(match, traffic, commission, weights):
    scores = ranking.platform_scores(match, traffic, commission, weights)
    assert ((scores >= 0) & (scores <= 1 + 1e-12)).all()
    cheaper = ranking.platform_scores(match, traffic, np.array(commission) * 0.5, weights)
    assert (cheaper >= scores - 1e-12).all()


def test_negative_weights_are_refused():
    with pytest.raises(ValueError):
        ranking.platform_scores([1], [1], [0], weights=(-1, 1, 1))
