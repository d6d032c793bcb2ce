"""Sales forecasts from a course's daily sales: the seed's exponential model and a saturating
Bass diffusion model, each backtested on the last 14 days; the better one is used.

Pure numpy/scipy, no Django. Day index t = 0 is the first day of the history; the forecast's
first day is t = len(history).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit

from .formulas import poisson_loglinear_fit

HOLDOUT_DAYS = 14
MIN_HISTORY_FOR_BACKTEST = 28  # 14 days to fit on, 14 to test against
Z_95 = 1.96
# A series shaped like a diffusion converges in a few dozen evaluations from the OLS start;
# one that is not gives up here instead of searching for seconds.
BASS_MAX_EVALUATIONS = 200
# Extrapolating a fitted growth above this (a doubling a week) for 90 days turns a few lucky
# days into millions of units: a fitted r is capped here for the forecast (a creator's own r
# is not), and no day's forecast exceeds MAX_DAILY_UNITS whatever the r.
MAX_FITTED_GROWTH = 0.1
MAX_DAILY_UNITS = 1_000_000.0
EXPONENTIAL = "exponential"
BASS = "bass"


@dataclass
class Fit:
    model: str
    mean: Callable[[np.ndarray], np.ndarray]  # expected daily units at day indices t
    s0: float  # expected units on day 0
    r: float  # daily growth rate: the model's own for the exponential, the latest for Bass
    dispersion: float = 1.0  # Pearson χ²/dof, ≥ 1: how much noisier than Poisson the data are
    params: dict = field(default_factory=dict)


def _dispersion(y: np.ndarray, mu: np.ndarray, n_params: int) -> float:
    dof = max(len(y) - n_params, 1)
    mu = np.maximum(mu, 1e-9)
    return float(max(1.0, np.sum((y - mu) ** 2 / mu) / dof))


def fit_exponential(y: np.ndarray, r: float | None = None) -> Fit:
    """S(t) = S0·(1+r)^t by Poisson log-linear regression (zero days are fine).

    With ``r`` given (the creator's override) only the level S0 is fitted.
    """
    t = np.arange(len(y), dtype=float)
    if r is None:
        a, b = poisson_loglinear_fit(t, y)
    else:
        b = math.log1p(r)
        a = math.log(max(y.sum(), 1e-9) / np.exp(b * t).sum())

    def mean(days: np.ndarray) -> np.ndarray:
        return np.exp(np.clip(a + b * np.asarray(days, float), -50, 50))

    return Fit(
        model=EXPONENTIAL,
        mean=mean,
        s0=math.exp(a),
        r=math.expm1(b),
        dispersion=_dispersion(y, mean(t), 1 if r is not None else 2),
        params={"a": a, "b": b},
    )


def _bass_cumulative(tau: np.ndarray, m: float, p: float, q: float) -> np.ndarray:
    """Bass diffusion: units sold by time τ out of a market of m, innovation p, imitation q."""
    e = np.exp(-(p + q) * tau)
    return m * (1 - e) / (1 + (q / p) * e)


def _bass_ols_start(y: np.ndarray) -> tuple[float, float, float] | None:
    """Bass's own estimator: regress n(t) on N(t−1) and N(t−1)² and solve for (m, p, q).

    Closed form and instant; a good start for the non-linear fit. None when the series does
    not have the diffusion shape (the quadratic has no positive market size).
    """
    previous = np.concatenate([[0.0], np.cumsum(y)[:-1]])
    design = np.column_stack([np.ones_like(previous), previous, previous**2])
    (a, b, c), *_ = np.linalg.lstsq(design, y, rcond=None)
    if c >= 0 or a <= 0:
        return None
    discriminant = b * b - 4 * a * c
    if discriminant < 0:
        return None
    m = (-b - math.sqrt(discriminant)) / (2 * c)
    if m <= 0:
        return None
    p, q = a / m, -c * m
    if not (0 < p < 1 and 0 <= q < 3):
        return None
    return m, p, q


def fit_bass(y: np.ndarray) -> Fit | None:
    """Fit the Bass model to the cumulative series, starting from Bass's OLS estimate; None
    when the series has no diffusion shape or the fit does not converge."""
    cumulative = np.cumsum(y)
    total = float(cumulative[-1])
    if total <= 0 or len(y) < 5:
        return None
    tau = np.arange(1, len(y) + 1, dtype=float)
    start = _bass_ols_start(y)
    if start is None:
        return None  # not diffusion-shaped: a search from a blind start rarely ends well
    p0 = (max(start[0], total * 1.0001), start[1], start[2])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            # Levenberg–Marquardt (MINPACK, compiled) from the OLS start: a few milliseconds.
            (m, p, q), _ = curve_fit(
                _bass_cumulative,
                tau,
                cumulative,
                p0=p0,
                method="lm",
                maxfev=BASS_MAX_EVALUATIONS,
            )
    except (RuntimeError, ValueError, FloatingPointError):
        return None
    # The market cannot be (much) smaller than what is already sold; p and q must stay
    # meaningful. A saturated course fits m a hair under its total: that is fine.
    if not (np.isfinite([m, p, q]).all() and m >= total * 0.95 and 0 < p < 1 and 0 <= q < 3):
        return None

    def mean(days: np.ndarray) -> np.ndarray:
        days = np.asarray(days, float)
        return np.maximum(
            _bass_cumulative(days + 1, m, p, q) - _bass_cumulative(days, m, p, q), 0.0
        )

    fitted = mean(tau - 1)
    last = len(y) - 1
    r = float(fitted[last] / fitted[last - 1] - 1) if fitted[last - 1] > 0 else 0.0
    return Fit(
        model=BASS,
        mean=mean,
        s0=float(fitted[0]),
        r=r,
        dispersion=_dispersion(y, fitted, 3),
        params={"m": float(m), "p": float(p), "q": float(q)},
    )


def backtest_error(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Weighted absolute percentage error, Σ|y − ŷ| / Σy: MAPE's meaning without dividing by
    the zero-sale days that small courses have. A fraction (0.2 = 20 %)."""
    return float(np.abs(actual - predicted).sum() / max(actual.sum(), 1.0))


def clearly_better(error: float, *, than: float) -> bool:
    """The seed's exponential stays unless the other model is clearly better: at least a
    tenth lower error and one percentage point, so noise does not flip the choice."""
    return error < than * 0.9 and than - error >= 0.01


@dataclass
class Forecast:
    model: str
    s0: float
    r: float
    r_overridden: bool
    history_days: int
    error_exponential: float | None
    error_alternative: float | None
    explanation: str
    mean: np.ndarray  # expected units on each forecast day
    lower: np.ndarray
    upper: np.ndarray
    params: dict
    dispersion: float = 1.0

    def total_band(self, days: int) -> tuple[float, float, float]:
        """Expected units over the first ``days`` days with its 95 % band (the band of a sum,
        not the sum of the daily bands, which would be too wide)."""
        total = float(self.mean[:days].sum())
        half = Z_95 * math.sqrt(self.dispersion * total)
        return total, max(total - half, 0.0), total + half


def _band(mean: np.ndarray, dispersion: float) -> tuple[np.ndarray, np.ndarray]:
    """95 % band for daily counts: Poisson variance scaled by the fit's overdispersion."""
    half = Z_95 * np.sqrt(dispersion * mean)
    return np.maximum(mean - half, 0.0), mean + half


def forecast_sales(daily_sales, *, horizon: int = 90, r_override: float | None = None) -> Forecast:
    """Choose a model by backtest and forecast ``horizon`` days after the history."""
    y = np.asarray(daily_sales, dtype=float)
    if (y < 0).any():
        raise ValueError("daily sales must not be negative")
    future = np.arange(len(y), len(y) + horizon, dtype=float)
    if len(y) == 0 or not y.any():
        zeros = np.zeros(horizon)
        return Forecast(
            model=EXPONENTIAL,
            s0=0.0,
            r=0.0,
            r_overridden=False,
            history_days=len(y),
            error_exponential=None,
            error_alternative=None,
            explanation="No sales yet: the forecast is zero until sales are recorded.",
            mean=zeros,
            lower=zeros,
            upper=zeros,
            params={},
        )
    if r_override is not None:
        fit = fit_exponential(y, r=r_override)
        return _forecast_from(
            fit,
            future,
            history_days=len(y),
            r_overridden=True,
            explanation=(
                f"Exponential model with the growth rate you set (r = {r_override:.4f} per day)."
            ),
        )

    error_exp = error_alt = None
    bass_train = None
    overshoots = False
    if len(y) >= MIN_HISTORY_FOR_BACKTEST:
        train, test = y[:-HOLDOUT_DAYS], y[-HOLDOUT_DAYS:]
        test_days = np.arange(len(train), len(y), dtype=float)
        predicted = fit_exponential(train).mean(test_days)
        error_exp = backtest_error(test, predicted)
        overshoots = predicted.sum() > test.sum()
        bass_train = fit_bass(train)
        if bass_train is not None:
            error_alt = backtest_error(test, bass_train.mean(test_days))

    chosen = fit_exponential(y)
    capped = ""
    if chosen.r > MAX_FITTED_GROWTH:
        capped = (
            f" The fitted growth (r = {chosen.r:.3f} per day) is capped at "
            f"{MAX_FITTED_GROWTH} per day for the forecast."
        )
        chosen = fit_exponential(y, r=MAX_FITTED_GROWTH)
    if error_exp is None:
        explanation = (
            f"Exponential model: {len(y)} days of sales are too few for a backtest "
            f"(it needs {MIN_HISTORY_FOR_BACKTEST})." + capped
        )
    elif error_alt is not None and clearly_better(error_alt, than=error_exp):
        # Refit on everything; if that fit fails, the backtested fit itself is still the better.
        chosen = fit_bass(y) or bass_train
        explanation = (
            f"Saturating (Bass) model: on the last {HOLDOUT_DAYS} days it was off by "
            f"{error_alt:.0%} against {error_exp:.0%} for the exponential, which "
            + ("overshoots sales that flatten." if overshoots else "falls short of them.")
        )
    else:
        alt = f"{error_alt:.0%}" if error_alt is not None else "no fit"
        explanation = (
            f"Exponential model: on the last {HOLDOUT_DAYS} days it was off by {error_exp:.0%} "
            f"against {alt} for the saturating (Bass) model." + capped
        )
    return _forecast_from(
        chosen,
        future,
        history_days=len(y),
        r_overridden=False,
        explanation=explanation,
        error_exponential=error_exp,
        error_alternative=error_alt,
    )


def _forecast_from(
    fit: Fit,
    future: np.ndarray,
    *,
    history_days: int,
    r_overridden: bool,
    explanation: str,
    error_exponential: float | None = None,
    error_alternative: float | None = None,
) -> Forecast:
    mean = np.minimum(fit.mean(future), MAX_DAILY_UNITS)
    lower, upper = _band(mean, fit.dispersion)
    return Forecast(
        model=fit.model,
        s0=fit.s0,
        r=fit.r,
        r_overridden=r_overridden,
        history_days=history_days,
        error_exponential=error_exponential,
        error_alternative=error_alternative,
        explanation=explanation,
        mean=mean,
        lower=lower,
        upper=upper,
        params=fit.params,
        dispersion=fit.dispersion,
    )
