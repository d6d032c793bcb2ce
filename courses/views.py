"""Course pages: pricing, competitor band, platform ranking and the stored forecast."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from core.htmx import render_page
from core.panels import panels_context

from . import selectors
from .models import Course


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
