"""One view serves the full page or just its fragment; changes answer with events.

Patterns from UX.md: the first render is on the server; an htmx request for the page's swap
target gets only the fragment; a change replies 204 with an HX-Trigger event that makes the
fragment re-fetch itself, and toasts travel the same way; a refused change answers 422 with
an ``X-Error-Message`` that app.js shows, leaving the page as it was.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def render_page(
    request: HttpRequest, template: str, partial: str, context: dict, status: int = 200
) -> HttpResponse:
    """The whole page, or only ``partial`` when htmx asks for the fragment (not a boost, not
    a history restore after Back, which needs the whole page)."""
    return render(request, partial if wants_fragment(request) else template, context, status=status)


def wants_fragment(request: HttpRequest) -> bool:
    """htmx asked for the fragment: not a boost, not a history restore after Back."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.boosted and not htmx.history_restore_request)


def add_trigger(
    response: HttpResponse,
    events: dict | str | None = None,
    *,
    message: str | None = None,
    level: str = "success",
) -> HttpResponse:
    """Add an HX-Trigger header (client events and an optional toast) to ``response``."""
    payload: dict = {}
    if isinstance(events, str):
        payload[events] = True
    elif events:
        payload.update(events)
    if message:
        payload["showMessage"] = {"text": str(message), "level": level}
    if payload:
        # ASCII only: Django MIME-encodes a non-ASCII header value ("=?utf-8?b?…"), which htmx
        # cannot parse, so a Chinese title or any zh-hans message would lose its toast.
        response["HX-Trigger"] = json.dumps(payload, ensure_ascii=True)
    return response


def trigger(
    events: dict | str, *, message: str | None = None, level: str = "success"
) -> HttpResponse:
    """An empty 204 that fires client events (and a toast when ``message`` is given)."""
    return add_trigger(HttpResponse(status=204), events, message=message, level=level)


def refuse(message: str, *, events: dict | str | None = None, status: int = 422) -> HttpResponse:
    """A refused change: htmx swaps nothing and app.js toasts the ``X-Error-Message``.

    ``events`` may still fire (a refresh that puts a changed control back); never a toast of
    its own, which would show twice.
    """
    response = HttpResponse(str(message), status=status, content_type="text/plain; charset=utf-8")
    response["X-Error-Message"] = quote(str(message))
    return add_trigger(response, events)


def validation_message(error) -> str:
    """One line from a ValidationError, whatever its shape."""
    if hasattr(error, "message_dict"):
        return " ".join(m for messages in error.message_dict.values() for m in messages)
    return " ".join(error.messages)
