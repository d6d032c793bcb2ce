from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from courses.models import Discount, PriceTier
from tests.factories import (
    CourseFactory,
    DiscountFactory,
    PriceTierFactory,
    SaleFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db


def test_discount_ending_before_it_starts_is_refused_by_validation():
    course = CourseFactory()
    now = timezone.now()
    discount = Discount(course=course, name="x", value=10, starts_at=now, ends_at=now)
    with pytest.raises(ValidationError) as excinfo:
        discount.full_clean()
    assert "ends_at" in excinfo.value.message_dict


def test_discount_ending_before_it_starts_is_refused_by_the_database():
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        DiscountFactory(starts_at=now, ends_at=now - timedelta(hours=1))
    assert not Discount.objects.exists()


def test_percent_discount_above_100_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        DiscountFactory(value=Decimal("120"))
    # A fixed amount of 120 is fine.
    DiscountFactory(kind=Discount.Kind.FIXED, value=Decimal("120"))


def test_discount_tier_must_belong_to_the_course():
    discount = DiscountFactory.build(course=CourseFactory(), tier=PriceTierFactory())
    with pytest.raises(ValidationError) as excinfo:
        discount.full_clean()
    assert "tier" in excinfo.value.message_dict


def test_negative_list_price_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        PriceTierFactory(list_price=Decimal("-1"))
    assert not PriceTier.objects.exists()


def test_course_slug_is_unique_per_creator_only():
    course = CourseFactory(slug="python")
    with pytest.raises(IntegrityError), transaction.atomic():
        CourseFactory(owner=course.owner, slug="python")
    CourseFactory(slug="python")


def test_sale_quantity_must_be_positive():
    with pytest.raises(IntegrityError), transaction.atomic():
        SaleFactory(quantity=0)


def test_sale_order_reference_is_unique_per_course():
    sale = SaleFactory(order_ref="A-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        SaleFactory(course=sale.course, tier=sale.tier, order_ref="A-1")
    SaleFactory(course=sale.course, tier=sale.tier, order_ref="")
    SaleFactory(course=sale.course, tier=sale.tier, order_ref="")


def test_sale_source_video_must_be_the_creators_own():
    sale = SaleFactory.build(course=CourseFactory(), source_video=VideoFactory())
    sale.tier = None
    with pytest.raises(ValidationError) as excinfo:
        sale.full_clean()
    assert "source_video" in excinfo.value.message_dict
