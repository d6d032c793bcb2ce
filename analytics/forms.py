"""Forms of the settings page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .creator_settings import WEIGHT_GROUPS
from .models import CreatorSettings, ExcludedDay

WEIGHT_WIDGET = forms.NumberInput(attrs={"min": 0, "step": "any", "inputmode": "decimal"})


class CreatorSettingsForm(forms.ModelForm):
    """The eight weights and the attribution window; negatives are refused by the model,
    all-zero groups by the service."""

    GROUPS = (
        (
            _("Engagement D_F = λ1·F + λ2·D"),
            WEIGHT_GROUPS["engagement"],
        ),
        (
            _("Composite quality CQ_F = λ1·F + λ2·D + λ3·CQ"),
            WEIGHT_GROUPS["quality"],
        ),
        (
            _("Platform ranking: audience match, traffic scale, commission"),
            WEIGHT_GROUPS["ranking"],
        ),
        (_("Which video sold it"), ("attribution_window_days",)),
    )

    class Meta:
        model = CreatorSettings
        fields = CreatorSettings.SETTING_FIELDS
        widgets = {
            **dict.fromkeys(CreatorSettings.WEIGHT_FIELDS, WEIGHT_WIDGET),
            "attribution_window_days": forms.NumberInput(attrs={"min": 1, "max": 90}),
        }

    def fieldsets(self) -> list[tuple[str, list[forms.BoundField]]]:
        """Bound fields grouped as the formulas use them, for the template."""
        return [(legend, [self[name] for name in names]) for legend, names in self.GROUPS]


class ExcludedDayForm(forms.Form):
    """Exclude a sales day from the forecast's fit or restore it; put back a day the forecast
    leaves out by itself, or let it leave it out again."""

    # restore: drop the creator's exclusion; put_back: keep a day the forecast leaves out by
    # itself; leave_out: drop that (the forecast's own cleaning applies again).
    EXCLUDE, RESTORE, PUT_BACK, LEAVE_OUT = "exclude", "restore", "put_back", "leave_out"

    day = forms.DateField(label=_("Day"))
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[
            (EXCLUDE, _("Leave out")),
            (RESTORE, _("Restore")),
            (PUT_BACK, _("Put back")),
            (LEAVE_OUT, _("Leave out again")),
        ],
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[c for c in ExcludedDay.Reason.choices if c[0] != ExcludedDay.Reason.RESTORED],
        required=False,
    )
