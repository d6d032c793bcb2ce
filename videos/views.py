"""Video pages: the pipeline board and a video's page. Thin: selectors read, services write."""

from __future__ import annotations

import copy
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.htmx import add_trigger, refuse, render_page, trigger
from core.panels import panels_context
from courses.models import Course
from courses.selectors import course_get, course_list

from .forms import BoardFilterForm, VideoCreateForm, VideoForm
from .models import Video
from .selectors import (
    CHART_DAYS,
    DailySeries,
    board_columns,
    platform_list,
    video_daily_series,
    video_get,
    video_list,
    videos_without_course_count,
)
from .services import video_create, video_move, video_update, videos_course_assign

BOARD = "videos/board.html"
BOARD_PARTIAL = "videos/_board.html"
NEW_FORM_PARTIAL = "videos/_new_form.html"
DETAIL = "videos/detail.html"
FORM_PARTIAL = "videos/_form.html"
VIEWS_COLOUR = "#2456c9"
INTERACTIONS_COLOUR = "#d2452d"


def _filter_choices(owner) -> tuple[list, list]:
    """Platforms and the creator's courses, fetched once for the filters and the new form."""
    courses = course_list(owner=owner).prefetch_related(None).only("id", "title")
    return list(platform_list()), list(courses.order_by("title"))


def _board_context(request: HttpRequest, *, create_form: VideoCreateForm | None = None) -> dict:
    platforms, courses = _filter_choices(request.user)
    no_course = videos_without_course_count(owner=request.user)
    filter_form = BoardFilterForm(
        request.GET, platforms=platforms, courses=courses, no_course=no_course
    )
    filters = filter_form.filters()
    columns = board_columns(
        video_list(owner=request.user, **filters), expand=request.GET.get("expand")
    )
    return {
        "columns": columns,
        "total": sum(column.count for column in columns),
        "filter_form": filter_form,
        "filtered": any(filters.values()),
        "courses": courses,
        "no_course": no_course,
        "create_form": create_form
        or VideoCreateForm(owner=request.user, platforms=platforms, courses=courses),
    }


@login_required
@require_GET
def video_board_page(request: HttpRequest) -> HttpResponse:
    """The kanban board; htmx (filters, refresh after a move) gets only the board fragment."""
    htmx = request.htmx
    # A history restore after Back replaces the whole body, so it needs the whole page.
    partial = BOARD if htmx and htmx.history_restore_request else BOARD_PARTIAL
    response = render_page(request, BOARD, partial, _board_context(request))
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_POST
def video_create_page(request: HttpRequest) -> HttpResponse:
    """A new idea. htmx swaps the form (fresh or with errors) and the board refreshes."""
    form = VideoCreateForm(request.POST, owner=request.user)
    if form.is_valid():
        try:
            video = video_create(owner=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            message = _("“%(title)s” added to Ideas.") % {"title": video.title}
            if request.htmx:
                response = render(
                    request, NEW_FORM_PARTIAL, {"create_form": VideoCreateForm(owner=request.user)}
                )
                return add_trigger(response, "pipelineChanged", message=message)
            messages.success(request, message)
            return redirect("videos:board")
    if request.htmx:
        response = render(request, NEW_FORM_PARTIAL, {"create_form": form, "open": True})
        return add_trigger(response, message=_("Please correct the marked fields."), level="error")
    context = _board_context(request, create_form=form)
    context["open"] = True
    return render(request, BOARD, context)


def _back_to_board(request: HttpRequest) -> str:
    """Where a no-JavaScript move returns: the filtered board it came from, if safe."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("videos:board")


@login_required
@require_POST
def video_move_page(request: HttpRequest, video_id: int) -> HttpResponse:
    """Move a card (the select and drag-and-drop both post here).

    204 + ``pipelineChanged`` on success; 422 + ``X-Error-Message`` when refused, also firing
    ``pipelineChanged`` so the board redraws the card where it was.
    """
    video = get_object_or_404(Video.objects.owned_by(request.user), pk=video_id)
    try:
        warnings = video_move(video=video, status=request.POST.get("status", ""))
    except ValidationError as error:
        message = " ".join(error.messages)
        if request.htmx:
            return refuse(message, events="pipelineChanged")
        messages.error(request, message)
        return redirect(_back_to_board(request))
    message = _("“%(title)s” is now in %(status)s.") % {
        "title": video.title,
        "status": video.get_status_display(),
    }
    level = "warning" if warnings else "success"
    message = " ".join([message, *warnings])
    if request.htmx:
        return trigger("pipelineChanged", message=message, level=level)
    messages.add_message(request, messages.WARNING if warnings else messages.SUCCESS, message)
    return redirect(_back_to_board(request))


def _chart_spec(series: DailySeries) -> dict:
    """Chart.js config for app.js: views on the left axis, interactions on the right (they
    are one to two orders of magnitude smaller and would lie flat on a shared axis)."""
    views, interactions = _("Views"), _("Interactions")
    common = {"tension": 0.25, "pointRadius": 0, "borderWidth": 2, "spanGaps": False}
    return {
        "type": "line",
        "labels": [date_format(day, "MONTH_DAY_FORMAT") for day in series.days],
        "datasets": [
            {
                "label": views,
                "data": series.views,
                "yAxisID": "y",
                "borderColor": VIEWS_COLOUR,
                "backgroundColor": VIEWS_COLOUR + "22",
                "fill": True,
                **common,
            },
            {
                "label": interactions,
                "data": series.interactions,
                "yAxisID": "y1",
                "borderColor": INTERACTIONS_COLOUR,
                "backgroundColor": INTERACTIONS_COLOUR,
                **common,
            },
        ],
        "options": {
            "locale": translation.get_language() or "en",
            "scales": {
                "x": {"ticks": {"maxTicksLimit": 10, "maxRotation": 0}},
                "y": {"beginAtZero": True, "title": {"display": True, "text": views}},
                "y1": {
                    "beginAtZero": True,
                    "position": "right",
                    "grid": {"drawOnChartArea": False},
                    "title": {"display": True, "text": interactions},
                },
            },
        },
    }


def _detail_context(video: Video, form: VideoForm, *, owner) -> dict:
    series = video_daily_series(video=video)
    return {
        "video": video,
        "form": form,
        "series": series,
        "chart_days": CHART_DAYS,
        "courses": course_list(owner=owner)
        .prefetch_related(None)
        .only("id", "title")
        .order_by("title"),
        "chart_json": json.dumps(_chart_spec(series), ensure_ascii=False)
        if not series.is_empty
        else "",
        # Stored metrics and the tracking link come from the apps that compute them.
        **panels_context("video.detail", owner=owner, video=video),
    }


@login_required
@require_http_methods(["GET", "POST"])
def video_detail_page(request: HttpRequest, video_id: int) -> HttpResponse:
    """A video's page: its edit form, daily chart and stored metrics.

    An htmx save swaps the form (with inline errors, or fresh plus a toast) and the header
    out of band; without JavaScript the form posts and redirects as usual.
    """
    try:
        video = video_get(owner=request.user, video_id=video_id)
    except Video.DoesNotExist as missing:
        raise Http404 from missing
    if request.method == "GET":
        return render(
            request, DETAIL, _detail_context(video, VideoForm(instance=video), owner=request.user)
        )

    # The form validates a copy: the service compares the stored values with the new ones.
    form = VideoForm(request.POST, instance=copy.copy(video))
    if form.is_valid():
        try:
            video_update(video=video, data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if request.htmx:
                context = {"form": VideoForm(instance=video), "video": video, "oob": True}
                response = render(request, FORM_PARTIAL, context)
                return add_trigger(response, "videoSaved", message=_("Video saved."))
            messages.success(request, _("Video saved."))
            return redirect("videos:detail", video_id=video.pk)
    if request.htmx:
        response = render(request, FORM_PARTIAL, {"form": form, "video": video})
        return add_trigger(response, message=_("Please correct the marked fields."), level="error")
    return render(request, DETAIL, _detail_context(video, form, owner=request.user))


def _chosen_course(request: HttpRequest):
    """The course named in the form (another creator's id is a 404), or None to clear."""
    course_id = request.POST.get("course", "")
    if not course_id:
        return None
    if not course_id.isdigit():
        raise Http404
    try:
        return course_get(owner=request.user, course_id=int(course_id))
    except Course.DoesNotExist as missing:
        raise Http404 from missing


@login_required
@require_POST
def video_course_page(request: HttpRequest, video_id: int) -> HttpResponse:
    """Choose the course a video sells, from the video page."""
    video = get_object_or_404(Video.objects.owned_by(request.user), pk=video_id)
    course = _chosen_course(request)
    videos_course_assign(owner=request.user, videos=[video], course=course)
    if course:
        messages.success(request, _("This video now sells “%(course)s”.") % {"course": course})
    else:
        messages.success(request, _("This video sells no course now."))
    return redirect(reverse("videos:detail", args=[video.pk]) + "#tracking")


@login_required
@require_POST
def videos_course_bulk_page(request: HttpRequest) -> HttpResponse:
    """Give the ticked cards on the board a course; any id not the creator's is a 404."""
    ids = {int(v) for v in request.POST.getlist("videos") if v.isdigit()}
    course = _chosen_course(request)
    videos = list(Video.objects.owned_by(request.user).filter(pk__in=ids))
    if len(videos) != len(ids) or len(ids) != len(request.POST.getlist("videos")):
        raise Http404
    if not videos:
        messages.error(request, _("Tick the videos to give a course first."))
        return redirect(_back_to_board(request))
    videos_course_assign(owner=request.user, videos=videos, course=course)
    messages.success(
        request,
        ngettext(
            "%(count)s video now sells “%(course)s”.",
            "%(count)s videos now sell “%(course)s”.",
            len(videos),
        )
        % {"count": len(videos), "course": course or _("no course")},
    )
    return redirect(_back_to_board(request))
