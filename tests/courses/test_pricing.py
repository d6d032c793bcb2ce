from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courses import pricing
from courses.models import Discount, Level, PriceTier

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _tier(price, level=Level.BEGINNER, pk=1, course_id=1):
    return PriceTier(
        id=pk, course_id=course_id, level=level, name=f"t{pk}", list_price=Decimal(price)
    )


def _discount(kind, value, start=T0, hours=24, tier_id=None, course_id=1, name="d"):
    return Discount(
        course_id=course_id,
        tier_id=tier_id,
        name=name,
        kind=kind,
        value=Decimal(value),
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
    )


def test_percent_discount_during_its_window_only():
    tier = _tier("199.00")
    d = _discount(Discount.Kind.PERCENT, "20")
    assert pricing.effective_price(tier, at=T0, discounts=[d]).price == Decimal("159.20")
    assert pricing.effective_price(tier, at=T0 - timedelta(seconds=1), discounts=[d]).price == (
        Decimal("199.00")
    )
    # The end is exclusive: at the end moment the list price is back.
    assert pricing.effective_price(tier, at=T0 + timedelta(hours=24), discounts=[d]).price == (
        Decimal("199.00")
    )


def test_best_of_several_discounts_wins_and_is_reported():
    tier = _tier("100.00")
    small = _discount(Discount.Kind.PERCENT, "10", name="small")
    big = _discount(Discount.Kind.FIXED, "30", name="big")
    result = pricing.effective_price(tier, at=T0, discounts=[small, big])
    assert result.price == Decimal("70.00")
    assert result.discount is big
    assert result.saving == Decimal("30.00")


def test_fixed_discount_never_goes_below_zero():
    tier = _tier("20.00")
    assert pricing.effective_price(
        tier, at=T0, discounts=[_discount(Discount.Kind.FIXED, "50")]
    ).price == Decimal("0.00")


def test_tier_specific_discount_does_not_touch_other_tiers():
    basic, pro = _tier("99", pk=1), _tier("299", level=Level.ADVANCED, pk=2)
    only_pro = _discount(Discount.Kind.PERCENT, "50", tier_id=2)
    assert pricing.effective_price(basic, at=T0, discounts=[only_pro]).price == Decimal("99.00")
    assert pricing.effective_price(pro, at=T0, discounts=[only_pro]).price == Decimal("149.50")


def test_another_courses_discount_does_not_apply():
    tier = _tier("99", course_id=1)
    other = _discount(Discount.Kind.PERCENT, "50", course_id=2)
    assert pricing.effective_price(tier, at=T0, discounts=[other]).price == Decimal("99.00")


@given(
    price=st.decimals(min_value=0, max_value=10000, places=2),
    percent=st.decimals(min_value=0, max_value=100, places=2),
    fixed=st.decimals(min_value=0, max_value=20000, places=2),
)
def test_effective_price_is_between_zero_and_list_price(price, percent, fixed):
    tier = _tier(price)
    discounts = [
        _discount(Discount.Kind.PERCENT, percent),
        _discount(Discount.Kind.FIXED, fixed),
    ]
    result = pricing.effective_price(tier, at=T0, discounts=discounts).price
    assert Decimal(0) <= result <= tier.list_price


def test_tiers_out_of_order_are_flagged():
    beginner = _tier("199", Level.BEGINNER, pk=1)
    intermediate = _tier("299", Level.INTERMEDIATE, pk=2)
    advanced = _tier("259", Level.ADVANCED, pk=3)
    assert pricing.tiers_out_of_order([beginner, intermediate, advanced]) == [
        (intermediate, advanced)
    ]
    assert pricing.tiers_out_of_order([beginner, intermediate]) == []
    # Same level at different prices is not "out of order".
    assert pricing.tiers_out_of_order([beginner, _tier("99", Level.BEGINNER, pk=4)]) == []


def test_competitor_band_quartiles_and_positions():
    band = pricing.competitor_band([Decimal(p) for p in ("60", "80", "100", "120", "150", "210")])
    assert (band.low, band.q1, band.median, band.q3, band.high) == (
        Decimal("60.00"),
        Decimal("85.00"),
        Decimal("110.00"),
        Decimal("142.50"),
        Decimal("210.00"),
    )
    assert band.count == 6
    assert band.position(Decimal("79")) == "below"
    assert band.position(Decimal("100")) == "within"
    assert band.position(Decimal("199")) == "above"


def test_competitor_band_without_prices_is_none():
    assert pricing.competitor_band([]) is None


@pytest.mark.django_db
def test_effective_prices_for_a_course_use_a_fixed_number_of_queries(
    django_assert_num_queries,
):
    from courses.selectors import course_effective_prices
    from tests.factories import CourseFactory, DiscountFactory, PriceTierFactory

    course = CourseFactory()
    for n in range(5):
        PriceTierFactory(course=course, list_price=Decimal(100 + n))
    DiscountFactory(course=course, value=Decimal("10"))
    with django_assert_num_queries(2):
        prices = course_effective_prices(course=course, at=T0.replace(year=2030))
    assert len(prices) == 5
