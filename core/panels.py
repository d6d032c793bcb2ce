"""Panels: what a higher app adds to a lower app's page, without the lower app importing it.

A course's page belongs to ``courses``, but its forecast and rankings are computed by
``analytics`` and its funnel by ``tracking`` — apps above it. The page asks for its panels by
name; the higher apps register a provider for that name in their ``AppConfig.ready``::

    @panel("course.detail")
    def forecast_panel(*, request, course, **kwargs) -> dict: ...

Each provider returns template context; the page merges them. Like the event hub, this keeps
imports running one way (README "Layout").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

Provider = Callable[..., dict[str, Any]]

_providers: dict[str, list[Provider]] = defaultdict(list)


def panel(name: str) -> Callable[[Provider], Provider]:
    """Register a context provider for the page ``name`` (registering twice keeps one)."""

    def register(provider: Provider) -> Provider:
        key = (provider.__module__, provider.__qualname__)
        providers = _providers[name]
        providers[:] = [p for p in providers if (p.__module__, p.__qualname__) != key]
        providers.append(provider)
        return provider

    return register


def panels_context(name: str, **kwargs: Any) -> dict[str, Any]:
    """The context every provider of ``name`` adds, in registration order."""
    context: dict[str, Any] = {}
    for provider in _providers.get(name, ()):
        context.update(provider(**kwargs))
    return context
