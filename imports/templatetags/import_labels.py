"""What an import's field names (``platform_video_id``, ``link_clicks`` …) are called on the
page, in the creator's language. The job's stored result keeps the machine names (the API
shows them as they are); only the page translates them."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

register = template.Library()

FIELD_LABELS = {
    "row": _("Row"),
    "platform": _("Platform"),
    "platform_video_id": _("Video ID on the platform"),
    "date": pgettext_lazy("import field", "Date"),
    "observed_at": _("Observed at"),
    "crawled_at": _("Observed at"),
    "title": pgettext_lazy("import field", "Title"),
    "views": _("Views"),
    "interactions": _("Interactions"),
    "likes": _("Likes"),
    "comments": _("Comments"),
    "shares": _("Shares"),
    "saves": _("Saves"),
    "coins": _("Coins"),
    "danmaku": _("Danmaku (bullet comments)"),
    "link_clicks": _("Link clicks"),
    "sold_at": _("Sold at"),
    "course": pgettext_lazy("import field", "Course"),
    "tier": _("Price tier"),
    "quantity": _("Quantity"),
    "unit_price": _("Unit price"),
    "order_ref": _("Order number"),
    "source_video": _("Video that sold it"),
    "source_video_id": _("Video that sold it"),
    "tracking_code": _("Tracking code"),
}


@register.filter
def import_field_label(name) -> str:
    """The field's name for the creator; a name without a label is shown as it is."""
    label = FIELD_LABELS.get(str(name))
    return str(label) if label is not None else str(name)
