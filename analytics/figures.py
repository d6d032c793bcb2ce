"""The figures CourseReel computes, by the names a creator reads on the pages.

The seed's symbols (F, D, D_F, CQ, CQ_F) stay in the formulas, one click away; a page shows a
figure's plain name and, on hover, focus or in the glossary, what it means and how it is
computed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Figure:
    symbol: str
    name: Promise
    meaning: Promise
    formula: str


FIGURES: dict[str, Figure] = {
    figure.symbol: figure
    for figure in (
        Figure("I", _("Interactions"), _("likes, comments, shares and saves"), "I = P + C + S + B"),
        Figure("F", _("Interaction rate"), _("interactions per view"), "F = I / T"),
        Figure(
            "D",
            _("Interaction depth"),
            _("the share of interactions that are comments or likes"),
            "D = (C + P) / I",
        ),
        Figure(
            "D_F",
            _("Engagement score"),
            _("interaction rate and depth together, with your weights from Settings"),
            "D_F = λ1·F + λ2·D",
        ),
        Figure(
            "CQ",
            _("Content quality"),
            _("length in minutes, production level and usefulness, averaged"),
            "CQ = (L + Q + U) / 3",
        ),
        Figure(
            "CQ_F",
            _("Overall score"),
            _("engagement and content quality together, with your weights from Settings"),
            "CQ_F = λ1·F + λ2·D + λ3·CQ",
        ),
    )
}
