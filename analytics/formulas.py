"""The seed's models, computed right. Pure math: numbers or numpy arrays in and out.

Conventions shared by every function:
- a zero denominator gives 0 (a video with no views has no measurable frequency);
- a negative count raises ``ValueError`` (counts come from exports and must be >= 0);
- the ``*_array`` twins take numpy arrays (or anything ``np.asarray`` accepts) and agree with
  the scalar functions element by element.

Worked examples from the seed, as corrected in DESIGN.md:
- I=2000, T=2000, C=100, P=500: F=1, D=0.3, D_F=0.65 (the seed printed 0.85);
- S0=500, r=0.05, t=30: S(30)=2160.97 (the seed printed ≈800);
- L=5, Q=4, U=3 with F=1, D=0.3: CQ=4, CQ_F=1.99 (the seed printed 3.9).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

ENGAGEMENT_WEIGHTS = (0.5, 0.5)
QUALITY_WEIGHTS = (0.3, 0.3, 0.4)


def _check_counts(**counts: float) -> None:
    for name, value in counts.items():
        if value is None or (isinstance(value, float) and math.isnan(value)):
            raise ValueError(f"{name} is missing")
        if value < 0:
            raise ValueError(f"{name} must not be negative (got {value})")


def _check_count_arrays(**arrays: np.ndarray) -> None:
    for name, values in arrays.items():
        if np.isnan(values).any():
            raise ValueError(f"{name} has missing values")
        if (values < 0).any():
            raise ValueError(f"{name} must not be negative")


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def _ratio_array(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    numerator, denominator = np.broadcast_arrays(numerator, denominator)
    out = np.zeros(numerator.shape, dtype=float)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def interaction_frequency(interactions: float, total: float) -> float:
    """F = I / T: interactions per view (T is the views of the same window by default)."""
    _check_counts(interactions=interactions, total=total)
    return _ratio(interactions, total)


def interaction_depth(comments: float, likes: float, interactions: float) -> float:
    """D = (C + P) / I: the share of interactions that are comments or likes."""
    _check_counts(comments=comments, likes=likes, interactions=interactions)
    return _ratio(comments + likes, interactions)


def engagement(
    frequency: float, depth: float, weights: Sequence[float] = ENGAGEMENT_WEIGHTS
) -> float:
    """D_F = λ1·F + λ2·D."""
    w_f, w_d = weights
    return w_f * frequency + w_d * depth


def content_quality(length_minutes: float, production_level: float, usefulness: float) -> float:
    """CQ = (L + Q + U) / 3 with L in minutes, Q and U on 1–5 scales."""
    _check_counts(
        length_minutes=length_minutes, production_level=production_level, usefulness=usefulness
    )
    return (length_minutes + production_level + usefulness) / 3


def composite_quality(
    frequency: float,
    depth: float,
    content_quality_score: float,
    weights: Sequence[float] = QUALITY_WEIGHTS,
) -> float:
    """CQ_F = λ1·F + λ2·D + λ3·CQ."""
    w_f, w_d, w_cq = weights
    return w_f * frequency + w_d * depth + w_cq * content_quality_score


def sales_forecast(s0: float, r: float, t: float) -> float:
    """S(t) = S0·(1 + r)^t, the seed's exponential model (r > -1)."""
    _check_counts(s0=s0, t=t)
    if r <= -1:
        raise ValueError(f"growth rate r must be greater than -1 (got {r})")
    return s0 * (1 + r) ** t


# --- vectorised twins ---------------------------------------------------------------------


def interaction_frequency_array(interactions, total) -> np.ndarray:
    interactions, total = np.asarray(interactions, float), np.asarray(total, float)
    _check_count_arrays(interactions=interactions, total=total)
    return _ratio_array(interactions, total)


def interaction_depth_array(comments, likes, interactions) -> np.ndarray:
    comments, likes = np.asarray(comments, float), np.asarray(likes, float)
    interactions = np.asarray(interactions, float)
    _check_count_arrays(comments=comments, likes=likes, interactions=interactions)
    return _ratio_array(comments + likes, interactions)


def engagement_array(frequency, depth, weights: Sequence[float] = ENGAGEMENT_WEIGHTS) -> np.ndarray:
    w_f, w_d = weights
    return w_f * np.asarray(frequency, float) + w_d * np.asarray(depth, float)


def content_quality_array(length_minutes, production_level, usefulness) -> np.ndarray:
    length = np.asarray(length_minutes, float)
    level, useful = np.asarray(production_level, float), np.asarray(usefulness, float)
    _check_count_arrays(length_minutes=length, production_level=level, usefulness=useful)
    return (length + level + useful) / 3


def composite_quality_array(
    frequency, depth, content_quality_score, weights: Sequence[float] = QUALITY_WEIGHTS
) -> np.ndarray:
    w_f, w_d, w_cq = weights
    return (
        w_f * np.asarray(frequency, float)
        + w_d * np.asarray(depth, float)
        + w_cq * np.asarray(content_quality_score, float)
    )


def sales_forecast_array(s0, r, t) -> np.ndarray:
    s0, r, t = np.asarray(s0, float), np.asarray(r, float), np.asarray(t, float)
    _check_count_arrays(s0=s0, t=t)
    if (r <= -1).any():
        raise ValueError("growth rate r must be greater than -1")
    return s0 * np.power(1 + r, t)


# --- fitting ------------------------------------------------------------------------------


def fit_growth_rate(daily_sales: Sequence[float]) -> tuple[float, float]:
    """Fit S(t) = S0·(1 + r)^t to a daily series; returns (S0, r).

    Sales are small counts with zero days, so a log of the raw series would break. This is a
    Poisson log-linear regression (log E[S_t] = a + b·t, fitted by iteratively reweighted
    least squares): zeros are ordinary observations, and a noise-free exponential series is
    recovered exactly. S0 = e^a, r = e^b − 1. An empty or all-zero series gives (0, 0); a
    single day gives (that day, 0).
    """
    y = np.asarray(daily_sales, dtype=float)
    _check_count_arrays(daily_sales=y)
    if y.size == 0 or not y.any():
        return 0.0, 0.0
    if y.size == 1:
        return float(y[0]), 0.0
    t = np.arange(y.size, dtype=float)
    a, b = poisson_loglinear_fit(t, y)
    return float(math.exp(a)), float(math.expm1(b))


def poisson_loglinear_fit(
    t: np.ndarray, y: np.ndarray, iterations: int = 100
) -> tuple[float, float]:
    """IRLS for a Poisson GLM with log link: log μ = a + b·t. Returns (a, b)."""
    design = np.column_stack([np.ones_like(t), t])
    # Start from an ordinary least-squares fit on log(y + 0.5), a safe point for IRLS.
    beta = np.linalg.lstsq(design, np.log(y + 0.5), rcond=None)[0]
    for _ in range(iterations):
        eta = np.clip(design @ beta, -50, 50)
        mu = np.exp(eta)
        z = eta + (y - mu) / mu
        weighted = design * mu[:, None]
        new_beta = np.linalg.solve(design.T @ weighted + 1e-12 * np.eye(2), weighted.T @ z)
        if np.allclose(new_beta, beta, rtol=1e-12, atol=1e-12):
            beta = new_beta
            break
        beta = new_beta
    return float(beta[0]), float(beta[1])
