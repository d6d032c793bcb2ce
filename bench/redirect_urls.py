"""The project's URLs plus the baseline of the redirect benchmark: a plain Django view that
answers the same 302 to the same sales page URL as ``/r/<code>`` and does nothing else (no
cache, no click, no database). The bench passes code → URL as JSON in BENCH_REDIRECT_TARGETS."""

import json
import os

from django.http import Http404, HttpResponseRedirect
from django.urls import include, path

TARGETS: dict[str, str] = json.loads(os.environ.get("BENCH_REDIRECT_TARGETS", "{}"))


def plain_redirect(request, code: str):
    try:
        return HttpResponseRedirect(TARGETS[code])
    except KeyError:
        raise Http404 from None


# After the project's patterns, like /r/<code> (near their end): both walk the same URLconf.
urlpatterns = [
    path("", include("config.urls")),
    path("bench/plain-redirect/<str:code>", plain_redirect),
]
