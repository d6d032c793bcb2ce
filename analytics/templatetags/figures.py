"""``{% figure "D_F" %}``: a figure's plain name, its meaning and formula on hover and focus."""

from __future__ import annotations

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import floatformat
from django.utils.html import format_html
from django.utils.translation import ngettext

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


UNKNOWN = "—"


@register.filter
def figure_value(value, digits: int = 3) -> str:
    """A figure to ``digits`` decimals, "—" when it is unknown (None: F without known views)."""
    return UNKNOWN if value is None else floatformat(value, digits)


@register.filter
def count_value(value) -> str:
    """A count with thousands separators, "—" when it is unknown (views not reported)."""
    return UNKNOWN if value is None else intcomma(value)


@register.simple_tag
def views_unknown_note(metric) -> str:
    """A marker after a views figure when some of its days have no views (F leaves them out)."""
    days = getattr(metric, "views_unknown_days", 0) or 0
    if not days:
        return ""
    text = ngettext(
        "Views of %(n)d day are not reported: F counts only the days with known views.",
        "Views of %(n)d days are not reported: F counts only the days with known views.",
        days,
    ) % {"n": days}
    return format_html(
        ' <abbr class="muted" title="{}" tabindex="0" data-testid="views-unknown">*</abbr>', text
    )
