"""The settings page: the creator's formula weights and API token. Thin: services decide."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.htmx import add_trigger, render_page
from core.tokens import api_token_get, api_token_revoke, api_token_rotate

from .creator_settings import creator_settings_get, creator_settings_update
from .forms import CreatorSettingsForm

PAGE = "settings/index.html"
WEIGHTS_PARTIAL = "settings/_weights_form.html"
TOKEN_PARTIAL = "settings/_token.html"


def _page_context(request: HttpRequest, *, form=None, new_key: str | None = None) -> dict:
    settings = creator_settings_get(owner=request.user)
    return {
        "form": form or CreatorSettingsForm(instance=settings),
        "token": api_token_get(user=request.user),
        "new_key": new_key,
    }


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    """GET shows the weights and token state; POST saves the weights (form swaps in place)."""
    if request.method == "GET":
        return render(request, PAGE, _page_context(request))
    settings = creator_settings_get(owner=request.user)
    # The form validates a copy: the service compares the stored values with the new ones.
    form = CreatorSettingsForm(request.POST, instance=copy.copy(settings))
    if form.is_valid():
        try:
            changed = creator_settings_update(settings=settings, data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            message = (
                _("Weights saved. The metrics are being recomputed.")
                if changed
                else _("Nothing changed.")
            )
            if request.htmx:
                fresh = CreatorSettingsForm(instance=settings)
                response = render(request, WEIGHTS_PARTIAL, {"form": fresh})
                return add_trigger(response, message=message, level="success")
            messages.success(request, message)
            return redirect("settings:index")
    if request.htmx:
        response = render(request, WEIGHTS_PARTIAL, {"form": form})
        return add_trigger(response, message=_("Please correct the marked weights."), level="error")
    return render(request, PAGE, _page_context(request, form=form))


@login_required
@require_POST
def api_token_create_page(request: HttpRequest) -> HttpResponse:
    """Replace the creator's token and show the new key in this one response only."""
    issued = api_token_rotate(user=request.user)
    response = render_page(request, PAGE, TOKEN_PARTIAL, _page_context(request, new_key=issued.key))
    return add_trigger(response, message=_("New API token created. Copy it now."))


@login_required
@require_POST
def api_token_revoke_page(request: HttpRequest) -> HttpResponse:
    revoked = api_token_revoke(user=request.user)
    message = _("API token revoked.") if revoked else _("There was no API token to revoke.")
    if request.htmx:
        response = render(request, TOKEN_PARTIAL, {"token": None, "new_key": None})
        return add_trigger(response, message=message)
    messages.success(request, message)
    return redirect("settings:index")
