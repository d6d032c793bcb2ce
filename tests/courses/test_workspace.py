"""The course workspace: create and edit a course, its tiers, discounts and competitor
prices in the app's own pages; every write through courses/services.py."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from courses import services
from courses.models import CompetitorPrice, Course, Discount, Level, PriceTier
from tests.factories import CourseFactory, DiscountFactory, PriceTierFactory

pytestmark = pytest.mark.django_db


# --- services ---------------------------------------------------------------------------


def test_new_slug_is_ascii_pinyin_of_a_chinese_title(creator):
    course = services.course_save(
        owner=creator, title="Python 爬虫实战", slug="", level=Level.BEGINNER
    )
    assert course.slug == "python-pa-chong-shi-zhan"
    assert course.slug.isascii()


def test_suggested_slug_is_unique_per_creator(creator, other_creator):
    services.course_save(owner=creator, title="爬虫", slug="", level=Level.BEGINNER)
    second = services.course_save(owner=creator, title="爬虫", slug="", level=Level.BEGINNER)
    elsewhere = services.course_save(
        owner=other_creator, title="爬虫", slug="", level=Level.BEGINNER
    )
    assert second.slug == "pa-chong-2"
    assert elsewhere.slug == "pa-chong"


def test_a_taken_or_non_ascii_slug_is_refused_on_the_slug(creator):
    CourseFactory(owner=creator, slug="taken")
    with pytest.raises(ValidationError) as taken:
        services.course_save(owner=creator, title="A", slug="taken", level=Level.BEGINNER)
    assert taken.value.message_dict == {"slug": [str(services.SLUG_TAKEN)]}
    with pytest.raises(ValidationError) as unicode:
        services.course_save(owner=creator, title="A", slug="爬虫", level=Level.BEGINNER)
    assert unicode.value.message_dict == {"slug": [str(services.SLUG_NOT_ASCII)]}


def test_an_existing_unicode_slug_stays_when_the_course_is_edited(creator):
    course = CourseFactory(owner=creator, slug="python-爬虫实战")
    services.course_save(
        owner=creator,
        course=course,
        title="New title",
        slug="python-爬虫实战",
        level=Level.ADVANCED,
        audience_tags=["developers", " students ", "developers"],
    )
    course.refresh_from_db()
    assert course.slug == "python-爬虫实战"
    assert course.title == "New title"
    assert course.audience_tags == ["developers", "students"]


def test_tier_names_are_unique_per_course(creator):
    course = CourseFactory(owner=creator)
    services.course_tier_save(course=course, name="Basic", level=Level.BEGINNER, list_price=99)
    with pytest.raises(ValidationError) as error:
        services.course_tier_save(course=course, name="Basic", level=Level.ADVANCED, list_price=9)
    assert "name" in error.value.message_dict


def test_a_discount_only_takes_this_courses_tiers(creator):
    course = CourseFactory(owner=creator)
    foreign = PriceTierFactory(course=CourseFactory(owner=creator))
    now = timezone.now()
    with pytest.raises(ValidationError) as error:
        services.course_discount_add(
            course=course,
            name="Early bird",
            kind=Discount.Kind.PERCENT,
            value=Decimal(10),
            starts_at=now,
            ends_at=now + timedelta(days=3),
            tier=foreign,
        )
    assert error.value.message_dict == {"tier": [str(services.TIER_OF_ANOTHER_COURSE)]}


def test_a_discount_must_end_after_it_starts(creator):
    course = CourseFactory(owner=creator)
    now = timezone.now()
    with pytest.raises(ValidationError) as error:
        services.course_discount_add(
            course=course,
            name="Backwards",
            kind=Discount.Kind.FIXED,
            value=Decimal(10),
            starts_at=now,
            ends_at=now - timedelta(days=1),
        )
    assert "ends_at" in error.value.message_dict


# --- pages ------------------------------------------------------------------------------


def test_new_course_page_creates_and_goes_to_the_workspace(creator_client, creator):
    assert creator_client.get("/courses/new/").status_code == 200
    response = creator_client.post(
        "/courses/new/",
        {
            "title": "Python 爬虫实战",
            "slug": "",
            "topic": "Python",
            "level": "beginner",
            "audience_tags": "developers, students",
            "sales_page_url": "https://shop.example.com/p",
        },
    )
    course = Course.objects.get(owner=creator)
    assert response.status_code == 302
    assert response["Location"] == f"/courses/{course.id}/edit/"
    assert course.slug == "python-pa-chong-shi-zhan"
    assert course.audience_tags == ["developers", "students"]
    page = creator_client.get(response["Location"])
    assert "Course created" in page.content.decode()


def test_a_service_error_shows_on_the_field(creator_client, creator):
    CourseFactory(owner=creator, slug="taken")
    response = creator_client.post(
        "/courses/new/", {"title": "A", "slug": "taken", "level": "beginner"}
    )
    assert response.status_code == 422
    assert response.context["form"].errors["slug"] == [str(services.SLUG_TAKEN)]


def test_edit_saves_and_returns_to_the_course_page(creator_client, creator):
    course = CourseFactory(owner=creator)
    assert creator_client.get(f"/courses/{course.id}/edit/").status_code == 200
    response = creator_client.post(
        f"/courses/{course.id}/edit/",
        {"title": "Renamed", "slug": course.slug, "level": "advanced", "audience_tags": "a"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/courses/{course.id}/"
    course.refresh_from_db()
    assert (course.title, course.level, course.audience_tags) == ("Renamed", "advanced", ["a"])
    assert "Course saved." in creator_client.get(response["Location"]).content.decode()


def test_tiers_add_edit_delete_and_out_of_order_warning(creator_client, creator):
    course = CourseFactory(owner=creator)
    base = f"/courses/{course.id}"
    creator_client.post(
        f"{base}/tiers/new/",
        {"tier-new-name": "Pro", "tier-new-level": "advanced", "tier-new-list_price": "99"},
    )
    creator_client.post(
        f"{base}/tiers/new/",
        {"tier-new-name": "Basic", "tier-new-level": "beginner", "tier-new-list_price": "199"},
    )
    assert course.tiers.count() == 2
    page = creator_client.get(f"{base}/edit/").content.decode()
    assert "higher levels should not be cheaper" in page
    pro = course.tiers.get(name="Pro")
    prefix = f"tier-{pro.id}"
    response = creator_client.post(
        f"{base}/tiers/{pro.id}/",
        {f"{prefix}-name": "Pro", f"{prefix}-level": "advanced", f"{prefix}-list_price": "299"},
    )
    assert response.status_code == 302
    pro.refresh_from_db()
    assert pro.list_price == Decimal("299")
    assert creator_client.get(f"{base}/edit/").context["out_of_order"] == []
    creator_client.post(f"{base}/tiers/{pro.id}/delete/")
    assert list(course.tiers.values_list("name", flat=True)) == ["Basic"]


def test_a_duplicate_tier_name_shows_on_the_name_field(creator_client, creator):
    course = CourseFactory(owner=creator)
    PriceTierFactory(course=course, name="Basic")
    response = creator_client.post(
        f"/courses/{course.id}/tiers/new/",
        {"tier-new-name": "Basic", "tier-new-level": "beginner", "tier-new-list_price": "1"},
    )
    assert response.status_code == 422
    assert "name" in response.context["tier_form"].errors


def test_discount_form_offers_only_this_courses_tiers_and_shows_the_timeline(
    creator_client, creator
):
    course = CourseFactory(owner=creator)
    tier = PriceTierFactory(course=course, name="Basic")
    other = PriceTierFactory(course=CourseFactory(owner=creator), name="Elsewhere")
    page = creator_client.get(f"/courses/{course.id}/edit/")
    assert list(page.context["discount_form"].fields["tier"].queryset) == [tier]
    now = timezone.localtime()
    data = {
        "name": "Launch week",
        "kind": "percent",
        "value": "20",
        "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
        "code": "LAUNCH",
        "max_redemptions": "50",
    }
    refused = creator_client.post(
        f"/courses/{course.id}/discounts/new/", {**data, "tier": other.id}
    )
    assert refused.status_code == 422 and "tier" in refused.context["discount_form"].errors
    response = creator_client.post(
        f"/courses/{course.id}/discounts/new/", {**data, "tier": tier.id}
    )
    assert response.status_code == 302
    discount = course.discounts.get()
    assert (discount.tier, discount.code, discount.max_redemptions) == (tier, "LAUNCH", 50)
    page = creator_client.get(f"/courses/{course.id}/edit/")
    assert [bar.discount for bar in page.context["timeline"].bars] == [discount]
    creator_client.post(f"/courses/{course.id}/discounts/{discount.id}/delete/")
    assert not course.discounts.exists()


def test_competitor_prices_add_and_delete(creator_client, creator):
    course = CourseFactory(owner=creator)
    response = creator_client.post(
        f"/courses/{course.id}/competitors/new/",
        {
            "competitor": "Rival",
            "price": "129",
            "url": "https://rival.example.com",
            "observed_on": "2026-11-30",
        },
    )
    assert response.status_code == 302
    row = course.competitor_prices.get()
    assert (row.competitor, row.price, str(row.observed_on)) == (
        "Rival",
        Decimal("129"),
        "2026-11-30",
    )
    creator_client.post(f"/courses/{course.id}/competitors/{row.id}/delete/")
    assert not CompetitorPrice.objects.exists()


def test_list_and_course_page_link_to_the_workspace_not_the_admin(creator_client, creator):
    course = CourseFactory(owner=creator)
    listing = creator_client.get("/courses/").content.decode()
    assert 'href="/courses/new/"' in listing and "/admin/courses/course/add/" not in listing
    detail = creator_client.get(f"/courses/{course.id}/").content.decode()
    assert f'href="/courses/{course.id}/edit/"' in detail
    assert f"/admin/courses/course/{course.id}/change/" in detail  # "Open in admin" stays


def test_another_creators_rows_are_404_and_unchanged(client, creator, other_creator):
    course = CourseFactory(owner=creator, title="Mine")
    tier = PriceTierFactory(course=course, name="Basic", list_price=Decimal(10))
    discount = DiscountFactory(course=course)
    competitor = CompetitorPrice.objects.create(course=course, competitor="R", price=1)
    client.force_login(other_creator)
    base = f"/courses/{course.id}"
    gets = [f"{base}/edit/"]
    posts = [
        f"{base}/edit/",
        f"{base}/tiers/new/",
        f"{base}/tiers/{tier.id}/",
        f"{base}/tiers/{tier.id}/delete/",
        f"{base}/discounts/new/",
        f"{base}/discounts/{discount.id}/delete/",
        f"{base}/competitors/new/",
        f"{base}/competitors/{competitor.id}/delete/",
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url in posts:
        assert client.post(url, {"title": "Theirs", "level": "beginner"}).status_code == 404, url
    # Their own course with my tier/discount ids is a 404 too.
    theirs = CourseFactory(owner=other_creator)
    assert client.post(f"/courses/{theirs.id}/tiers/{tier.id}/delete/").status_code == 404
    assert client.post(f"/courses/{theirs.id}/discounts/{discount.id}/delete/").status_code == 404
    course.refresh_from_db()
    assert course.title == "Mine"
    assert PriceTier.objects.filter(pk=tier.pk).exists()
    assert Discount.objects.filter(pk=discount.pk).exists()
    assert CompetitorPrice.objects.filter(pk=competitor.pk).exists()


def test_workspace_pages_need_login(client, creator):
    course = CourseFactory(owner=creator)
    for url in ("/courses/new/", f"/courses/{course.id}/edit/"):
        assert client.get(url).status_code == 302
