"""Sales forecasts from a course's daily sales, chosen by a rolling-origin backtest.

Candidates: the seed's exponential S0·(1+r)^t, Bass diffusion, a level with a weekly rhythm,
a damped trend, a launch spike decaying to a base and TSB for intermittent demand; the
baselines are the weekly seasonal-naive forecast and the mean of the last 28 days. Each is
fitted at four origins and scored on the 28 days after each by MASE (scaled by the in-sample
MAE of the weekly seasonal-naive forecast) and by the error of the 28-day total. The two
best are averaged; unless that (or the single best) beats the better baseline by 2 % on the
course's own backtest, the baseline is the forecast. The bands come from the backtest's
residuals (overdispersed counts plus model error), not from a Poisson assumption.

The history is cleaned first: days before the launch, a stray sale far ahead of the real
history and the days the creator excluded are left out; a bulk order far above the course's
rhythm is clipped (and listed). Promotions are a multiplicative uplift estimated from past
promotion days and applied to future ones.

Pure numpy/scipy, no Django. Day index t = 0 is the first day of ``daily_sales``; the
forecast's first day is t = len(daily_sales).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit
from scipy.signal import lfilter
from scipy.stats import nbinom

# Bumped whenever the models or their choice change, so that stored forecasts are fitted again
# (the recompute refits a course when the fingerprint of its inputs, this included, changes).
MODEL_VERSION = "2026-12-03"

Z_95 = 1.96
SEASON = 7
BACKTEST_DAYS = 28
BACKTEST_ORIGINS = 4
ORIGIN_STEP = BACKTEST_DAYS  # days between origins (overlapping ones chose no better)
MIN_TRAIN_DAYS = 28
MIN_HISTORY_FOR_BACKTEST = MIN_TRAIN_DAYS + BACKTEST_DAYS
ENSEMBLE_SIZE = 2
WEEKDAY_WEEKS = 26  # the weekly rhythm is read from the last 26 weeks
WEEKDAY_SHRINK = 4.0  # James–Stein: p − 2 for the six free day-of-week factors
# Simple exponential smoothing's α for the level, chosen per course by one-step error.
LEVEL_ALPHAS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.3)
# A model must beat the better baseline by this share of its score, or the baseline stays.
BASELINE_MARGIN = 0.02
TSB_ALPHA = 0.05
# A run of zero days at least this long, with at most STRAY_SHARE of the units before it,
# separates stray early sales from the real history.
STRAY_GAP_DAYS = 28
STRAY_SHARE = 0.1
# Bass's LM search gives up here instead of searching for seconds on a series of the wrong shape.
BASS_MAX_EVALUATIONS = 200
# A fitted exponential growth is capped here (a doubling a week); a creator's own r is not.
MAX_FITTED_GROWTH = 0.1
MAX_DAILY_UNITS = 1_000_000.0
# Promotion uplift: shrunk towards PROMO_PRIOR with the weight of PROMO_PRIOR_DAYS days.
PROMO_PRIOR = 1.3
PROMO_PRIOR_DAYS = 7
MAX_PROMO_UPLIFT = 5.0
# Band calibration (bench/bench_forecast.py: 95 % bands hold ~95 % of 28-day totals).
BAND_MODEL_ERROR_PRIOR = 0.15  # relative error of a 28-day total before any backtest
BAND_PRIOR_ORIGINS = 2.0
BAND_SCALE = 1.0

EXPONENTIAL = "exponential"
BASS = "bass"
WEEKLY = "weekly"
DAMPED = "damped"
LAUNCH = "launch"
TSB = "tsb"
WEEKLY_GROWTH = "weekly_growth"
SEASONAL_NAIVE = "seasonal_naive"
MEAN_28 = "mean_28"
ENSEMBLE = "ensemble"
CANDIDATES = (EXPONENTIAL, BASS, WEEKLY, DAMPED, LAUNCH, TSB, WEEKLY_GROWTH)
BASELINES = (SEASONAL_NAIVE, MEAN_28)

# Explanation codes (the page words them in the creator's language from the numbers).
NO_SALES = "no_sales"
TOO_SHORT = "too_short"
OVERRIDE = "override"
CHOSEN = "chosen"
BASELINE_KEPT = "baseline_kept"

# Why a day was left out of the fit.
BEFORE_LAUNCH = "before_launch"
STRAY = "stray"
EXCLUDED = "excluded"
CLIPPED = "clipped"


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


def poisson_loglinear(t: np.ndarray, y: np.ndarray, iterations: int = 100) -> tuple[float, float]:
    """log μ = a + b·t by IRLS, as formulas.poisson_loglinear_fit, with the 2×2 normal
    equations solved in closed form: the backtest runs it thousands of times."""
    logs = np.log(y + 0.5)
    spread = float(((t - t.mean()) ** 2).sum())
    b = float(((t - t.mean()) * (logs - logs.mean())).sum() / spread) if spread > 0 else 0.0
    a = float(logs.mean() - b * t.mean())
    for _ in range(iterations):
        eta = np.clip(a + b * t, -50, 50)
        mu = np.exp(eta)
        z = eta + (y - mu) / mu
        s0, s1, s2 = mu.sum(), (mu * t).sum(), (mu * t * t).sum()
        r0, r1 = (mu * z).sum(), (mu * t * z).sum()
        det = s0 * s2 - s1 * s1 + 1e-12
        new_a, new_b = (s2 * r0 - s1 * r1) / det, (s0 * r1 - s1 * r0) / det
        done = abs(new_a - a) <= 1e-12 + 1e-12 * abs(a) and abs(new_b - b) <= 1e-12 + 1e-12 * abs(b)
        a, b = float(new_a), float(new_b)
        if done:
            break
    return a, b


def fit_exponential(y: np.ndarray, r: float | None = None) -> Fit:
    """S(t) = S0·(1+r)^t by Poisson log-linear regression (zero days are fine).

    With ``r`` given (the creator's override) only the level S0 is fitted.
    """
    t = np.arange(len(y), dtype=float)
    if r is None:
        a, b = poisson_loglinear(t, y)
    else:
        b = math.log1p(r)
        a = math.log(max(y.sum(), 1e-9) / np.exp(np.clip(b * t, -50, 50)).sum())

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


def _capped_exponential(y: np.ndarray) -> Fit:
    fit = fit_exponential(y)
    return fit_exponential(y, r=MAX_FITTED_GROWTH) if fit.r > MAX_FITTED_GROWTH else fit


def _bass_cumulative(tau: np.ndarray, m: float, p: float, q: float) -> np.ndarray:
    """Bass diffusion: units sold by time τ out of a market of m, innovation p, imitation q."""
    e = np.exp(-(p + q) * tau)
    return m * (1 - e) / (1 + (q / p) * e)


def _bass_ols_start(y: np.ndarray) -> tuple[float, float, float] | None:
    """Bass's own estimator: regress n(t) on N(t−1) and N(t−1)² and solve for (m, p, q).

    None when the series does not have the diffusion shape."""
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
    total = float(cumulative[-1]) if len(y) else 0.0
    if total <= 0 or len(y) < 5:
        return None
    tau = np.arange(1, len(y) + 1, dtype=float)
    start = _bass_ols_start(y)
    if start is None:
        return None
    p0 = (max(start[0], total * 1.0001), start[1], start[2])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            (m, p, q), _ = curve_fit(
                _bass_cumulative, tau, cumulative, p0=p0, method="lm", maxfev=BASS_MAX_EVALUATIONS
            )
    except (RuntimeError, ValueError, FloatingPointError):
        return None
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


# --- the candidates: each maps a (cleaned, promotion-free) history to the next h days ------


def _weekday_factors(x: np.ndarray, start: int) -> np.ndarray:
    """Multiplicative day-of-week factors (mean 1) from the last 26 weeks. Each day is read
    against the centred 7-day mean around it (a trend or a launch does not bend the rhythm),
    and the factors are shrunk towards 1 by James–Stein with the noise the data show, so that
    a quiet or noisy course does not read a rhythm into chance. Index by (day index) % 7;
    ``start`` is the day index of x[0]."""
    window = x[-WEEKDAY_WEEKS * SEASON :]
    if len(window) < 2 * SEASON or window.sum() <= 0:
        return np.ones(SEASON)
    local = np.convolve(window, np.ones(SEASON) / SEASON, mode="valid")
    half = SEASON // 2
    local = np.concatenate([np.full(half, local[0]), local, np.full(half, local[-1])])
    positions = (np.arange(len(x) - len(window), len(x)) + start) % SEASON
    sums = np.bincount(positions, weights=window, minlength=SEASON)
    base = np.bincount(positions, weights=local, minlength=SEASON)
    if (base <= 0).any():
        return np.ones(SEASON)
    raw = sums / base
    raw = raw / raw.mean()
    residuals = window - raw[positions] * local
    noise = float(np.mean(np.bincount(positions, weights=residuals**2, minlength=SEASON) / base**2))
    spread = float(np.sum((raw - 1) ** 2))
    # Positive-part James–Stein over the six free factors (they sum to seven): shrink by 1 − 4σ²/S.
    weight = max(0.0, 1 - WEEKDAY_SHRINK * noise / spread) if spread > 0 else 0.0
    factors = 1 + weight * (raw - 1)
    return factors / factors.mean()


def _ses_level(x: np.ndarray, alpha: float) -> tuple[float, float]:
    """Simple exponential smoothing's last level and its one-step squared error (lfilter)."""
    init = x[: min(len(x), SEASON * 2)].mean()
    levels = lfilter([alpha], [1.0, alpha - 1.0], x, zi=[(1 - alpha) * init])[0]
    previous = np.concatenate([[init], levels[:-1]])
    return float(levels[-1]), float(np.mean((x - previous) ** 2))


def _weekly(x: np.ndarray, start: int, future: np.ndarray, factors: np.ndarray) -> np.ndarray:
    seasonal = x / factors[(np.arange(len(x)) + start) % SEASON]
    level = min((_ses_level(seasonal, a) for a in LEVEL_ALPHAS), key=lambda v: v[1])[0]
    return max(level, 0.0) * factors[future % SEASON]


def _damped(x: np.ndarray, start: int, future: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """A multiplicative trend from the last eight weeks (Poisson log-linear, recent days weigh
    more), its growth damped with φ = 0.95: the tail of a launch, a saturation or a decline."""
    seasonal = (x / factors[(np.arange(len(x)) + start) % SEASON])[-8 * SEASON :]
    t = np.arange(len(seasonal), dtype=float) - (len(seasonal) - 1)
    a, b = poisson_loglinear(t, seasonal, iterations=25)
    b = float(np.clip(b, -0.1, MAX_FITTED_GROWTH / 2))
    steps = (future - (start + len(x) - 1)).astype(float)
    phi = 0.95
    damped = phi * (1 - phi**steps) / (1 - phi)
    return np.exp(np.clip(a + b * damped, -50, 50)) * factors[future % SEASON]


def _launch(x: np.ndarray, start: int, future: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """base + A·exp(−t/τ) from the first day of the history (the launch), τ from a grid."""
    t = np.arange(len(x), dtype=float)
    seasonal = x / factors[(np.arange(len(x)) + start) % SEASON]
    best = None
    for tau in (2.0, 4.0, 7.0, 14.0, 28.0, 56.0):
        decay = np.exp(-t / tau)
        design = np.column_stack([np.ones_like(t), decay])
        (base, amplitude), *_ = np.linalg.lstsq(design, seasonal, rcond=None)
        if amplitude < 0 or base < 0:
            continue
        sse = float(np.sum((seasonal - base - amplitude * decay) ** 2))
        if best is None or sse < best[0]:
            best = (sse, base, amplitude, tau)
    if best is None:
        return np.full(len(future), max(seasonal[-BACKTEST_DAYS:].mean(), 0.0))
    _, base, amplitude, tau = best
    ahead = (future - start).astype(float)
    return (base + amplitude * np.exp(-ahead / tau)) * factors[future % SEASON]


def _tsb(x: np.ndarray, start: int, future: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Teunter–Syntetos–Babai: smoothed probability of a sale day × smoothed size of one."""
    sold = (x > 0).astype(float)
    p = _ses_level(sold, TSB_ALPHA)[0]
    sizes = x[x > 0]
    if not len(sizes):
        return np.zeros(len(future))
    z = _ses_level(sizes, TSB_ALPHA)[0]
    return np.full(len(future), p * z)


def _exponential(x: np.ndarray, start: int, future: np.ndarray, factors: np.ndarray):
    fit = _capped_exponential(x)
    return np.minimum(fit.mean((future - start).astype(float)), MAX_DAILY_UNITS)


def _weekly_growth(x: np.ndarray, start: int, future: np.ndarray, factors: np.ndarray):
    """The seed's S0·(1+r)^t fitted to the sales with the weekly rhythm divided out, and
    the rhythm put back on the forecast."""
    seasonal = x / factors[(np.arange(len(x)) + start) % SEASON]
    fit = _capped_exponential(seasonal)
    mean = fit.mean((future - start).astype(float)) * factors[future % SEASON]
    return np.minimum(mean, MAX_DAILY_UNITS)


def _bass(x: np.ndarray, start: int, future: np.ndarray, factors: np.ndarray):
    fit = fit_bass(x)
    return None if fit is None else fit.mean((future - start).astype(float))


def _seasonal_naive(x: np.ndarray, start: int, future: np.ndarray, factors: np.ndarray):
    last_week = x[-SEASON:]
    if len(last_week) < SEASON:
        return np.full(len(future), x.mean() if len(x) else 0.0)
    # Day index d repeats the latest day with the same index modulo 7.
    end = start + len(x)
    return last_week[(future - end) % SEASON]


def _mean_28(x: np.ndarray, start: int, future: np.ndarray, factors: np.ndarray):
    return np.full(len(future), x[-BACKTEST_DAYS:].mean() if len(x) else 0.0)


MODELS: dict[str, Callable] = {
    EXPONENTIAL: _exponential,
    BASS: _bass,
    WEEKLY: _weekly,
    DAMPED: _damped,
    LAUNCH: _launch,
    TSB: _tsb,
    WEEKLY_GROWTH: _weekly_growth,
    SEASONAL_NAIVE: _seasonal_naive,
    MEAN_28: _mean_28,
}


# --- cleaning, promotions, scoring ----------------------------------------------------------


@dataclass
class Cleaned:
    start: int  # day index of the first day used
    values: np.ndarray  # from start on: excluded days filled in, bulk orders clipped
    left_out: dict[int, str]  # day index → reason (only days that had sales, plus excluded)
    clipped: dict[int, float]  # day index → units sold that day (the fit used less)


def stray_start(y: np.ndarray) -> int:
    """Where the real history starts: after the last long run of zero days that only a few
    units precede (one sale, then months of nothing, then the real series)."""
    sold = np.flatnonzero(y > 0)
    if len(sold) < 2:
        return 0
    total = y.sum()
    gaps = np.diff(sold)
    before = np.cumsum(y[sold])[:-1]
    typical = float(np.median(gaps))
    stray = (gaps >= max(STRAY_GAP_DAYS, 5 * typical)) & (before <= STRAY_SHARE * total)
    hits = np.flatnonzero(stray)
    return int(sold[hits[-1] + 1]) if len(hits) else 0


def clean_history(
    y: np.ndarray,
    *,
    launch_day: int | None,
    excluded_days: Iterable[int],
    promo: np.ndarray,
    restored_days: Iterable[int] = (),
) -> Cleaned:
    """Leave out the days before the launch and a stray sale far ahead of the real history,
    fill in the creator's excluded days and clip bulk orders. A restored day (one the creator
    put back) stays in: the history then starts at it, and it is not clipped."""
    n = len(y)
    left_out: dict[int, str] = {}
    start = 0
    if launch_day is not None and launch_day > 0:
        start = min(int(launch_day), n)
        left_out.update({int(d): BEFORE_LAUNCH for d in np.flatnonzero(y[:start] > 0)})
    stray = start + stray_start(y[start:])
    left_out.update({int(d): STRAY for d in np.flatnonzero(y[start:stray] > 0) + start})
    start = stray
    restored = {int(d) for d in restored_days if 0 <= int(d) < n}
    if restored and min(restored) < start:
        start = min(restored)
        left_out = {d: reason for d, reason in left_out.items() if d < start}
    x = y[start:].astype(float).copy()
    excluded = sorted({int(d) for d in excluded_days if start <= int(d) < n} - restored)
    for d in excluded_days:
        if 0 <= int(d) < n and int(d) not in restored:
            left_out[int(d)] = EXCLUDED
    mask = np.zeros(len(x), bool)
    mask[[d - start for d in excluded]] = True
    if mask.any() and (~mask).any():
        # An excluded day counts as the median of the kept days around it (two weeks each side).
        for i in np.flatnonzero(mask):
            around = x[max(0, i - 14) : i + 15][~mask[max(0, i - 14) : i + 15]]
            x[i] = float(np.median(around)) if len(around) else float(np.median(x[~mask]))
    elif mask.any():
        x[:] = 0.0
    keep = mask.copy()
    keep[[d - start for d in restored if d >= start]] = True
    clipped = _clip_bulk_orders(x, start, promo[start:n], keep)
    return Cleaned(start=start, values=x, left_out=left_out, clipped=clipped)


def _clip_bulk_orders(
    x: np.ndarray, start: int, promo: np.ndarray, keep: np.ndarray
) -> dict[int, float]:
    """Clip days far above the course's rhythm (a rolling median two weeks each side) to a
    negative-binomial-like ceiling; promotion days, the first week (a launch) and the days in
    ``keep`` (excluded or restored by the creator) stay."""
    if len(x) < 15:
        return {}
    padded = np.pad(x, 7, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 15)
    level = np.median(windows, axis=1)
    ceiling = level + 4.0 * np.sqrt(level + 0.25 * level**2) + 4.0
    over = (x > ceiling) & ~promo.astype(bool) & ~keep
    over[:SEASON] = False
    clipped = {int(i + start): float(x[i]) for i in np.flatnonzero(over)}
    x[over] = ceiling[over]
    return clipped


def _promo_mask(promotions, length: int) -> np.ndarray:
    mask = np.zeros(length, bool)
    for first, last in promotions or ():
        first, last = max(int(first), 0), min(int(last), length - 1)
        if first <= last:
            mask[first : last + 1] = True
    return mask


def promo_uplift(x: np.ndarray, promo: np.ndarray) -> float:
    """Sales on promotion days ÷ sales on the other days of the weeks around them, shrunk
    towards PROMO_PRIOR (a future promotion with no past one still lifts the forecast)."""
    if not promo.any() or promo.all():
        return PROMO_PRIOR
    idx = np.arange(len(x))
    observed = expected = 0.0
    for i in np.flatnonzero(promo):
        near = (np.abs(idx - i) <= 14) & ~promo
        if near.any():
            observed += x[i]
            expected += x[near].mean()
    if expected <= 0:
        return PROMO_PRIOR
    days = promo.sum()
    mean_day = expected / days
    uplift = (observed + PROMO_PRIOR * PROMO_PRIOR_DAYS * mean_day) / (
        expected + PROMO_PRIOR_DAYS * mean_day
    )
    return float(np.clip(uplift, 1.0, MAX_PROMO_UPLIFT))


def mase_scale(x: np.ndarray) -> float:
    """In-sample MAE of the weekly seasonal-naive forecast (the MASE denominator)."""
    if len(x) > SEASON:
        scale = float(np.mean(np.abs(x[SEASON:] - x[:-SEASON])))
        if scale > 0:
            return scale
    return max(float(np.mean(np.abs(x))) if len(x) else 0.0, 1.0)


def mase(actual: np.ndarray, predicted: np.ndarray, scale: float) -> float:
    return float(np.mean(np.abs(actual - predicted)) / scale)


def total_error(actual: np.ndarray, predicted: np.ndarray) -> float:
    """|Σ forecast − Σ actual| / max(Σ actual, 1)."""
    return float(abs(predicted.sum() - actual.sum()) / max(actual.sum(), 1.0))


def backtest_error(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Weighted absolute percentage error, Σ|y − ŷ| / Σy (0.2 = 20 %)."""
    return float(np.abs(actual - predicted).sum() / max(actual.sum(), 1.0))


def _predict(
    name: str, x: np.ndarray, start: int, future: np.ndarray, promo_future, uplift, factors=None
):
    """One model's forecast for day indices ``future`` from history x (promotion days of x
    already divided by the uplift), promotion days lifted again. ``factors``: x's weekday
    factors when the caller has them (every model of one origin shares them)."""
    if factors is None:
        factors = _weekday_factors(x, start)
    with np.errstate(all="ignore"):
        mean = MODELS[name](x, start, future, factors)
    if mean is None or not np.isfinite(mean).all():
        return None
    mean = np.clip(mean, 0.0, MAX_DAILY_UNITS)
    return np.where(promo_future, mean * uplift, mean)


@dataclass
class Backtest:
    forecasts: dict[str, list[np.ndarray]]  # model → its forecast at each origin
    actuals: list[np.ndarray]
    scales: list[float]

    def score(self, predictions: list[np.ndarray]) -> tuple[float, float]:
        """(mean MASE, mean 28-day total error) over the origins."""
        m = [mase(a, p, s) for a, p, s in zip(self.actuals, predictions, self.scales, strict=True)]
        e = [total_error(a, p) for a, p in zip(self.actuals, predictions, strict=True)]
        return float(np.mean(m)), float(np.mean(e))


def _run_backtest(x: np.ndarray, start: int, promo: np.ndarray, uplift: float) -> Backtest:
    """Fit every model at up to four origins, each scored on the 28 days after it.
    ``promo`` is indexed like x (x[0] is day ``start``)."""
    n = len(x)
    origins = [
        n - BACKTEST_DAYS - ORIGIN_STEP * k
        for k in range(BACKTEST_ORIGINS - 1, -1, -1)
        if n - BACKTEST_DAYS - ORIGIN_STEP * k >= MIN_TRAIN_DAYS
    ]
    depromoted = np.where(promo[:n], x / uplift, x)
    forecasts: dict[str, list[np.ndarray]] = {name: [] for name in MODELS}
    actuals, scales = [], []
    for origin in origins:
        future = np.arange(start + origin, start + origin + BACKTEST_DAYS)
        train = depromoted[:origin]
        actuals.append(x[origin : origin + BACKTEST_DAYS])
        scales.append(mase_scale(x[:origin]))
        factors = _weekday_factors(train, start)
        for name in list(forecasts):
            predicted = _predict(
                name, train, start, future, promo[origin : origin + BACKTEST_DAYS], uplift, factors
            )
            if predicted is None:
                del forecasts[name]  # a model that fails at any origin is not a candidate
            else:
                forecasts[name].append(predicted)
    return Backtest(forecasts=forecasts, actuals=actuals, scales=scales)


def _combined(score: tuple[float, float]) -> float:
    return score[0] + score[1]


# --- the result ------------------------------------------------------------------------------


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
    total_model_error: float = BAND_MODEL_ERROR_PRIOR  # relative sd of a 28-day total
    explanation_code: str = CHOSEN
    explanation_numbers: dict = field(default_factory=dict)
    members: list[str] = field(default_factory=list)  # the ensemble's models
    backtest: dict = field(default_factory=dict)  # model → {"mase", "total_error"}
    left_out: dict[int, str] = field(default_factory=dict)  # day index → reason
    clipped: dict[int, float] = field(default_factory=dict)  # day index → units that day
    promo_uplift: float | None = None

    def total_band(self, days: int) -> tuple[float, float, float]:
        """Expected units over the first ``days`` days with its 95 % band: overdispersed
        counts (the backtest's dispersion) plus the model's own error on 28-day totals from
        the rolling-origin backtest (it grows with the length of the sum)."""
        total = float(self.mean[:days].sum())
        relative = self.total_model_error * math.sqrt(max(days, 1) / BACKTEST_DAYS)
        variance = self.dispersion * total + (relative * total) ** 2
        half = BAND_SCALE * Z_95 * math.sqrt(variance)
        return total, max(total - half, 0.0), total + half


def _daily_band(mean: np.ndarray, dispersion: float, relative: float):
    """95 % band of one day's units: a negative binomial with the backtest's dispersion and
    the model's error (variance μ·φ + (cμ)²)."""
    variance = mean * dispersion + (relative * mean) ** 2
    lower, upper = np.zeros_like(mean), mean.copy()
    spread = variance > mean * (1 + 1e-9)
    if spread.any():
        mu, var = mean[spread], variance[spread]
        p = mu / var
        size = mu * p / (1 - p)
        lower[spread] = nbinom.ppf(0.025, size, p)
        upper[spread] = nbinom.ppf(0.975, size, p)
    plain = ~spread & (mean > 0)
    if plain.any():
        half = Z_95 * np.sqrt(mean[plain])
        lower[plain], upper[plain] = mean[plain] - half, mean[plain] + half
    lower = np.minimum(np.maximum(lower, 0.0), mean)
    upper = np.maximum(upper, mean)
    return lower, upper


def forecast_sales(
    daily_sales,
    *,
    horizon: int = 90,
    r_override: float | None = None,
    promotions=None,
    launch_day: int | None = None,
    excluded_days=(),
    restored_days=(),
) -> Forecast:
    """Clean the history, choose a model by rolling-origin backtest, forecast ``horizon`` days.

    ``promotions``: [(first_day, last_day), …] inclusive day indices, past or future.
    ``restored_days``: days the cleaning would leave out or clip by itself (before the launch,
    a stray early sale, a bulk order) that the creator put back; they stay in the fit.
    """
    y = np.asarray(daily_sales, dtype=float)
    if (y < 0).any():
        raise ValueError("daily sales must not be negative")
    n = len(y)
    future = np.arange(n, n + horizon)
    promo = _promo_mask(promotions, n + horizon)
    cleaned = clean_history(
        y,
        launch_day=launch_day,
        excluded_days=excluded_days,
        promo=promo,
        restored_days=restored_days,
    )
    x, start = cleaned.values, cleaned.start
    common = {"left_out": cleaned.left_out, "clipped": cleaned.clipped, "history_days": n}
    if len(x) == 0 or not x.any():
        zeros = np.zeros(horizon)
        return Forecast(
            model=EXPONENTIAL,
            s0=0.0,
            r=0.0,
            r_overridden=False,
            error_exponential=None,
            error_alternative=None,
            explanation="No sales yet: the forecast is zero until sales are recorded.",
            explanation_code=NO_SALES,
            mean=zeros,
            lower=zeros,
            upper=zeros.copy(),
            params={},
            **common,
        )
    uplift = promo_uplift(x, promo[start:n]) if promo.any() else None
    depromoted = np.where(promo[start:n], x / uplift, x) if uplift else x
    future_promo = promo[n:]
    if r_override is not None:
        fit = fit_exponential(depromoted, r=r_override)
        mean = np.minimum(fit.mean((future - start).astype(float)), MAX_DAILY_UNITS)
        return _finish(
            fit.model,
            np.where(future_promo, mean * (uplift or 1), mean),
            fit=fit,
            r_overridden=True,
            dispersion=fit.dispersion,
            explanation=(
                f"Exponential model with the growth rate you set (r = {r_override:.4f} per day)."
            ),
            code=OVERRIDE,
            numbers={"r": r_override},
            uplift=uplift,
            **common,
        )
    if len(x) < MIN_HISTORY_FOR_BACKTEST:
        fit = fit_exponential(depromoted)
        capped = ""
        if fit.r > MAX_FITTED_GROWTH:
            capped = (
                f" The fitted growth (r = {fit.r:.3f} per day) is capped at "
                f"{MAX_FITTED_GROWTH} per day for the forecast."
            )
            fit = fit_exponential(depromoted, r=MAX_FITTED_GROWTH)
        mean = np.minimum(fit.mean((future - start).astype(float)), MAX_DAILY_UNITS)
        return _finish(
            EXPONENTIAL,
            np.where(future_promo, mean * (uplift or 1), mean),
            fit=fit,
            r_overridden=False,
            dispersion=fit.dispersion,
            explanation=(
                f"Exponential model: {len(x)} days of sales are too few for a backtest "
                f"(it needs {MIN_HISTORY_FOR_BACKTEST})." + capped
            ),
            code=TOO_SHORT,
            numbers={"days": len(x), "needed": MIN_HISTORY_FOR_BACKTEST},
            uplift=uplift,
            **common,
        )
    return _choose_and_forecast(x, start, promo, uplift or 1.0, future, common, uplift)


def _choose_and_forecast(x, start, promo, uplift, future, common, reported_uplift) -> Forecast:
    backtest = _run_backtest(x, start, promo[start:], uplift)
    scores = {name: backtest.score(preds) for name, preds in backtest.forecasts.items()}
    # Near-ties go to the simpler model, listed first in CANDIDATES (the seed's exponential).
    ranked = sorted(
        (n for n in scores if n in CANDIDATES),
        key=lambda n: (round(_combined(scores[n]), 3), CANDIDATES.index(n)),
    )
    members = ranked[:ENSEMBLE_SIZE]
    options: dict[str, tuple[list[str], tuple[float, float]]] = {}
    if members:
        per_origin = [
            np.mean([backtest.forecasts[m][k] for m in members], axis=0)
            for k in range(len(backtest.actuals))
        ]
        options[ranked[0]] = ([ranked[0]], scores[ranked[0]])
        options[ENSEMBLE] = (members, backtest.score(per_origin))
    best_baseline = min(BASELINES, key=lambda b: _combined(scores[b]))
    chosen = min(options, key=lambda o: round(_combined(options[o][1]), 3)) if options else None
    baseline_score = _combined(scores[best_baseline])
    if chosen is None or _combined(options[chosen][1]) > (1 - BASELINE_MARGIN) * baseline_score:
        code, name, used, used_score = BASELINE_KEPT, best_baseline, [best_baseline], None
    else:
        code, name, used = CHOSEN, chosen, options[chosen][0]
        used_score = options[chosen][1]
    used_score = used_score or scores[best_baseline]
    n = len(x)
    depromoted = np.where(promo[start : start + n], x / uplift, x)
    future_promo = promo[start + n :][: len(future)]
    factors = _weekday_factors(depromoted, start)
    means = [_predict(m, depromoted, start, future, future_promo, uplift, factors) for m in used]
    means = [m for m in means if m is not None] or [
        _predict(best_baseline, depromoted, start, future, future_promo, uplift)
    ]
    mean = np.mean(means, axis=0)
    per_origin = [
        np.mean([backtest.forecasts[m][k] for m in used], axis=0)
        for k in range(len(backtest.actuals))
    ]
    dispersion, relative = _residual_spread(backtest.actuals, per_origin)
    exp_fit = _capped_exponential(depromoted)
    table = {k: {"mase": v[0], "total_error": v[1]} for k, v in scores.items()}
    if ENSEMBLE in options:
        table[ENSEMBLE] = {"mase": options[ENSEMBLE][1][0], "total_error": options[ENSEMBLE][1][1]}
    base_mase, base_total = scores[best_baseline]
    numbers = {
        "model": name,
        "members": used,
        "mase": used_score[0],
        "total_error": used_score[1],
        "baseline": best_baseline,
        "baseline_mase": base_mase,
        "baseline_total_error": base_total,
        "origins": len(backtest.actuals),
        "days": BACKTEST_DAYS,
    }
    if code == CHOSEN:
        explanation = (
            f"{_label(name, used)}: over {len(backtest.actuals)} backtests of {BACKTEST_DAYS} "
            f"days its scaled error was {used_score[0]:.2f} and its 28-day total was off by "
            f"{used_score[1]:.0%}, against {base_mase:.2f} and {base_total:.0%} for the "
            f"{_label(best_baseline, [])}."
        )
    else:
        best_model = ranked[0] if ranked else None
        explanation = (
            f"{_label(best_baseline, [])}: no model beat this simple baseline on the course's "
            f"own backtest (scaled error {base_mase:.2f}, 28-day total off by {base_total:.0%})."
        )
        if best_model:
            numbers["best_model"] = best_model
            numbers["best_model_mase"] = scores[best_model][0]
    return _finish(
        name,
        mean,
        fit=exp_fit,
        r_overridden=False,
        dispersion=dispersion,
        relative=relative,
        explanation=explanation,
        code=code,
        numbers=numbers,
        members=used,
        backtest=table,
        error_exponential=scores[EXPONENTIAL][1] if EXPONENTIAL in scores else None,
        error_alternative=(used_score[1] if name != EXPONENTIAL else None),
        params=_params(used, depromoted),
        uplift=reported_uplift,
        **common,
    )


def _label(name: str, members: list[str]) -> str:
    labels = {
        EXPONENTIAL: "Exponential model",
        BASS: "Saturating (Bass) model",
        WEEKLY: "Level with a weekly rhythm",
        DAMPED: "Damped trend",
        LAUNCH: "Launch spike settling to a base",
        TSB: "Intermittent-demand (TSB) model",
        WEEKLY_GROWTH: "Growth with a weekly rhythm",
        SEASONAL_NAIVE: "same weekday last week",
        MEAN_28: "mean of the last 28 days",
    }
    if name == ENSEMBLE:
        return "Average of " + ", ".join(labels[m] for m in members)
    return labels[name]


def _params(used: list[str], x: np.ndarray) -> dict:
    if BASS in used:
        fit = fit_bass(x)
        if fit is not None:
            return dict(fit.params)
    return {}


def _residual_spread(actuals, predictions) -> tuple[float, float]:
    """Overdispersion φ of the daily counts and the relative error c of 28-day totals, from
    the backtest's residuals; c is shrunk towards a prior (four origins are few)."""
    a = np.concatenate(actuals)
    p = np.maximum(np.concatenate(predictions), 0.05)
    dispersion = float(max(1.0, np.mean((a - p) ** 2 / p)))
    relative_sq = []
    for actual, predicted in zip(actuals, predictions, strict=True):
        total = max(predicted.sum(), 1.0)
        noise = dispersion * total
        relative_sq.append(max((actual.sum() - predicted.sum()) ** 2 - noise, 0.0) / total**2)
    k = len(relative_sq)
    c2 = (sum(relative_sq) + BAND_PRIOR_ORIGINS * BAND_MODEL_ERROR_PRIOR**2) / (
        k + BAND_PRIOR_ORIGINS
    )
    return dispersion, math.sqrt(c2)


def _finish(
    model: str,
    mean: np.ndarray,
    *,
    fit: Fit,
    r_overridden: bool,
    dispersion: float,
    explanation: str,
    code: str,
    numbers: dict,
    uplift: float | None,
    left_out: dict,
    clipped: dict,
    history_days: int,
    relative: float = BAND_MODEL_ERROR_PRIOR,
    members: list[str] | None = None,
    backtest: dict | None = None,
    error_exponential: float | None = None,
    error_alternative: float | None = None,
    params: dict | None = None,
) -> Forecast:
    mean = np.minimum(np.asarray(mean, float), MAX_DAILY_UNITS)
    lower, upper = _daily_band(mean, dispersion, relative)
    return Forecast(
        model=model,
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
        params=fit.params if params is None and model in (EXPONENTIAL, BASS) else (params or {}),
        dispersion=dispersion,
        total_model_error=relative,
        explanation_code=code,
        explanation_numbers=numbers,
        members=members or [model],
        backtest=backtest or {},
        left_out=left_out,
        clipped=clipped,
        promo_uplift=uplift,
    )
