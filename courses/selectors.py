"""Reads for courses, always scoped by owner, with related rows fetched up front."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from . import pricing
from .models import Course, PriceTier


def course_list(*, owner) -> QuerySet[Course]:
    return Course.objects.owned_by(owner).prefetch_related("tiers")


def course_get(*, owner, course_id: int) -> Course:
    """The creator's course or Course.DoesNotExist (another creator's id looks missing)."""
    return Course.objects.owned_by(owner).get(pk=course_id)


def course_effective_prices(*, course: Course, at: datetime) -> list[pricing.EffectivePrice]:
    """Each tier's price at ``at``: two queries whatever the number of tiers and discounts."""
    tiers = list(PriceTier.objects.filter(course=course).order_by("list_price"))
    discounts = list(course.discounts.all())
    return [pricing.effective_price(tier, at=at, discounts=discounts) for tier in tiers]
