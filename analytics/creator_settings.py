"""The creator's formula and ranking weights: read (created with defaults) and update.

Saving new weights makes every stored D_F, CQ_F and platform ranking stale, so an update
enqueues a recompute after the commit.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import CreatorSettings
from .services import metrics_recompute_enqueue

# Each group is one weighted sum; all-zero weights would make it 0 for every video/platform.
WEIGHT_GROUPS: dict[str, tuple[str, ...]] = {
    "engagement": ("engagement_weight_f", "engagement_weight_d"),
    "quality": ("quality_weight_f", "quality_weight_d", "quality_weight_cq"),
    "ranking": ("rank_weight_audience", "rank_weight_traffic", "rank_weight_commission"),
}


def creator_settings_get(*, owner) -> CreatorSettings:
    """The creator's weights, creating the row with the defaults on first use."""
    settings, _created = CreatorSettings.objects.get_or_create(owner=owner)
    return settings


def _all_zero_errors(settings: CreatorSettings) -> dict[str, str]:
    messages = {
        "engagement": _("The engagement weights cannot all be zero."),
        "quality": _("The quality weights cannot all be zero."),
        "ranking": _("The ranking weights cannot all be zero."),
    }
    return {
        fields[0]: messages[group]
        for group, fields in WEIGHT_GROUPS.items()
        if all((getattr(settings, name) or 0) == 0 for name in fields)
    }


@transaction.atomic
def creator_settings_update(*, settings: CreatorSettings, data: dict[str, Any]) -> bool:
    """Apply new weights and the attribution window; True when something changed (and a
    recompute was enqueued).

    Raises ValidationError keyed by field for a negative weight, an all-zero group or a window
    outside 1–90 days.
    """
    changes = {
        name: CreatorSettings._meta.get_field(name).to_python(data[name])
        for name in CreatorSettings.SETTING_FIELDS
        if name in data and data[name] is not None and getattr(settings, name) != data[name]
    }
    for name, value in changes.items():
        setattr(settings, name, value)
    errors = _all_zero_errors(settings)
    if errors:
        raise ValidationError(errors)
    if not changes:
        return False
    settings.full_clean()
    settings.save(update_fields=list(changes))
    metrics_recompute_enqueue(owner_id=settings.owner_id, trigger="settings")
    return True
