"""``{% figure "D_F" %}``: a figure's plain name, its meaning and formula on hover and focus."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from analytics.figures import FIGURES

register = template.Library()


@register.simple_tag
def figure(symbol: str) -> str:
    item = FIGURES[symbol]
    return format_html(
        '<abbr title="{}: {}" tabindex="0" data-figure="{}">{}</abbr>',
        item.meaning,
        item.formula,
        item.symbol,
        item.name,
    )


@register.inclusion_tag("analytics/_figures_glossary.html")
def figures_glossary(*symbols: str) -> dict:
    return {"figures": [FIGURES[s] for s in symbols or FIGURES]}


@register.simple_tag
def figure_name(symbol: str) -> str:
    """The plain name alone, e.g. for a table cell's label on a phone."""
    return str(FIGURES[symbol].name)
