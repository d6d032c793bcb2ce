"""A fixed, seeded suite of course-like daily sales series for bench_forecast.py.

Nine kinds, 24 series each (216): weekly rhythm, a launch spike settling to a base, slow
growth, saturation (Bass), decline, intermittent small courses, monthly promotions (known
ahead, also in the held-out weeks), a stray old sale long before the real history, and one
bulk order of 40–80 seats. Counts are gamma-Poisson (overdispersed), as real sales are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

KINDS = (
    "weekly",
    "launch",
    "growth",
    "saturation",
    "decline",
    "intermittent",
    "promotions",
    "stray_sale",
    "bulk_order",
)
PER_KIND = 24
HOLDOUT = 28


@dataclass
class Series:
    kind: str
    y: np.ndarray  # history followed by the HOLDOUT held-out days
    promotions: list[tuple[int, int]] = field(default_factory=list)

    @property
    def history(self) -> np.ndarray:
        return self.y[:-HOLDOUT]

    @property
    def actual(self) -> np.ndarray:
        return self.y[-HOLDOUT:]


def _counts(rng: np.random.Generator, mu: np.ndarray, shape: float = 8.0) -> np.ndarray:
    mu = np.maximum(mu, 0.0)
    return rng.poisson(rng.gamma(shape, mu / shape)).astype(float)


def _weekday(rng: np.random.Generator, days: int) -> np.ndarray:
    rhythm = 1 + rng.uniform(0.15, 0.5) * np.sin(2 * np.pi * (np.arange(7) + rng.integers(7)) / 7)
    return (rhythm / rhythm.mean())[np.arange(days) % 7]


def make_series(kind: str, rng: np.random.Generator) -> Series:
    days = int(rng.integers(112, 225)) + HOLDOUT
    t = np.arange(days, dtype=float)
    week = _weekday(rng, days)
    level = rng.uniform(3, 20)
    promotions: list[tuple[int, int]] = []
    if kind == "weekly":
        mu = level * week
    elif kind == "launch":
        spike = level * rng.uniform(4, 10)
        mu = (level + spike * np.exp(-t / rng.uniform(3, 14))) * week
    elif kind == "growth":
        mu = level * 0.5 * (1 + rng.uniform(0.003, 0.012)) ** t * week
    elif kind == "saturation":
        m, p, q = rng.uniform(800, 4000), rng.uniform(0.002, 0.006), rng.uniform(0.02, 0.05)
        e = np.exp(-(p + q) * np.arange(days + 1))
        cumulative = m * (1 - e) / (1 + (q / p) * e)
        mu = np.diff(cumulative) * week
    elif kind == "decline":
        mu = level * 1.5 * (1 - rng.uniform(0.004, 0.012)) ** t * week
    elif kind == "intermittent":
        mu = np.full(days, rng.uniform(0.1, 0.8))
    elif kind == "promotions":
        mu = level * week
        uplift = rng.uniform(1.8, 3.0)
        first = int(rng.integers(5, 25))
        while first < days:
            last = min(first + int(rng.integers(3, 6)), days - 1)
            promotions.append((first, last))
            mu[first : last + 1] *= uplift
            first += 30
    elif kind == "stray_sale":
        gap = int(rng.integers(90, 200))
        days_real = days
        mu = np.concatenate([[0.0] * (gap + 1), level * _weekday(rng, days_real)])
        y = _counts(rng, mu)
        y[0] = 1.0  # one sale, then months of nothing
        return Series(kind, y)
    elif kind == "bulk_order":
        mu = level * week
        y = _counts(rng, mu)
        y[int(rng.integers(30, days - HOLDOUT - 5))] += rng.integers(40, 81)
        return Series(kind, y)
    else:
        raise ValueError(kind)
    return Series(kind, _counts(rng, mu), promotions)


def make_suite(seed: int = 16) -> list[Series]:
    rng = np.random.default_rng(seed)
    return [make_series(kind, rng) for kind in KINDS for _ in range(PER_KIND)]
