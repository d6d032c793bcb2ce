"""Why CourseReel did not record what a shop sent, or why a connection needs attention: a
code and its parameters are stored, and the words are rendered in the reader's language (the
creator's page, the API's Accept-Language) from the templates here. The stored English text
(``reason``, ``last_error``) is what the msgid says with the parameters filled in: for the
shop's answer, the logs and rows written before codes existed."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, gettext_noop

MESSAGES: dict[str, str] = {
    "no_course": gettext_noop(
        "No course of yours has the slug “%(slug)s”; check metadata.coursereel_course."
    ),
    "no_course_given": gettext_noop(
        "The event names no course (metadata.coursereel_course or course)."
    ),
    "no_tier": gettext_noop("The course “%(course)s” has no tier “%(tier)s”."),
    "no_rate": gettext_noop(
        "The sale is in %(currency)s but the course sells in %(course_currency)s and this "
        "connection has no %(currency)s rate: set one on the connection page, then send the "
        "event again."
    ),
    "not_mapped": gettext_noop(
        "The goods “%(goods)s” (%(resource)s) are not mapped to a course: map them on the "
        "connection page, then poll again."
    ),
    "prices_not_mapped": gettext_noop(
        "The Stripe prices %(prices)s are not mapped to a tier: map them on the connection "
        "page, then resend the event from Stripe."
    ),
    "prices_several": gettext_noop(
        "The Stripe session sells prices mapped to different tiers (%(prices)s); a sale is "
        "one course and tier: name the tier in metadata.coursereel_tier."
    ),
    "line_items_unread": gettext_noop(
        "Stripe did not give the session's line items (%(error)s); the event names no "
        "course in metadata.coursereel_course either."
    ),
    "no_sale_for_refund": gettext_noop(
        "A refund for an order CourseReel has no sale for (%(order)s)."
    ),
    "bad_amount": gettext_noop("The amount %(value)s is not a number of at least 0."),
    "order_ref_taken": gettext_noop(
        "Another sale of this course already has the order reference %(order)s (recorded by "
        "another connection)."
    ),
    "invalid": gettext_noop("The sale is not valid: %(details)s"),
    # A pull connection's service (Xiaoe-tech)
    "xiaoe_credentials": gettext_noop(
        "Xiaoe-tech refused the app id, client id or secret: paste them again from the "
        "Xiaoe-tech admin (应用管理)."
    ),
    "xiaoe_permission": gettext_noop(
        "Xiaoe-tech says this app may not read orders: grant it the order permission."
    ),
    "xiaoe_ip": gettext_noop(
        "Xiaoe-tech refused this shop's IP address: add the server to the app's IP whitelist."
    ),
    "xiaoe_limited": gettext_noop("Xiaoe-tech is limiting requests; the next poll tries again."),
    "xiaoe_unreachable": gettext_noop(
        "Xiaoe-tech could not be reached; the next poll tries again."
    ),
    "xiaoe_status": gettext_noop("Xiaoe-tech answered %(status)s; the next poll tries again."),
    "xiaoe_not_json": gettext_noop("Xiaoe-tech answered something that is not JSON."),
    "xiaoe_no_token": gettext_noop("Xiaoe-tech sent no access token."),
    "xiaoe_refused": gettext_noop("Xiaoe-tech refused the request (code %(code)s: %(msg)s)."),
    "poll_lost": gettext_noop(
        "The last poll stopped before it finished (its worker was lost); the next poll reads "
        "the same orders again."
    ),
}


def message(
    code: str, params: dict[str, Any] | None, *, fallback: str = "", translate: bool = True
) -> str:
    """The words for ``code``: in the active language, or the English msgid with ``translate``
    off. An unknown code (or none) gives ``fallback``, the text stored with the row."""
    template = MESSAGES.get(code or "")
    if template is None:
        return fallback
    try:
        return (gettext(template) if translate else template) % (params or {})
    except (KeyError, TypeError, ValueError):  # a row whose parameters do not fit
        return fallback or template
