"""Refusals that can be read again in another language.

A sync runs in a worker, in whatever language the worker has; the creator reads its last error
later, in theirs. So the clients build their messages with :func:`gettext` here: the text is
translated now, as usual, and also remembers its message id and parameters, which the
connection stores (``last_error_detail``) and :func:`render` translates again when a page or
the API shows it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as django_gettext


class Message(str):
    """A translated text that remembers its message id and, once formatted, its parameters."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, text: str, *, msgid: str, params: dict[str, Any] | None = None):
        made = super().__new__(cls, text)
        made.msgid, made.params = msgid, dict(params or {})
        return made

    def __mod__(self, params):
        if not isinstance(params, dict):
            return str.__mod__(self, params)
        return Message(str.__mod__(str(self), params), msgid=self.msgid, params=params)


def gettext(msgid: str) -> Message:
    return Message(django_gettext(msgid), msgid=msgid)


def detail(message: Any) -> dict[str, Any]:
    """What to store to show ``message`` again in another language ({} if it cannot be)."""
    if not isinstance(message, Message):
        return {}
    return {
        "msgid": message.msgid,
        "params": {key: value if isinstance(value, int | float) else str(value)
                   for key, value in message.params.items()},
    }  # fmt: skip


def render(stored: dict[str, Any] | None, fallback: str, **overrides: Any) -> str:
    """``stored`` in the active language (``overrides`` replace parameters that have a name in
    every language, such as the platform's); ``fallback`` when there is nothing to translate."""
    if not stored or not stored.get("msgid"):
        return fallback
    params = {**stored.get("params", {}), **{k: v for k, v in overrides.items() if k in
                                              stored.get("params", {})}}  # fmt: skip
    try:
        return (
            django_gettext(stored["msgid"]) % params if params else django_gettext(stored["msgid"])
        )
    except (KeyError, TypeError, ValueError):
        return fallback
