"""Course pages: pricing, competitor band, platform ranking and the stored forecast."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.htmx import render_page
from core.panels import panels_context

from . import pricing, selectors, services
from .forms import CompetitorPriceForm, CourseForm, DiscountForm, TierForm
from .models import CompetitorPrice, Course, Discount, PriceTier


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


def _edit_page(request, course: Course, status: int = 200, **forms):
    tiers = list(course.tiers.order_by("list_price", "name"))
    flagged = pricing.tiers_out_of_order(tiers)
    discounts = list(course.discounts.select_related("tier").order_by("starts_at"))
    context = {
        "course": course,
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
            (
                tier,
                forms.get(f"tier_{tier.pk}")
                or TierForm(
                    initial={"name": tier.name, "level": tier.level, "list_price": tier.list_price},
                    prefix=f"tier-{tier.pk}",
                ),
            )
            for tier in tiers
        ],
        "out_of_order": flagged,
        "tier_form": forms.get("tier_form") or TierForm(prefix="tier-new"),
        "discounts": discounts,
        "timeline": selectors.discount_timeline(discounts=discounts, now=timezone.now()),
        "discount_form": forms.get("discount_form") or DiscountForm(course=course),
        "competitor_prices": course.competitor_prices.order_by("-observed_on", "competitor"),
        "competitor_form": forms.get("competitor_form") or CompetitorPriceForm(),
    }
    return render(request, "courses/edit.html", context, status=status)


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


def _back(request, course: Course, message: str):
    messages.success(request, message)
    return redirect("courses:edit", course_id=course.id)


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
            return _back(request, course, _("Tier added."))
    return _edit_page(request, course, status=422, tier_form=form)


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
            return _back(request, course, _("Tier saved."))
    return _edit_page(request, course, status=422, **{f"tier_{tier.pk}": form})


@login_required
@require_POST
def tier_delete(request, course_id: int, tier_id: int):
    course = _course(request, course_id)
    tier = get_object_or_404(PriceTier, course=course, pk=tier_id)
    services.course_row_delete(row=tier)
    return _back(request, course, _("Tier deleted."))


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
            return _back(request, course, _("Discount added."))
    return _edit_page(request, course, status=422, discount_form=form)


@login_required
@require_POST
def discount_delete(request, course_id: int, discount_id: int):
    course = _course(request, course_id)
    discount = get_object_or_404(Discount, course=course, pk=discount_id)
    services.course_row_delete(row=discount)
    return _back(request, course, _("Discount deleted."))


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
            return _back(request, course, _("Competitor price added."))
    return _edit_page(request, course, status=422, competitor_form=form)


@login_required
@require_POST
def competitor_delete(request, course_id: int, price_id: int):
    course = _course(request, course_id)
    row = get_object_or_404(CompetitorPrice, course=course, pk=price_id)
    services.course_row_delete(row=row)
    return _back(request, course, _("Competitor price deleted."))
