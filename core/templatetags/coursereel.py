"""Small presentation helpers shared by the pages."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def sparkline(values, size: str = "120x30") -> str:
    """SVG polyline points for a small server-drawn trend line."""
    width, height = (int(v) for v in size.split("x"))
    values = [float(v or 0) for v in values or []]
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / (len(values) - 1)
    return " ".join(
        f"{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}"
        for i, v in enumerate(values)
    )


@register.filter
def signed(value, decimals: int = 1) -> str:
    """+3.2 / −1.0, localised, for delta pills."""
    if value is None:
        return ""
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    return f"{sign}{number_format(abs(value), decimals, use_l10n=True)}"


@register.filter
def percent(value, decimals: int = 1) -> str:
    """A fraction as a percentage: 0.123 → 12.3 %."""
    if value is None:
        return "—"
    return f"{number_format(float(value) * 100, decimals, use_l10n=True)}%"
