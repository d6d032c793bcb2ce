"""Creator-facing actions on tracking links (the pages show them; these change them)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.models import Campaign
from videos.models import Video

from . import services
from .models import TrackingLink


def _back(request, fallback: str):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(fallback)


def _owned(model, request, pk):
    try:
        return model.objects.owned_by(request.user).get(pk=pk)
    except model.DoesNotExist:
        raise Http404 from None


@login_required
@require_POST
def video_link_create(request, video_id: int):
    video = _owned(Video, request, video_id)
    link = services.link_for_video(owner=request.user, video=video)
    messages.success(request, _("Tracking link ready: %(code)s.") % {"code": link.printable_code})
    return _back(request, f"/videos/{video.pk}/")


@login_required
@require_POST
def campaign_links_create(request, campaign_id: int):
    campaign = _owned(Campaign, request, campaign_id)
    created = services.links_for_campaign(owner=request.user, campaign=campaign)
    messages.success(request, _("%(n)d tracking links created.") % {"n": created})
    return _back(request, f"/campaigns/{campaign.pk}/#tracking")


@login_required
@require_POST
def link_active_set(request, link_id: int):
    link = _owned(TrackingLink, request, link_id)
    active = request.POST.get("active") == "1"
    services.link_set_active(link=link, active=active)
    message = _("Link %(code)s switched on.") if active else _("Link %(code)s switched off.")
    messages.success(request, message % {"code": link.printable_code})
    fallback = f"/videos/{link.video_id}/" if link.video_id else "/campaigns/"
    return _back(request, fallback)
