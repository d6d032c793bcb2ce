"""The Platforms section of /settings/connections/: connect, sync now, remove, OAuth callback.
Thin: platform_services decides."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import platform_services as services
from .models import PlatformConnection


def platform_cards(request: HttpRequest) -> list[PlatformConnection]:
    return list(
        PlatformConnection.objects.owned_by(request.user)
        .select_related("platform")
        .order_by("created_at", "id")
    )


def _error_text(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(" ".join(v) for v in error.message_dict.values())
    return " ".join(error.messages)


def _own(request: HttpRequest, pk: int) -> PlatformConnection:
    return get_object_or_404(PlatformConnection.objects.owned_by(request.user), pk=pk)


@login_required
@require_POST
def platform_add_page(request: HttpRequest) -> HttpResponse:
    ids = request.POST.get("video_ids", "").replace(",", " ").split()
    try:
        services.platform_connection_create(
            owner=request.user,
            platform=request.POST.get("platform", ""),
            account_id=request.POST.get("account_id", ""),
            video_ids=ids,
            api_key=request.POST.get("api_key", ""),
        )
    except ValidationError as error:
        messages.error(request, _("The platform was not connected: %(reason)s")
                       % {"reason": _error_text(error)})  # fmt: skip
        return redirect("connections:index")
    messages.success(request, _("Platform connected; the first numbers arrive in a minute."))
    return redirect("connections:index")


def _redirect_uri(request: HttpRequest, platform: str) -> str:
    return request.build_absolute_uri(reverse("connections:platform-callback", args=[platform]))


@login_required
@require_POST
def platform_authorise_page(request: HttpRequest, platform: str) -> HttpResponse:
    try:
        url = services.oauth_authorize_url(
            owner=request.user, platform=platform, redirect_uri=_redirect_uri(request, platform)
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect("connections:index")
    return redirect(url)


@login_required
@require_GET
def platform_callback_page(request: HttpRequest, platform: str) -> HttpResponse:
    if platform not in PlatformConnection.OAUTH_SLUGS:
        raise Http404
    if request.GET.get("error") or request.GET.get("error_code"):
        messages.error(request, _("The platform's sign-in was cancelled or refused; nothing "
                                  "was connected."))  # fmt: skip
        return redirect("connections:index")
    try:
        services.platform_connection_authorise(
            owner=request.user,
            platform=platform,
            code=request.GET.get("code", ""),
            state=request.GET.get("state", ""),
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect("connections:index")
    messages.success(request, _("Account connected; the first numbers arrive in a minute."))
    return redirect("connections:index")


@login_required
@require_POST
def platform_sync_page(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.platform_connection_sync_request(connection=_own(request, pk))
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect("connections:index")
    messages.success(request, _("Syncing now; the numbers appear in a minute."))
    return redirect("connections:index")


@login_required
@require_POST
def platform_pause_page(request: HttpRequest, pk: int) -> HttpResponse:
    connection = _own(request, pk)
    try:
        services.platform_connection_pause(
            connection=connection, paused=connection.status != PlatformConnection.Status.PAUSED
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    return redirect("connections:index")


@login_required
@require_POST
def platform_delete_page(request: HttpRequest, pk: int) -> HttpResponse:
    services.platform_connection_delete(connection=_own(request, pk))
    messages.success(request, _("Platform connection removed; its videos and numbers stay."))
    return redirect("connections:index")
