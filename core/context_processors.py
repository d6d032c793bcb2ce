from django.utils.translation import gettext_lazy as _

NAV = [
    ("dashboard", "/", _("Dashboard")),
    ("courses", "/courses/", _("Courses")),
    ("campaigns", "/campaigns/", _("Campaigns")),
    ("videos", "/videos/", _("Videos")),
    ("imports", "/imports/", _("Imports")),
    ("settings", "/settings/", _("Settings")),
]


def navigation(request):
    """The main navigation and which entry is current (by URL prefix)."""
    path = request.path
    current = next(
        (key for key, url, _label in reversed(NAV) if url != "/" and path.startswith(url)),
        "dashboard" if path == "/" else "",
    )
    return {"nav_items": NAV, "nav_current": current}
