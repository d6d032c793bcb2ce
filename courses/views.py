"""Course pages: pricing, competitor band, platform ranking and the stored forecast."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.htmx import add_trigger, refuse, render_page, wants_fragment
from core.panels import panels_context

from . import pricing, selectors, services
from .forms import CompetitorPriceForm, CourseForm, DiscountForm, TierForm
from .models import TIER_ORDER, CompetitorPrice, Course, Discount, PriceTier


@login_required
def course_list_page(request):
    courses = selectors.course_list_page(owner=request.user)
    return render(request, "courses/list.html", {"courses": courses})


@login_required
def course_detail_page(request, course_id: int):
    try:
        page = selectors.course_page(owner=request.user, course_id=course_id, now=timezone.now())
    except Course.DoesNotExist:
        raise Http404 from None
    context = {
        "page": page,
        "course": page.course,
        # Rankings, the forecast and the funnel come from the apps that compute them.
        **panels_context("course.detail", request=request, page=page, course=page.course),
    }
    return render_page(request, "courses/detail.html", "courses/_ranking.html", context)


# --- The course workspace: create and edit a course without the admin. ---


def _course(request, course_id: int) -> Course:
    """The creator's course; another creator's id is a 404."""
    return get_object_or_404(Course.objects.owned_by(request.user), pk=course_id)


def _attach(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form fields it names."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _course_fields(form: CourseForm) -> dict:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "slug": data["slug"],
        "topic": data["topic"],
        "level": data["level"],
        "audience_tags": data["audience_tags"],
        "sales_page_url": data["sales_page_url"],
        "launch_date": data["launch_date"],
    }


@login_required
def course_new_page(request):
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            course = services.course_save(owner=request.user, **_course_fields(form))
        except ValidationError as error:
            _attach(form, error)
        else:
            messages.success(request, _("Course created. Add its price tiers next."))
            return redirect("courses:edit", course_id=course.id)
    return render(
        request,
        "courses/form.html",
        {"form": form, "course": None},
        status=422 if form.errors else 200,
    )


# Sections of the edit page: each posts on its own; with htmx only the section comes back
# (with the fields' errors in place), without JavaScript the page is posted and redirected.
SECTIONS = {
    "tiers": "courses/_tiers.html",
    "discounts": "courses/_discounts.html",
    "competitors": "courses/_competitors.html",
}


def _edit_context(request, course: Course, *, focus: str = "", **forms) -> dict:
    tiers = list(course.tiers.order_by(*TIER_ORDER))
    flagged = pricing.tiers_out_of_order(tiers)
    discounts = list(course.discounts.select_related("tier").order_by("starts_at"))
    # A tier change re-renders the discount form's tier list; keep what was chosen there.
    chosen_tier = request.POST.get("tier") if request.method == "POST" else None
    return {
        "course": course,
        "focus": focus,
        "form": forms.get("form")
        or CourseForm(
            initial={
                "title": course.title,
                "slug": course.slug,
                "topic": course.topic,
                "level": course.level,
                "audience_tags": course.audience_tags,
                "sales_page_url": course.sales_page_url,
                "launch_date": course.launch_date,
            }
        ),
        "tiers": [
            _tier_row(tier, index, len(tiers), focus, forms) for index, tier in enumerate(tiers)
        ],
        "out_of_order": flagged,
        "tier_form": forms.get("tier_form") or TierForm(prefix="tier-new"),
        "discounts": discounts,
        "timeline": selectors.discount_timeline(discounts=discounts, now=timezone.now()),
        "discount_form": forms.get("discount_form")
        or DiscountForm(course=course, initial={"tier": chosen_tier}),
        "competitor_prices": course.competitor_prices.order_by("-observed_on", "competitor"),
        "competitor_form": forms.get("competitor_form") or CompetitorPriceForm(),
    }


def _tier_row(tier: PriceTier, index: int, count: int, focus: str, forms: dict) -> dict:
    """A tier's card: its form, whether it can move up/down, and what takes the focus after a
    change (a moved tier keeps it on the button pressed, or the other one at the top/bottom)."""
    first, last = index == 0, index == count - 1
    row_focus = ""
    if focus == f"tier-{tier.pk}":
        row_focus = "form"
    elif focus.startswith(f"move-{tier.pk}-"):
        row_focus = focus.rsplit("-", 1)[1]
        if (row_focus == "up" and first) or (row_focus == "down" and last):
            row_focus = "down" if row_focus == "up" else "up"
        if first and last:
            row_focus = "form"
    form = forms.get(f"tier_{tier.pk}") or TierForm(
        initial={"name": tier.name, "level": tier.level, "list_price": tier.list_price},
        prefix=f"tier-{tier.pk}",
    )
    return {
        "tier": tier,
        "form": form,
        "number": index + 1,
        "first": first,
        "last": last,
        "focus": row_focus,
    }


def _edit_page(request, course: Course, status: int = 200, **forms):
    return render(
        request, "courses/edit.html", _edit_context(request, course, **forms), status=status
    )


def _section(
    request,
    course: Course,
    section: str,
    *,
    message: str = "",
    focus: str = "",
    status: int = 200,
    **forms,
):
    """After a change to one section: htmx gets that section back (and a toast); a plain post
    is redirected to the page (its message shown there), or gets the page with the errors."""
    if wants_fragment(request):
        context = _edit_context(request, course, focus=focus, **forms)
        context["oob"] = section == "tiers"  # the discounts name the tiers
        response = render(request, SECTIONS[section], context, status=status)
        return add_trigger(response, message=message or None)
    if status >= 400:
        return _edit_page(request, course, status=status, **forms)
    messages.success(request, message)
    return redirect(reverse("courses:edit", args=[course.id]) + f"#{section}")


@login_required
def course_edit_page(request, course_id: int):
    course = _course(request, course_id)
    if request.method != "POST":
        return _edit_page(request, course)
    form = CourseForm(request.POST)
    if form.is_valid():
        try:
            services.course_save(owner=request.user, course=course, **_course_fields(form))
        except ValidationError as error:
            _attach(form, error)
        else:
            messages.success(request, _("Course saved."))
            return redirect("courses:detail", course_id=course.id)
    return _edit_page(request, course, status=422, form=form)


@login_required
@require_POST
def tier_new(request, course_id: int):
    course = _course(request, course_id)
    form = TierForm(request.POST, prefix="tier-new")
    if form.is_valid():
        try:
            services.course_tier_save(course=course, **form.cleaned_data)
        except ValidationError as error:
            _attach(form, error)
        else:
            return _section(request, course, "tiers", message=_("Tier added."), focus="tier-new")
    return _section(request, course, "tiers", status=422, focus="tier-new", tier_form=form)


@login_required
@require_POST
def tier_edit(request, course_id: int, tier_id: int):
    course = _course(request, course_id)
    tier = get_object_or_404(PriceTier, course=course, pk=tier_id)
    form = TierForm(request.POST, prefix=f"tier-{tier.pk}")
    if form.is_valid():
        try:
            services.course_tier_save(course=course, tier=tier, **form.cleaned_data)
        except ValidationError as error:
            _attach(form, error)
        else:
            return _section(
                request, course, "tiers", message=_("Tier saved."), focus=f"tier-{tier.pk}"
            )
    return _section(
        request, course, "tiers", status=422, focus=f"tier-{tier.pk}", **{f"tier_{tier.pk}": form}
    )


@login_required
@require_POST
def tier_move(request, course_id: int, tier_id: int):
    """One place up or down (the buttons on each tier; they work without JavaScript)."""
    course = _course(request, course_id)
    tier = get_object_or_404(PriceTier, course=course, pk=tier_id)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        return _section(request, course, "tiers", status=422)
    services.course_tier_move(course=course, tier=tier, offset=-1 if direction == "up" else 1)
    message = (_("“%(name)s” moved up.") if direction == "up" else _("“%(name)s” moved down.")) % {
        "name": tier.name
    }
    return _section(request, course, "tiers", message=message, focus=f"move-{tier.pk}-{direction}")


@login_required
@require_POST
def tier_order(request, course_id: int):
    """The whole order at once (dragging a tier): ``order`` lists each tier id once."""
    course = _course(request, course_id)
    try:
        services.course_tiers_reorder(course=course, tier_ids=request.POST.getlist("order"))
    except (ValidationError, ValueError):
        if wants_fragment(request):
            return refuse(_("The tiers changed meanwhile; reload the page and try again."))
        return _section(request, course, "tiers", status=422)
    return _section(request, course, "tiers", message=_("Tier order saved."))


@login_required
@require_POST
def tier_delete(request, course_id: int, tier_id: int):
    course = _course(request, course_id)
    tier = get_object_or_404(PriceTier, course=course, pk=tier_id)
    services.course_row_delete(row=tier)
    return _section(request, course, "tiers", message=_("Tier deleted."), focus="tiers")


@login_required
@require_POST
def discount_new(request, course_id: int):
    course = _course(request, course_id)
    form = DiscountForm(request.POST, course=course)
    if form.is_valid():
        try:
            services.course_discount_add(course=course, **form.cleaned_data)
        except ValidationError as error:
            _attach(form, error)
        else:
            return _section(
                request, course, "discounts", message=_("Discount added."), focus="discount-new"
            )
    return _section(
        request, course, "discounts", status=422, focus="discount-new", discount_form=form
    )


@login_required
@require_POST
def discount_delete(request, course_id: int, discount_id: int):
    course = _course(request, course_id)
    discount = get_object_or_404(Discount, course=course, pk=discount_id)
    services.course_row_delete(row=discount)
    return _section(request, course, "discounts", message=_("Discount deleted."), focus="discounts")


@login_required
@require_POST
def competitor_new(request, course_id: int):
    course = _course(request, course_id)
    form = CompetitorPriceForm(request.POST)
    if form.is_valid():
        try:
            services.course_competitor_price_add(course=course, **form.cleaned_data)
        except ValidationError as error:
            _attach(form, error)
        else:
            return _section(
                request,
                course,
                "competitors",
                message=_("Competitor price added."),
                focus="competitor-new",
            )
    return _section(
        request, course, "competitors", status=422, focus="competitor-new", competitor_form=form
    )


@login_required
@require_POST
def competitor_delete(request, course_id: int, price_id: int):
    course = _course(request, course_id)
    row = get_object_or_404(CompetitorPrice, course=course, pk=price_id)
    services.course_row_delete(row=row)
    return _section(
        request, course, "competitors", message=_("Competitor price deleted."), focus="competitors"
    )
