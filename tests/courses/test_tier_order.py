"""Tiers in the creator's order: new ones at the end, moved up/down (buttons that work without
JavaScript), the whole order at once (dragging), the API's writable position; the edit page's
sections answer htmx with themselves (errors in place) and plain posts with a redirect."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from courses import services
from courses.models import Level, PriceTier
from tests.api.conftest import token_client
from tests.factories import CourseFactory, PriceTierFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def names(course) -> list[str]:
    return list(
        course.tiers.order_by("position", "list_price", "pk").values_list("name", flat=True)
    )


def add(course, name, price, level=Level.BEGINNER):
    return services.course_tier_save(course=course, name=name, level=level, list_price=price)


# --- services ---------------------------------------------------------------------------


def test_new_tiers_go_to_the_end_whatever_their_price(creator):
    course = CourseFactory(owner=creator)
    add(course, "Pro", 399)
    add(course, "Basic", 99)
    add(course, "Team", 999)
    assert names(course) == ["Pro", "Basic", "Team"]
    assert list(course.tiers.values_list("position", flat=True).order_by("position")) == [0, 1, 2]


def test_move_up_and_down_stops_at_the_ends(creator):
    course = CourseFactory(owner=creator)
    basic, pro, team = add(course, "Basic", 99), add(course, "Pro", 399), add(course, "Team", 9)
    services.course_tier_move(course=course, tier=team, offset=-1)
    assert names(course) == ["Basic", "Team", "Pro"]
    services.course_tier_move(course=course, tier=basic, offset=-1)  # already first
    assert names(course) == ["Basic", "Team", "Pro"]
    services.course_tier_move(course=course, tier=basic, offset=1)
    services.course_tier_move(course=course, tier=basic, offset=1)
    services.course_tier_move(course=course, tier=basic, offset=1)  # already last
    assert names(course) == ["Team", "Pro", "Basic"]
    with pytest.raises(ValidationError):
        services.course_tier_move(course=CourseFactory(owner=creator), tier=pro, offset=1)


def test_tiers_from_before_positions_keep_their_price_order_until_moved(creator):
    course = CourseFactory(owner=creator)
    PriceTierFactory(course=course, name="Pro", list_price=Decimal(399), position=0)
    PriceTierFactory(course=course, name="Basic", list_price=Decimal(99), position=0)
    PriceTierFactory(course=course, name="Mid", list_price=Decimal(199), position=0)
    assert names(course) == ["Basic", "Mid", "Pro"]
    services.course_tier_move(course=course, tier=course.tiers.get(name="Pro"), offset=-1)
    assert names(course) == ["Basic", "Pro", "Mid"]


def test_reorder_takes_every_tier_once(creator):
    course = CourseFactory(owner=creator)
    a, b, c = add(course, "A", 1), add(course, "B", 2), add(course, "C", 3)
    services.course_tiers_reorder(course=course, tier_ids=[c.pk, a.pk, b.pk])
    assert names(course) == ["C", "A", "B"]
    foreign = PriceTierFactory(course=CourseFactory(owner=creator))
    for ids in ([c.pk, a.pk], [c.pk, a.pk, b.pk, b.pk], [c.pk, a.pk, foreign.pk]):
        with pytest.raises(ValidationError):
            services.course_tiers_reorder(course=course, tier_ids=ids)
    assert names(course) == ["C", "A", "B"]


# --- pages ------------------------------------------------------------------------------


def test_move_buttons_work_without_javascript(creator_client, creator):
    course = CourseFactory(owner=creator)
    add(course, "Basic", 99)
    pro = add(course, "Pro", 399)
    response = creator_client.post(
        f"/courses/{course.id}/tiers/{pro.id}/move/", {"direction": "up"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/courses/{course.id}/edit/#tiers"
    assert names(course) == ["Pro", "Basic"]
    page = creator_client.get(response["Location"]).content.decode()
    assert "“Pro” moved up." in page
    assert page.index(f'data-tier-id="{pro.id}"') < page.index("Basic")
    refused = creator_client.post(f"/courses/{course.id}/tiers/{pro.id}/move/", {"direction": "x"})
    assert refused.status_code == 422


def test_move_with_htmx_answers_the_tiers_section_with_the_focus_on_the_button(
    creator_client, creator, django_assert_num_queries
):
    course = CourseFactory(owner=creator)
    basic = add(course, "Basic", 99)
    add(course, "Pro", 399)
    with django_assert_num_queries(12):
        response = creator_client.post(
            f"/courses/{course.id}/tiers/{basic.id}/move/", {"direction": "down"}, **HTMX
        )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<section id="tiers-section"')
    assert "<html" not in html
    # Basic is now last: its "down" button is disabled, so the focus goes to "up".
    assert f'id="move-{basic.id}-up" data-focus' in html
    assert 'id="discount-list" hx-swap-oob="true"' in html
    assert 'id="id_tier-field" hx-swap-oob="true"' in html
    toast = json.loads(response["HX-Trigger"])["showMessage"]
    assert toast["text"] == "“Basic” moved down."
    assert names(course) == ["Pro", "Basic"]


def test_dragging_posts_the_whole_order(creator_client, creator):
    course = CourseFactory(owner=creator)
    a, b, c = add(course, "A", 1), add(course, "B", 2), add(course, "C", 3)
    url = f"/courses/{course.id}/tiers/order/"
    response = creator_client.post(url, {"order": [b.pk, c.pk, a.pk]}, **HTMX)
    assert response.status_code == 200
    assert names(course) == ["B", "C", "A"]
    stale = creator_client.post(url, {"order": [b.pk, c.pk]}, **HTMX)
    assert stale.status_code == 422 and "X-Error-Message" in stale
    assert creator_client.post(url, {"order": ["x"]}).status_code == 422
    assert names(course) == ["B", "C", "A"]


def test_another_creators_tiers_cannot_be_moved(client, creator, other_creator):
    course = CourseFactory(owner=creator)
    a, b = add(course, "A", 1), add(course, "B", 2)
    client.force_login(other_creator)
    base = f"/courses/{course.id}/tiers"
    assert client.post(f"{base}/{b.id}/move/", {"direction": "up"}).status_code == 404
    assert client.post(f"{base}/order/", {"order": [b.pk, a.pk]}).status_code == 404
    assert names(course) == ["A", "B"]


def test_the_course_page_and_the_discount_form_list_tiers_in_the_creators_order(
    creator_client, creator
):
    course = CourseFactory(owner=creator)
    add(course, "Pro", 399, Level.ADVANCED)
    add(course, "Basic", 99)
    detail = creator_client.get(f"/courses/{course.id}/").content.decode()
    assert detail.index("Pro") < detail.index("Basic")
    edit = creator_client.get(f"/courses/{course.id}/edit/")
    assert [t.name for t in edit.context["discount_form"].fields["tier"].queryset] == [
        "Pro",
        "Basic",
    ]


def test_edit_page_query_count(creator_client, creator, django_assert_num_queries):
    course = CourseFactory(owner=creator)
    for i in range(5):
        add(course, f"T{i}", i)
    with django_assert_num_queries(7):
        assert creator_client.get(f"/courses/{course.id}/edit/").status_code == 200


def test_a_refused_tier_comes_back_with_its_errors_in_the_section(creator_client, creator):
    course = CourseFactory(owner=creator)
    add(course, "Basic", 99)
    response = creator_client.post(
        f"/courses/{course.id}/tiers/new/",
        {"tier-new-name": "Basic", "tier-new-level": "beginner", "tier-new-list_price": "-1"},
        **HTMX,
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert html.startswith('<section id="tiers-section"')
    assert 'data-testid="tier-new" data-focus' in html
    assert html.count('class="errorlist') == 1  # the price; the name clash waits for a valid form
    assert 'aria-invalid="true"' in html
    assert "HX-Trigger" not in response


def test_added_tier_and_discount_come_back_as_their_sections(creator_client, creator):
    course = CourseFactory(owner=creator)
    response = creator_client.post(
        f"/courses/{course.id}/tiers/new/",
        {"tier-new-name": "Pro", "tier-new-level": "advanced", "tier-new-list_price": "399"},
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="tier-row"' in html and "Pro (¥399.00)" in html  # the OOB tier list
    assert json.loads(response["HX-Trigger"])["showMessage"]["text"] == "Tier added."
    tier = course.tiers.get()
    now = timezone.localtime()
    response = creator_client.post(
        f"/courses/{course.id}/discounts/new/",
        {
            "name": "Launch",
            "kind": "percent",
            "value": "20",
            "tier": tier.pk,
            "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        },
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<section id="discounts-section"') and "Launch" in html
    assert course.discounts.count() == 1
    response = creator_client.post(
        f"/courses/{course.id}/competitors/new/", {"competitor": "Rival", "price": "x"}, **HTMX
    )
    assert response.status_code == 422
    assert response.content.decode().startswith('<section id="competitors-section"')


# --- API --------------------------------------------------------------------------------


def test_api_position_is_writable_and_new_tiers_go_last(creator):
    api = token_client(creator)
    course = CourseFactory(owner=creator)
    ids = []
    for name, price in (("Pro", "399"), ("Basic", "99"), ("Team", "999")):
        response = api.post(
            "/api/v1/price-tiers/",
            {"course": course.pk, "name": name, "level": "beginner", "list_price": price},
        )
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])
    assert [r.json()["position"] for r in [api.get(f"/api/v1/price-tiers/{i}/") for i in ids]] == [
        0,
        1,
        2,
    ]
    response = api.patch(f"/api/v1/price-tiers/{ids[2]}/", {"position": 0})
    assert response.status_code == 200 and response.json()["position"] == 0
    listed = api.get("/api/v1/price-tiers/", {"course": course.pk}).json()["results"]
    assert [(t["name"], t["position"]) for t in listed] == [("Team", 0), ("Pro", 1), ("Basic", 2)]
    inserted = api.post(
        "/api/v1/price-tiers/",
        {"course": course.pk, "name": "Mid", "level": "beginner", "list_price": "1", "position": 1},
    )
    assert inserted.json()["position"] == 1
    assert names(course) == ["Team", "Mid", "Pro", "Basic"]
    assert api.patch(f"/api/v1/price-tiers/{ids[0]}/", {"position": -1}).status_code == 400


def test_admin_adds_a_tier_at_the_end(client, creator):
    course = CourseFactory(owner=creator)
    add(course, "Basic", 99)
    tier = PriceTier(course=course, name="Pro", list_price=Decimal(1))
    services.course_row_save(row=tier)
    assert names(course) == ["Basic", "Pro"]
