"""The public redirect: /r/<code> → the course's sales page, counting real clicks."""

from __future__ import annotations

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from core import codes, outbound

from . import services, visitors


@require_safe
def redirect(request, code: str):
    """Count the click (GET from something that is not a bot or a prefetch) and redirect.

    302 with ``Cache-Control: no-store`` so every click comes back through here; an unknown,
    switched-off or page-less code answers 404 and counts nothing, and so does a sales page
    that is not a plain http(s) address (saved before the rule, e.g. ``ftp://`` or one with a
    password in it: the browser would be sent there with the creator's credentials).
    """
    target = services.link_resolve(codes.code_normalize(code))
    if (
        target is None
        or not target.active
        or not target.url
        or not outbound.link_target_allowed(target.url)
    ):
        if target is None:
            reason = "unknown"
        elif not target.active:
            reason = "inactive"
        else:
            reason = "no_page" if not target.url else "bad_page"
        response = render(request, "tracking/not_found.html", {"reason": reason}, status=404)
        response["X-Robots-Tag"] = "noindex"
        return response
    meta = request.META
    user_agent = meta.get("HTTP_USER_AGENT", "")
    if (
        request.method == "GET"
        and not visitors.is_bot(user_agent)
        and not visitors.is_prefetch(meta)
    ):
        now = timezone.now()
        services.click_record(
            link_id=target.link_id,
            at=now,
            visitor=visitors.visitor_hash(
                ip=visitors.client_ip(meta), user_agent=user_agent, day=timezone.localdate(now)
            ),
        )
    response = HttpResponseRedirect(target.url)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
