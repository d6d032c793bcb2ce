"""Pricing rules: effective price at a moment, tier order by level, competitor price band.

The effective price is always computed from the tier's list price and the discounts that apply
at that moment; it is never stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from .models import LEVEL_ORDER, Discount, PriceTier

CENT = Decimal("0.01")


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def discount_applies(discount: Discount, *, tier: PriceTier, at: datetime) -> bool:
    """A discount applies to its course's tiers (or only its own tier) from start to end."""
    return (
        discount.course_id == tier.course_id
        and (discount.tier_id is None or discount.tier_id == tier.id)
        and discount.starts_at <= at < discount.ends_at
    )


def discounted_price(list_price: Decimal, discount: Discount) -> Decimal:
    if discount.kind == Discount.Kind.PERCENT:
        price = list_price * (Decimal(100) - discount.value) / Decimal(100)
    else:
        price = list_price - discount.value
    return max(Decimal(0), _money(price))


@dataclass(frozen=True)
class EffectivePrice:
    tier: PriceTier
    price: Decimal
    discount: Discount | None

    @property
    def saving(self) -> Decimal:
        return self.tier.list_price - self.price


def effective_price(
    tier: PriceTier, *, at: datetime, discounts: Iterable[Discount]
) -> EffectivePrice:
    """The best (lowest) price any applicable discount gives at ``at``; never below zero.

    ``discounts`` are the course's discounts, fetched once by the caller so that pricing many
    tiers or days costs no extra queries.
    """
    best, best_discount = _money(tier.list_price), None
    for discount in discounts:
        if discount_applies(discount, tier=tier, at=at):
            price = discounted_price(tier.list_price, discount)
            if price < best:
                best, best_discount = price, discount
    return EffectivePrice(tier=tier, price=best, discount=best_discount)


def tiers_out_of_order(tiers: Sequence[PriceTier]) -> list[tuple[PriceTier, PriceTier]]:
    """Pairs (cheaper-level tier, higher-level tier) where the higher level costs less.

    Beginner must not cost more than intermediate, intermediate not more than advanced.
    """
    flagged = []
    for low in tiers:
        for high in tiers:
            if (
                LEVEL_ORDER[low.level] < LEVEL_ORDER[high.level]
                and high.list_price < low.list_price
            ):
                flagged.append((low, high))
    return flagged


@dataclass(frozen=True)
class PriceBand:
    """Competitor prices as quartiles; a tier below q1 is cheap, above q3 is expensive."""

    low: Decimal
    q1: Decimal
    median: Decimal
    q3: Decimal
    high: Decimal
    count: int

    def position(self, price: Decimal) -> str:
        if price < self.q1:
            return "below"
        if price > self.q3:
            return "above"
        return "within"


def competitor_band(prices: Sequence[Decimal]) -> PriceBand | None:
    """Quartiles of the competitor prices (linear interpolation); None without any price."""
    if not prices:
        return None
    values = np.array([float(p) for p in prices])
    low, q1, median, q3, high = np.percentile(values, [0, 25, 50, 75, 100])
    return PriceBand(
        *(_money(Decimal(str(v))) for v in (low, q1, median, q3, high)), count=len(values)
    )
