"""Campaign pages: the list and the planner. Views parse input and call services."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.htmx import refuse, render_page, trigger, validation_message, wants_fragment
from core.panels import panels_context

from . import selectors, services
from .forms import CampaignForm, PostForm
from .models import Campaign, ScheduledPost

CHANGED = "plannerChanged"


def _campaign(request, campaign_id: int) -> Campaign:
    return get_object_or_404(
        Campaign.objects.owned_by(request.user).select_related("course"), pk=campaign_id
    )


def _post(request, campaign: Campaign, post_id: int) -> ScheduledPost:
    return get_object_or_404(campaign.posts.select_related("video", "platform"), pk=post_id)


def _changed(message: str):
    return trigger({CHANGED: True, "closeDialog": True}, message=message)


@login_required
def campaign_list_page(request):
    form = CampaignForm(request.POST or None, owner=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        campaign = services.campaign_create(
            owner=request.user,
            course=data["course"],
            name=data["name"],
            launch_date=data["launch_date"],
            prelaunch_days=data["prelaunch_days"],
            followup_days=data["followup_days"],
            platforms=data["platforms"],
            goal=data["goal"],
            goal_units=data.get("goal_units"),
            hashtags=data["hashtags"],
        )
        return redirect("campaigns:planner", campaign_id=campaign.id)
    campaigns = selectors.campaign_list(owner=request.user).order_by("-launch_date")
    return render(
        request,
        "campaigns/list.html",
        {"campaigns": campaigns, "form": form, "today": timezone.localdate()},
        status=422 if form.errors else 200,
    )


@login_required
def planner_page(request, campaign_id: int):
    campaign = _campaign(request, campaign_id)
    context = {"planner": selectors.planner(campaign=campaign), "today": timezone.localdate()}
    if not wants_fragment(request):
        # Below the calendar, outside the fragment htmx refreshes after each edit.
        context["campaign"] = campaign
        context.update(panels_context("campaign.planner", request=request, campaign=campaign))
    return render_page(request, "campaigns/planner.html", "campaigns/_planner.html", context)


def _post_form_response(request, form, campaign, post=None, status=200):
    return render(
        request,
        "campaigns/_post_form.html",
        {"form": form, "campaign": campaign, "post": post},
        status=status,
    )


@login_required
def post_new(request, campaign_id: int):
    campaign = _campaign(request, campaign_id)
    if request.method == "POST":
        form = PostForm(request.POST, campaign=campaign)
        if form.is_valid():
            try:
                services.post_create(campaign=campaign, **_post_fields(form))
            except ValidationError as error:
                _attach(form, error)
            else:
                return _changed(_("Post planned."))
        return _post_form_response(request, form, campaign)
    platform_id = request.GET.get("platform")
    usual = services.usual_posting_times(owner=request.user)
    initial = {
        "day": request.GET.get("day") or timezone.localdate().isoformat(),
        "platform": platform_id,
        "time": usual.get(int(platform_id), services.DEFAULT_POST_TIME)
        if platform_id and platform_id.isdigit()
        else services.DEFAULT_POST_TIME,
        "hashtags": campaign.hashtags,
    }
    return _post_form_response(request, PostForm(initial=initial, campaign=campaign), campaign)


def _post_fields(form: PostForm) -> dict:
    data = form.cleaned_data
    return {
        "platform": data["platform"],
        "planned_at": form.planned_at,
        "video": data["video"],
        "title": data["title"],
        "hashtags": data["hashtags"],
    }


def _attach(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form fields it names (planned_at → day)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            target = "day" if field == "planned_at" else field
            form.add_error(target if target in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


@login_required
def post_edit(request, campaign_id: int, post_id: int):
    campaign = _campaign(request, campaign_id)
    post = _post(request, campaign, post_id)
    if request.method == "POST":
        form = PostForm(request.POST, campaign=campaign)
        if form.is_valid():
            try:
                services.post_update(post=post, **_post_fields(form))
            except ValidationError as error:
                _attach(form, error)
            else:
                return _changed(_("Post updated."))
        return _post_form_response(request, form, campaign, post)
    local = timezone.localtime(post.planned_at)
    initial = {
        "day": local.date(),
        "time": local.time().replace(second=0, microsecond=0),
        "platform": post.platform_id,
        "video": post.video_id,
        "title": post.title,
        "hashtags": post.hashtags,
    }
    return _post_form_response(
        request, PostForm(initial=initial, campaign=campaign), campaign, post
    )


@login_required
@require_POST
def post_move(request, campaign_id: int, post_id: int):
    campaign = _campaign(request, campaign_id)
    post = _post(request, campaign, post_id)
    try:
        day = date.fromisoformat(request.POST.get("day", ""))
    except ValueError:
        return refuse(_("Pick a day to move the post to."))
    platform = None
    if request.POST.get("platform"):
        platform = campaign.platforms.filter(pk=request.POST["platform"]).first()
        if platform is None:
            return refuse(_("That platform is not part of this campaign."))
    try:
        services.post_move(post=post, day=day, platform=platform)
    except ValidationError as error:
        return refuse(validation_message(error))
    return _changed(_("Moved to %(day)s.") % {"day": date_format(day, "MONTH_DAY_FORMAT")})


@login_required
@require_POST
def post_delete(request, campaign_id: int, post_id: int):
    campaign = _campaign(request, campaign_id)
    post = _post(request, campaign, post_id)
    try:
        services.post_delete(post=post)
    except ValidationError as error:
        return refuse(validation_message(error))
    return _changed(_("Post removed."))


@login_required
@require_POST
def schedule_suggest(request, campaign_id: int):
    campaign = _campaign(request, campaign_id)
    try:
        per_day = int(request.POST.get("per_day", 1))
        created = services.schedule_suggest(campaign=campaign, per_day=per_day)
    except (ValueError, ValidationError) as error:
        message = validation_message(error) if isinstance(error, ValidationError) else str(error)
        return refuse(message)
    if not created:
        return trigger(CHANGED, message=_("No open slots from today on."), level="warning")
    return trigger(
        CHANGED,
        message=_("%(n)d posts suggested: review, then accept or discard.") % {"n": len(created)},
    )


@login_required
@require_POST
def suggestions_accept(request, campaign_id: int):
    campaign = _campaign(request, campaign_id)
    ids = request.POST.getlist("post") or None
    count = services.suggestions_accept(campaign=campaign, ids=ids)
    return trigger(CHANGED, message=_("%(n)d suggested posts accepted.") % {"n": count})


@login_required
@require_POST
def suggestions_discard(request, campaign_id: int):
    campaign = _campaign(request, campaign_id)
    ids = request.POST.getlist("post") or None
    count = services.suggestions_discard(campaign=campaign, ids=ids)
    return trigger(CHANGED, message=_("%(n)d suggested posts discarded.") % {"n": count})
