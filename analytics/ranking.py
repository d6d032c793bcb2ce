"""Platform ranking for a course: audience match × traffic scale × (1 − commission), each
raised to the creator's weight (a weighted geometric mean), so a platform must do reasonably on
all three to rank high. Pure numpy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

# A course with no audience tags still ranks platforms by reach and commission.
MATCH_FLOOR = 0.05


def audience_match(course_tags: Iterable[str], platform_tags: Iterable[str]) -> float:
    """Share of the course's audience tags the platform also lists (case-insensitive)."""
    wanted = {t.strip().lower() for t in course_tags if t and t.strip()}
    if not wanted:
        return 0.0
    offered = {t.strip().lower() for t in platform_tags if t and t.strip()}
    return len(wanted & offered) / len(wanted)


def platform_scores(
    match: Sequence[float],
    traffic_scale: Sequence[float],
    commission: Sequence[float],
    weights: Sequence[float] = (0.4, 0.3, 0.3),
) -> np.ndarray:
    """Scores in [0, 1]; weights are normalised so only their proportions matter."""
    w = np.asarray(weights, float)
    if (w < 0).any():
        raise ValueError("weights must not be negative")
    w = w / w.sum() if w.sum() > 0 else np.full(3, 1 / 3)
    factors = np.vstack(
        [
            np.maximum(np.asarray(match, float), MATCH_FLOOR),
            np.clip(np.asarray(traffic_scale, float) / 10, 0, 1),
            np.clip(1 - np.asarray(commission, float), 0, 1),
        ]
    )
    with np.errstate(divide="ignore"):
        logs = np.where(factors > 0, np.log(np.where(factors > 0, factors, 1)), -np.inf)
    # A factor with weight 0 does not count at all, even when it is 0 itself.
    contributions = np.where(w[:, None] == 0, 0.0, w[:, None] * logs)
    return np.exp(contributions.sum(axis=0))


def ranks(scores: Sequence[float], names: Sequence[str]) -> list[int]:
    """1 = best; ties broken by name so the order is stable."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], names[i]))
    result = [0] * len(scores)
    for position, index in enumerate(order, start=1):
        result[index] = position
    return result
