"""Admin authorization matrix: one creator never sees, finds, picks or changes another's rows.

The matrix is generated from ``admin.site._registry``: every registered model that names an
``OWNER_PATH`` is covered, so a model registered tomorrow is checked without touching this file.
Creator A (alice) owns the rows under attack; creator B (bob) is logged in and attacks them.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import owner_path
from core.services import CREATOR_APPS
from courses.models import Course, PriceTier
from tests.factories import (
    CampaignFactory,
    CompetitorPriceFactory,
    CourseFactory,
    DiscountFactory,
    InteractionTacticFactory,
    LiveSessionFactory,
    PriceTierFactory,
    SaleFactory,
    ScheduledPostFactory,
    VideoDailyStatFactory,
    VideoFactory,
    owned_row,
    platform,
)
from videos.models import Video

SHARED_MODELS = {"videos.Platform"}
# session, user, user perms, group perms, platform filter, 2 counts (filtered, total), rows,
# date hierarchy (range, days), production-level filter: none of them per row.
VIDEO_CHANGELIST_QUERIES = 11
OWNED_MODELS = sorted(
    (model for model in admin.site._registry if owner_path(model)),
    key=lambda model: model._meta.label,
)
SEARCHABLE_MODELS = [m for m in OWNED_MODELS if admin.site._registry[m].search_fields]
AUTOCOMPLETE_FIELDS = sorted(
    (model._meta.app_label, model._meta.model_name, field)
    for model, model_admin in admin.site._registry.items()
    for field in model_admin.autocomplete_fields
)
# Every (model, field) whose field points at another creator-owned model.
OWNED_RELATIONS = [
    (model, field.name)
    for model in OWNED_MODELS
    for field in model._meta.concrete_fields
    if field.is_relation and field.editable and owner_path(field.related_model)
]


def _ids(models):
    return [m._meta.label for m in models]


# --- helpers -------------------------------------------------------------------------------


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _admin_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _can(user, model, action: str) -> bool:
    model_admin = admin.site._registry[model]
    return getattr(model_admin, f"has_{action}_permission")(_admin_request(user))


def _snapshot(obj) -> dict | None:
    """Every stored value of a row (None once it is gone), to prove a request changed nothing."""
    model = type(obj)
    fresh = model._base_manager.filter(pk=obj.pk).first()
    if fresh is None:
        return None
    values = {f.attname: getattr(fresh, f.attname) for f in model._meta.concrete_fields}
    for field in model._meta.many_to_many:
        values[field.name] = sorted(getattr(fresh, field.name).values_list("pk", flat=True))
    return values


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, date):  # datetimes too; admin splits those into date and time
        return value.isoformat()
    return str(value)


def _form_data(form) -> dict:
    """What a browser would post back for an unbound admin form as rendered."""
    data = {}
    for name, field in form.fields.items():
        bound = form[name]
        value = bound.value()
        widget = field.widget
        if isinstance(widget, RelatedFieldWidgetWrapper):
            widget = widget.widget
        if isinstance(widget, forms.MultiWidget):
            for suffix, part in zip(widget.widgets_names, widget.decompress(value), strict=True):
                data[bound.html_name + suffix] = _text(part)
        elif isinstance(field, forms.BooleanField):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [_text(v) for v in value]
        else:
            data[bound.html_name] = _text(value)
    return data


def _page_data(response) -> dict:
    """The main form's data plus empty management forms for every inline."""
    data = _form_data(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    return data


def _mutate(form, data: dict) -> str:
    """Change one plain editable value in ``data``; returns the field name it changed."""
    for name, field in form.fields.items():
        if type(field) is forms.CharField and not field.disabled:
            data[name] = (data.get(name) or "") + " (edited)"
            return name
    for name, field in form.fields.items():
        if isinstance(field, forms.IntegerField | forms.FloatField | forms.DecimalField):
            data[name] = str(Decimal(data[name]) + 1)
            return name
    for name, field in form.fields.items():
        if isinstance(field, forms.BooleanField) and not field.disabled:
            if data.pop(name, None) is None:
                data[name] = "on"
            return name
    raise AssertionError(f"nothing editable in {form.__class__.__name__}")


def _choice_fields(response):
    """(label, name, field) for every model-choice field of the main form and the inlines."""
    forms_ = [("form", response.context["adminform"].form, None)]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        # An inline form's hidden pk field is Django's own: it renders only the row's own pk,
        # and a posted foreign pk never edits that row (test_inline_post_cannot_edit_...).
        pk_name = formset.model._meta.pk.name
        forms_.append((f"{formset.prefix}-empty", formset.empty_form, pk_name))
        forms_ += [(f"{formset.prefix}-{i}", f, pk_name) for i, f in enumerate(formset.forms)]
    for label, form, skip in forms_:
        for name, field in form.fields.items():
            if name != skip and isinstance(
                field, forms.ModelChoiceField | forms.ModelMultipleChoiceField
            ):
                yield f"{label}.{name}", name, field


def _result_pks(response) -> set:
    return {obj.pk for obj in response.context["cl"].result_list}


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", "root")


@pytest.fixture
def rows(creator, other_creator):
    """One row of every owned model for each creator: {model: (A's row, B's row)}."""
    return {
        model: (owned_row(model, creator), owned_row(model, other_creator))
        for model in OWNED_MODELS
    }


@pytest.fixture
def b_client(client, other_creator):
    client.force_login(other_creator)
    return client


# --- coverage of the matrix itself ---------------------------------------------------------


def test_every_creator_app_model_in_the_admin_is_owned():
    unowned = [
        model._meta.label
        for model in admin.site._registry
        if model._meta.app_label in CREATOR_APPS
        and owner_path(model) is None
        and model._meta.label not in SHARED_MODELS
    ]
    assert unowned == []
    assert len(OWNED_MODELS) >= 15


def test_the_matrix_covers_the_named_relations():
    relations = {(m._meta.label, f) for m, f in OWNED_RELATIONS}
    assert {
        ("videos.Video", "course"),
        ("courses.Sale", "course"),
        ("courses.Sale", "source_video"),
        ("campaigns.ScheduledPost", "campaign"),
        ("campaigns.ScheduledPost", "video"),
        ("campaigns.Campaign", "course"),
    } <= relations
    assert ("courses", "sale", "source_video") in AUTOCOMPLETE_FIELDS


# --- the matrix ----------------------------------------------------------------------------


@pytest.mark.parametrize("model", OWNED_MODELS, ids=_ids(OWNED_MODELS))
def test_changelist_lists_only_own_rows(model, rows, b_client, other_creator):
    a_row, b_row = rows[model]
    response = b_client.get(_url(model, "changelist"))
    assert response.status_code == 200
    listed = _result_pks(response)
    assert a_row.pk not in listed
    assert b_row.pk in listed
    assert listed <= set(model.objects.owned_by(other_creator).values_list("pk", flat=True))
    # Sidebar filters over owned models must not offer the other creator's rows either.
    for spec in response.context["cl"].filter_specs:
        related = getattr(getattr(spec, "field", None), "related_model", None)
        if related is not None and owner_path(related):
            offered = {pk for pk, _label in spec.lookup_choices}
            assert offered <= set(
                related.objects.owned_by(other_creator).values_list("pk", flat=True)
            )


@pytest.mark.parametrize("model", OWNED_MODELS, ids=_ids(OWNED_MODELS))
def test_superuser_sees_both_creators_rows(model, rows, client, superuser):
    a_row, b_row = rows[model]
    client.force_login(superuser)
    listed = _result_pks(client.get(_url(model, "changelist")))
    assert {a_row.pk, b_row.pk} <= listed


@pytest.mark.parametrize("model", OWNED_MODELS, ids=_ids(OWNED_MODELS))
@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_other_creators_row_pages_redirect_or_404(model, view, rows, b_client, other_creator):
    a_row, b_row = rows[model]
    # Read-only rows (results) have no delete page for any creator: 403 before any lookup.
    allowed = view != "delete" or _can(other_creator, model, "delete")
    response = b_client.get(_url(model, view, a_row.pk))
    assert response.status_code in ((302, 404) if allowed else (403,))
    if response.status_code == 302:
        assert response.url == reverse("admin:index")
    # The same page of B's own row opens: the redirect is about ownership, not the view.
    own = b_client.get(_url(model, view, b_row.pk))
    assert own.status_code == (200 if allowed else 403)


@pytest.mark.parametrize("model", OWNED_MODELS, ids=_ids(OWNED_MODELS))
def test_post_to_other_creators_change_page_changes_nothing(
    model, rows, client, creator, other_creator
):
    a_row, _ = rows[model]
    # The form exactly as its owner A sees it, with one value edited.
    client.force_login(creator)
    page = client.get(_url(model, "change", a_row.pk))
    assert page.status_code == 200
    data = _page_data(page)
    form = page.context["adminform"].form
    owner_can_change = _can(creator, model, "change")
    if owner_can_change:
        _mutate(form, data)
    before = _snapshot(a_row)

    client.force_login(other_creator)
    response = client.post(_url(model, "change", a_row.pk), data)
    expected = (302, 404) if _can(other_creator, model, "change") else (403,)
    assert response.status_code in expected
    assert _snapshot(a_row) == before

    if owner_can_change:
        # Control: the very same POST by the owner does change the row.
        client.force_login(creator)
        response = client.post(_url(model, "change", a_row.pk), data)
        assert response.status_code == 302, response.context["adminform"].form.errors
        assert _snapshot(a_row) != before


@pytest.mark.parametrize("model", OWNED_MODELS, ids=_ids(OWNED_MODELS))
def test_post_to_other_creators_delete_page_deletes_nothing(
    model, rows, client, creator, other_creator
):
    a_row, _ = rows[model]
    before = _snapshot(a_row)
    client.force_login(other_creator)
    response = client.post(_url(model, "delete", a_row.pk), {"post": "yes"})
    expected = (302, 404) if _can(other_creator, model, "delete") else (403,)
    assert response.status_code in expected
    assert _snapshot(a_row) == before

    if _can(creator, model, "delete"):
        client.force_login(creator)
        client.post(_url(model, "delete", a_row.pk), {"post": "yes"})
        assert _snapshot(a_row) is None


@pytest.mark.parametrize("model", OWNED_MODELS, ids=_ids(OWNED_MODELS))
def test_bulk_delete_action_skips_other_creators_rows(model, rows, b_client, other_creator):
    a_row, b_row = rows[model]
    before = _snapshot(a_row)
    b_client.post(
        _url(model, "changelist"),
        {"action": "delete_selected", "_selected_action": [a_row.pk, b_row.pk], "post": "yes"},
    )
    assert _snapshot(a_row) == before
    if _can(other_creator, model, "delete"):
        # The action did run: B's own selected row is gone.
        assert _snapshot(b_row) is None


def _search_term(model, row) -> str:
    for lookup in admin.site._registry[model].search_fields:
        value = row
        for part in lookup.lstrip("^=@").split("__"):
            value = getattr(value, part, None)
        if value:
            return str(value)
    raise AssertionError(f"{model._meta.label}: no searchable value on the row")


@pytest.mark.parametrize("model", SEARCHABLE_MODELS, ids=_ids(SEARCHABLE_MODELS))
def test_search_for_other_creators_row_finds_nothing_of_theirs(
    model, rows, client, superuser, other_creator
):
    a_row, _ = rows[model]
    term = _search_term(model, a_row)
    client.force_login(other_creator)
    found = _result_pks(client.get(_url(model, "changelist"), {"q": term}))
    assert a_row.pk not in found
    assert found <= set(model.objects.owned_by(other_creator).values_list("pk", flat=True))
    # Control: the term does find A's row for someone allowed to see it.
    client.force_login(superuser)
    assert a_row.pk in _result_pks(client.get(_url(model, "changelist"), {"q": term}))


@pytest.mark.parametrize("model", OWNED_MODELS, ids=_ids(OWNED_MODELS))
@pytest.mark.parametrize("view", ["add", "change"])
def test_form_choices_offer_only_own_rows(model, view, rows, b_client, creator, other_creator):
    _, b_row = rows[model]
    args = (b_row.pk,) if view == "change" else ()
    response = b_client.get(_url(model, view, *args))
    if not _can(other_creator, model, view):
        # Results and other read-only rows: no add form at all, a change page without inputs.
        if view == "add":
            assert response.status_code == 403
        else:
            assert response.status_code == 200
            assert not list(_choice_fields(response))
        return
    assert response.status_code == 200
    checked = set()
    for label, name, field in _choice_fields(response):
        related = field.queryset.model
        if owner_path(related) is None:
            continue
        offered = set(field.queryset.values_list("pk", flat=True))
        theirs = set(related.objects.owned_by(creator).values_list("pk", flat=True))
        mine = set(related.objects.owned_by(other_creator).values_list("pk", flat=True))
        assert theirs, f"{label}: A has no {related._meta.label} row, the check would be empty"
        assert offered == mine, label
        checked.add(name)
    # No relation to an owned model in the form escaped the check (a text input, say).
    form_fields = set(response.context["adminform"].form.fields)
    assert {name for m, name in OWNED_RELATIONS if m is model} & form_fields <= checked
    assert "owner" not in response.context["adminform"].form.fields


@pytest.mark.parametrize(
    ("model", "field_name"),
    OWNED_RELATIONS,
    ids=[f"{m._meta.label}.{f}" for m, f in OWNED_RELATIONS],
)
def test_add_with_other_creators_related_row_is_rejected(
    model, field_name, rows, client, creator, other_creator
):
    related = model._meta.get_field(field_name).related_model
    theirs = related.objects.owned_by(creator).first()
    mine = related.objects.owned_by(other_creator).first()
    _, b_row = rows[model]
    client.force_login(other_creator)
    page = client.get(_url(model, "change", b_row.pk))
    data = _page_data(page) if "adminform" in page.context else {}
    count = model.objects.count()

    response = client.post(_url(model, "add"), {**data, field_name: str(theirs.pk)})
    assert model.objects.count() == count
    if not _can(other_creator, model, "add"):
        assert response.status_code == 403
        return
    assert response.status_code == 200
    codes = [e.code for e in response.context["adminform"].form.errors.as_data()[field_name]]
    assert "invalid_choice" in codes

    # Control: B's own row in the same field is a valid choice.
    response = client.post(_url(model, "add"), {**data, field_name: str(mine.pk)})
    if response.status_code == 200:
        errors = response.context["adminform"].form.errors.as_data().get(field_name, [])
        assert "invalid_choice" not in [e.code for e in errors]
    else:
        assert response.status_code == 302


# --- named cases ---------------------------------------------------------------------------


def _video_add_data(course, title: str) -> dict:
    return {
        "title": title,
        "course": str(course.pk),
        "platform": str(platform("douyin").pk),
        "platform_video_id": "",
        "status": "idea",
        "length_seconds": "60",
        "production_level": "3",
        "usefulness": "3",
        "daily_stats-TOTAL_FORMS": "0",
        "daily_stats-INITIAL_FORMS": "0",
        "daily_stats-MIN_NUM_FORMS": "0",
        "daily_stats-MAX_NUM_FORMS": "0",
    }


def test_video_add_with_other_creators_course_is_rejected(client, creator, other_creator):
    a_course = CourseFactory(owner=creator)
    b_course = CourseFactory(owner=other_creator)
    client.force_login(other_creator)

    response = client.post(_url(Video, "add"), _video_add_data(a_course, "Stolen"))
    assert response.status_code == 200
    assert "course" in response.context["adminform"].form.errors
    assert not Video.objects.filter(title="Stolen").exists()

    response = client.post(_url(Video, "add"), _video_add_data(b_course, "Mine"))
    assert response.status_code == 302
    video = Video.objects.get(title="Mine")
    assert (video.owner, video.course) == (other_creator, b_course)


def test_creator_adding_a_course_becomes_its_owner(creator_client, creator):
    page = creator_client.get(_url(Course, "add"))
    assert "owner" not in page.context["adminform"].form.fields
    response = creator_client.post(
        _url(Course, "add"),
        {
            **_page_data(page),
            "title": "Async Python",
            "slug": "async-python",
            "level": "beginner",
            "status": "draft",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Course.objects.get(slug="async-python").owner == creator


def test_superuser_chooses_the_owner(client, superuser):
    client.force_login(superuser)
    form = client.get(_url(Course, "add")).context["adminform"].form
    assert "owner" in form.fields


@pytest.mark.parametrize(
    ("app_label", "model_name", "field_name"),
    AUTOCOMPLETE_FIELDS,
    ids=[".".join(f) for f in AUTOCOMPLETE_FIELDS],
)
def test_autocomplete_offers_only_own_rows(
    app_label, model_name, field_name, client, creator, other_creator, superuser
):
    source = apps.get_model(app_label, model_name)
    target = source._meta.get_field(field_name).related_model
    for owner in (creator, other_creator):
        for _ in range(3):
            owned_row(target, owner)
    url = reverse("admin:autocomplete")
    params = {"app_label": app_label, "model_name": model_name, "field_name": field_name}

    def offered(user, term=""):
        client.force_login(user)
        response = client.get(url, {**params, "term": term})
        assert response.status_code == 200
        return {int(item["id"]) for item in response.json()["results"]}

    mine = set(target.objects.owned_by(other_creator).values_list("pk", flat=True))
    theirs = set(target.objects.owned_by(creator).values_list("pk", flat=True))
    assert offered(other_creator) == mine
    assert theirs
    a_term = _search_term(target, target.objects.owned_by(creator).first())
    assert offered(other_creator, a_term) == set()
    assert offered(superuser) >= mine | theirs


def _course_with_children(owner):
    course = CourseFactory(owner=owner)
    PriceTierFactory.create_batch(2, course=course)
    DiscountFactory(course=course)
    CompetitorPriceFactory(course=course)
    SaleFactory(course=course)  # yesterday's: the inline shows the last 7 days
    return course


def _campaign_with_children(owner):
    campaign = CampaignFactory(owner=owner)
    ScheduledPostFactory.create_batch(2, campaign=campaign)
    LiveSessionFactory(campaign=campaign)
    InteractionTacticFactory(campaign=campaign)
    return campaign


def _video_with_children(owner):
    video = VideoFactory(owner=owner)
    today = timezone.localdate()
    for days_ago in (1, 2):  # the inline shows the last 90 days
        VideoDailyStatFactory(video=video, date=today - timedelta(days=days_ago))
    return video


@pytest.mark.parametrize(
    "make", [_course_with_children, _campaign_with_children, _video_with_children]
)
def test_inlines_show_only_own_rows(make, b_client, creator, other_creator):
    make(creator)  # A's parent and children: present in the database, absent from B's page
    b_parent = make(other_creator)
    model = type(b_parent)
    response = b_client.get(_url(model, "change", b_parent.pk))
    assert response.status_code == 200
    inlines = response.context["inline_admin_formsets"]
    assert len(inlines) == len(admin.site._registry[model].inlines)
    for inline in inlines:
        formset = inline.formset
        children = formset.model.objects
        shown = {form.instance.pk for form in formset.initial_forms}
        assert shown, formset.prefix
        assert shown == set(
            children.filter(**{formset.fk.name: b_parent}).values_list("pk", flat=True)
        )
        theirs = set(children.owned_by(creator).values_list("pk", flat=True))
        assert theirs, formset.prefix
        assert shown.isdisjoint(theirs)


def test_inline_post_cannot_edit_other_creators_tier(client, creator, other_creator):
    a_tier = PriceTierFactory(course=CourseFactory(owner=creator), name="A's tier")
    b_course = CourseFactory(owner=other_creator)
    b_tier = PriceTierFactory(course=b_course, name="B's tier")
    url = _url(Course, "change", b_course.pk)
    client.force_login(other_creator)
    data = _page_data(client.get(url))

    def edit(tier) -> dict:
        return {
            **data,
            "tiers-TOTAL_FORMS": "1",
            "tiers-INITIAL_FORMS": "1",
            "tiers-0-id": str(tier.pk),
            "tiers-0-course": str(b_course.pk),
            "tiers-0-level": "beginner",
            "tiers-0-name": "Hijacked",
            "tiers-0-list_price": "1.00",
            "tiers-0-currency": "CNY",
        }

    before = _snapshot(a_tier)
    client.post(url, edit(a_tier))
    assert _snapshot(a_tier) == before
    assert not PriceTier.objects.filter(name="Hijacked").exists()

    # Control: the same edit of B's own tier goes through.
    response = client.post(url, edit(b_tier))
    assert response.status_code == 302
    b_tier.refresh_from_db()
    assert (b_tier.name, b_tier.list_price) == ("Hijacked", Decimal("1.00"))


def _video_changelist_queries(client, owner, count: int) -> int:
    VideoFactory.create_batch(count - Video.objects.owned_by(owner).count(), owner=owner)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(_url(Video, "changelist"))
    assert len(_result_pks(response)) == count
    return len(queries)


def test_video_changelist_query_count_is_constant(
    b_client, creator, other_creator, django_assert_num_queries
):
    VideoFactory.create_batch(4, owner=creator)
    few = _video_changelist_queries(b_client, other_creator, 5)
    many = _video_changelist_queries(b_client, other_creator, 30)
    assert few == many
    with django_assert_num_queries(VIDEO_CHANGELIST_QUERIES):
        b_client.get(_url(Video, "changelist"))
