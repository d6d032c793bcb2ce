"""How a bad input is sent through each surface, and what came back, in one shape.

Every helper drives the product from outside: the test client for pages and the admin, a
token client for ``/api/v1/``. The answer is an :class:`Attempt`: refused or not, and the
messages by field (``__all__`` for messages not tied to a field), normalised so the same
sentence compares equal whichever surface rendered it.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from urllib.parse import unquote

from django import forms
from django.urls import reverse
from django.utils import timezone

NON_FIELD = "__all__"
HTMX = {"HTTP_HX_REQUEST": "true"}


def normalise(text: str) -> str:
    """One sentence, however it was rendered: HTML entities decoded, whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(str(text))).strip()


@dataclass
class Attempt:
    surface: str
    status: int
    refused: bool
    errors: dict[str, list[str]] = field(default_factory=dict)
    body: str = ""

    def on(self, name: str) -> list[str]:
        return self.errors.get(name, [])

    @property
    def messages(self) -> list[str]:
        return [m for messages in self.errors.values() for m in messages]

    def message(self, name: str | None = None) -> str | None:
        """The message about ``name`` (else the first message at all), or None."""
        if name is not None and self.on(name):
            return self.on(name)[0]
        return self.messages[0] if self.messages else None

    def describe(self) -> str:
        verdict = "refused" if self.refused else "ACCEPTED"
        return f"{self.surface}: {verdict} ({self.status}) {self.errors or ''}".strip()


def _errors(raw: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten DRF/Django error structures to {field: [messages]}."""
    out: dict[str, list[str]] = {}
    if isinstance(raw, dict):
        for name, inner in raw.items():
            key = NON_FIELD if name in ("non_field_errors", NON_FIELD) else name
            key = f"{prefix}{key}" if prefix and key != NON_FIELD else key
            for k, v in _errors(inner, "").items():
                target = key if k == NON_FIELD else f"{key}.{k}"
                out.setdefault(target, []).extend(v)
    elif isinstance(raw, list | tuple):
        for item in raw:
            if isinstance(item, dict | list | tuple):
                for k, v in _errors(item).items():
                    out.setdefault(k, []).extend(v)
            else:
                out.setdefault(NON_FIELD, []).append(normalise(item))
    elif raw is not None:
        out.setdefault(NON_FIELD, []).append(normalise(raw))
    return out


# --- API --------------------------------------------------------------------------------------


def api_send(api, method: str, url: str, body: dict | None = None, *, surface="api") -> Attempt:
    """A JSON request. Refused = 400 in the project's error shape; bulk rows' fields merge."""
    response = getattr(api, method)(url, body or {}, format="json")
    try:
        data = response.json()
    except (ValueError, TypeError):
        data = {}
    error = data.get("error") if isinstance(data, dict) else None
    errors: dict[str, list[str]] = {}
    if isinstance(error, dict):
        errors = _errors(error.get("fields") or {})
        for row in error.get("rows") or []:
            for name, messages in _errors(row.get("fields") or {}).items():
                errors.setdefault(name, []).extend(messages)
    refused = response.status_code == 400 and isinstance(error, dict)
    return Attempt(surface, response.status_code, refused, errors, json.dumps(data))


def api_bulk(api, url: str, rows: list[dict]) -> Attempt:
    return api_send(api, "post", url, {"rows": rows}, surface="api_bulk")


def iso(moment: datetime) -> str:
    return timezone.localtime(moment).isoformat()


# --- forms (pages and admin) ------------------------------------------------------------------


def _local(moment: datetime) -> datetime:
    """Forms hand back initial moments already in the current time zone, without tzinfo."""
    return moment if timezone.is_naive(moment) else timezone.localtime(moment)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def form_data(form, prefix_names: bool = True) -> dict:
    """What a browser posts back for ``form`` as rendered (unbound: its initial values)."""
    from django.contrib.admin.widgets import RelatedFieldWidgetWrapper

    data: dict = {}
    for name, field_ in form.fields.items():
        bound = form[name]
        if field_.disabled:
            continue
        value = bound.value()
        key = bound.html_name if prefix_names else name
        widget = field_.widget
        if isinstance(widget, RelatedFieldWidgetWrapper):
            widget = widget.widget
        if isinstance(widget, forms.MultiWidget):
            parts = value if isinstance(value, list | tuple) else widget.decompress(value)
            for suffix, part in zip(widget.widgets_names, parts, strict=True):
                data[key + suffix] = _text(part)
        elif isinstance(field_, forms.BooleanField):
            if value:
                data[key] = "on"
        elif isinstance(field_, forms.JSONField):
            data[key] = field_.prepare_value(value)
        elif isinstance(widget, forms.DateTimeInput) and isinstance(value, datetime):
            data[key] = _local(value).strftime(widget.format or "%Y-%m-%d %H:%M:%S")
        elif isinstance(value, list | tuple):
            data[key] = [_text(v) for v in value]
        else:
            data[key] = _text(value)
    return data


def split(name: str, moment: datetime | None) -> dict:
    """An admin split date/time input pair for ``moment`` in the creator's time zone."""
    if moment is None:
        return {f"{name}_0": "", f"{name}_1": ""}
    local = timezone.localtime(moment)
    return {f"{name}_0": local.date().isoformat(), f"{name}_1": local.strftime("%H:%M:%S")}


def _form_errors(form) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, messages in form.errors.items():
        out.setdefault(name, []).extend(normalise(m) for m in messages)
    return out


# --- admin ------------------------------------------------------------------------------------


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def admin_submit(
    client,
    model,
    overrides: dict,
    *,
    pk=None,
    inline: tuple[str, list[dict]] | None = None,
    surface: str = "admin",
) -> Attempt:
    """Open the add (or change) form as the creator sees it, change ``overrides``, post it.

    ``inline`` = (related model label or formset prefix, [row values]) adds new inline rows.
    Refused = the form comes back (200) with errors; accepted = the usual redirect.
    """
    url = admin_url(model, "change", pk) if pk is not None else admin_url(model, "add")
    page = client.get(url)
    assert page.status_code == 200, f"{url}: {page.status_code}"
    data = form_data(page.context["adminform"].form)
    formsets = list(page.context["inline_admin_formsets"])
    for wrapper in formsets:
        prefix = wrapper.formset.prefix
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    if inline is not None:
        wanted, rows = inline
        matches = [
            w.formset
            for w in formsets
            if w.formset.prefix == wanted or w.formset.model._meta.label == wanted
        ]
        assert matches, f"{url}: no inline {wanted}"
        formset = matches[0]
        prefix = formset.prefix
        empty = form_data(formset.empty_form, prefix_names=False)
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        for index, row in enumerate(rows):
            values = {**empty, **row}
            for name, value in values.items():
                data[f"{prefix}-{index}-{name}"] = value
    data.update(overrides)
    for name in [k for k, v in data.items() if v is None]:
        del data[name]
    response = client.post(url, data)
    body = response.content.decode(errors="replace")
    if response.status_code != 200:
        return Attempt(surface, response.status_code, False, {}, body)
    errors: dict[str, list[str]] = {}
    context = response.context
    if "adminform" in context:
        errors.update(_form_errors(context["adminform"].form))
    for wrapper in context.get("inline_admin_formsets") or []:
        formset = wrapper.formset
        for form_errors in formset.errors:
            for name, messages in form_errors.items():
                errors.setdefault(name, []).extend(normalise(m) for m in messages)
        for message in formset.non_form_errors():
            errors.setdefault(NON_FIELD, []).append(normalise(message))
    return Attempt(surface, 200, bool(errors), errors, body)


# --- pages ------------------------------------------------------------------------------------


def page_form_answer(response, *, surface: str = "page", accepted=(204, 302)) -> Attempt:
    """A page form: accepted with a redirect or an htmx 204; refused with the form's errors."""
    body = response.content.decode(errors="replace")
    if response.status_code in accepted:
        return Attempt(surface, response.status_code, False, {}, body)
    form = (response.context or {}).get("form") if response.context else None
    errors = _form_errors(form) if form is not None else {}
    if response.status_code == 404:
        errors = {NON_FIELD: ["404 Not Found"]}
    return Attempt(surface, response.status_code, bool(errors), errors, body)


def page_refusal(response, field_name: str, *, surface: str) -> Attempt:
    """An htmx action: 204 when done, 422 with the reason in ``X-Error-Message`` when refused."""
    body = response.content.decode(errors="replace")
    if response.status_code == 404:
        return Attempt(surface, 404, True, {NON_FIELD: ["404 Not Found"]}, body)
    message = response.headers.get("X-Error-Message")
    if response.status_code == 422 and message:
        return Attempt(surface, 422, True, {field_name: [normalise(unquote(message))]}, body)
    return Attempt(surface, response.status_code, False, {}, body)
