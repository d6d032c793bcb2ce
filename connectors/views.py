"""/settings/connections/: one card per shop connection. Thin: services decide."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from courses.models import Course

from . import platform_services as services_platforms
from . import services
from .api import receive_url
from .models import RefusedEvent, SalesConnection
from .platform_views import platform_cards

PAGE = "connectors/connections.html"
REFUSED_SHOWN = 10


def _mapping(connection: SalesConnection) -> dict:
    """Xiaoe-tech maps goods, Stripe maps price ids (with a restricted key)."""
    if connection.kind == SalesConnection.Kind.STRIPE:
        return connection.price_mapping
    return connection.goods_mapping


def _unmatched(connection: SalesConnection) -> dict:
    if connection.kind == SalesConnection.Kind.STRIPE:
        return connection.unmatched_prices
    return connection.unmatched_goods


def _cards(request: HttpRequest) -> list[dict]:
    connections = SalesConnection.objects.owned_by(request.user).prefetch_related(
        Prefetch("refused_events", queryset=RefusedEvent.objects.order_by("-received_at", "-id"))
    )
    return [
        {
            "connection": connection,
            "receive_url": receive_url(request, connection),
            "refused": list(connection.refused_events.all())[:REFUSED_SHOWN],
            "rates": sorted(connection.currency_rates.items()),
            "unmatched": sorted(_unmatched(connection).items()),
            "mapped": [
                (key, target.get("course"), target.get("tier"))
                for key, target in sorted(_mapping(connection).items())
            ],
            "hints": services.connection_secret_hints(connection),
        }
        for connection in connections
    ]


def _context(request: HttpRequest, **extra) -> dict:
    return {
        "cards": _cards(request),
        "kinds": SalesConnection.Kind.choices,
        "courses": Course.objects.owned_by(request.user).prefetch_related("tiers"),
        "platform_cards": platform_cards(request),
        "platform_cadence": services_platforms.cadence_text(),
        "oauth_platforms": [
            (slug, services_platforms.oauth_configured(slug)) for slug in ("douyin", "kuaishou")
        ],
        **extra,
    }


def _own(request: HttpRequest, pk: int) -> SalesConnection:
    return get_object_or_404(SalesConnection.objects.owned_by(request.user), pk=pk)


def _error_text(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(f"{' '.join(v)}" for v in error.message_dict.values())
    return " ".join(error.messages)


@login_required
@require_GET
def connections_page(request: HttpRequest) -> HttpResponse:
    return render(request, PAGE, _context(request))


@login_required
@require_POST
def connection_add_page(request: HttpRequest) -> HttpResponse:
    fields = ("signing_secret", "restricted_key", "app_id", "client_id", "client_secret")
    try:
        connection, shown = services.connection_create(
            owner=request.user,
            kind=request.POST.get("kind", ""),
            name=request.POST.get("name", ""),
            secrets={name: request.POST.get(name, "") for name in fields},
        )
    except ValidationError as error:
        messages.error(request, _("The connection was not added: %s") % _error_text(error))
        return redirect("connections:index")
    messages.success(request, _("Connection added."))
    if shown:
        return render(request, PAGE, _context(request, new_secret=shown, new_for=connection.pk))
    return redirect("connections:index")


@login_required
@require_POST
def connection_rotate_page(request: HttpRequest, pk: int) -> HttpResponse:
    connection = _own(request, pk)
    fields = ("signing_secret", "restricted_key", "app_id", "client_id", "client_secret")
    try:
        shown = services.connection_rotate_secret(
            connection=connection,
            secrets={name: request.POST.get(name) for name in fields if request.POST.get(name)},
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect("connections:index")
    messages.success(request, _("Secret replaced; the old one no longer works."))
    if shown:
        return render(request, PAGE, _context(request, new_secret=shown, new_for=connection.pk))
    return redirect("connections:index")


@login_required
@require_POST
def connection_poll_page(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.connection_poll_request(connection=_own(request, pk))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Polling now; new orders appear in a minute."))
    return redirect("connections:index")


@login_required
@require_POST
def connection_rates_page(request: HttpRequest, pk: int) -> HttpResponse:
    connection = _own(request, pk)
    rates = dict(connection.currency_rates)
    for code, value in zip(
        request.POST.getlist("currency"), request.POST.getlist("rate"), strict=False
    ):
        if code.strip():
            rates[code.strip().upper()] = value.strip()
    try:
        services.connection_rates_update(connection=connection, rates=rates)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Currency rates saved."))
    return redirect("connections:index")


@login_required
@require_POST
def connection_mapping_page(request: HttpRequest, pk: int) -> HttpResponse:
    connection = _own(request, pk)
    mapping = dict(_mapping(connection))
    for goods, target in zip(
        request.POST.getlist("goods"), request.POST.getlist("target"), strict=False
    ):
        if not goods:
            continue
        if not target:
            mapping.pop(goods, None)
            continue
        course, _sep, tier = target.partition(":")
        mapping[goods] = {"course": int(course), "tier": int(tier) if tier else None}
    try:
        if connection.kind == SalesConnection.Kind.STRIPE:
            services.connection_price_mapping_update(connection=connection, mapping=mapping)
        else:
            services.connection_mapping_update(connection=connection, mapping=mapping)
    except (ValidationError, ValueError) as error:
        text = _error_text(error) if isinstance(error, ValidationError) else str(error)
        messages.error(request, text)
    else:
        messages.success(
            request,
            _("Price mapping saved; events Stripe sends again are recorded with it.")
            if connection.kind == SalesConnection.Kind.STRIPE
            else _("Goods mapping saved; the next poll reads the orders again."),
        )
    return redirect("connections:index")


@login_required
@require_POST
def connection_delete_page(request: HttpRequest, pk: int) -> HttpResponse:
    services.connection_delete(connection=_own(request, pk))
    messages.success(request, _("Connection removed; its sales stay."))
    return redirect("connections:index")
