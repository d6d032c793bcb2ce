from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# (key, URL name, label): URLs are reversed, never written by hand.
NAV = [
    ("dashboard", "dashboard", _("Dashboard")),
    ("courses", "courses:list", _("Courses")),
    ("campaigns", "campaigns:list", _("Campaigns")),
    ("videos", "videos:board", _("Videos")),
    ("imports", "imports:page", _("Imports")),
    ("settings", "settings:index", _("Settings")),
]


def navigation(request):
    """The main navigation and which entry is current (by URL prefix)."""
    items = [(key, reverse(name), label) for key, name, label in NAV]
    path = request.path
    current = next(
        (key for key, url, _label in reversed(items) if url != "/" and path.startswith(url)),
        "dashboard" if path == "/" else "",
    )
    return {"nav_items": items, "nav_current": current}
