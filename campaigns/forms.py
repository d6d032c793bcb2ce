from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import Course
from videos.models import Platform, Video

from .models import Campaign


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = [
            "course",
            "name",
            "launch_date",
            "prelaunch_days",
            "followup_days",
            "platforms",
            "goal",
            "goal_units",
            "hashtags",
        ]
        widgets = {
            "launch_date": forms.DateInput(attrs={"type": "date"}),
            "platforms": forms.CheckboxSelectMultiple,
        }
        # The model's relations carry no verbose name (that would be a migration).
        labels = {"course": _("Course"), "platforms": _("Platforms")}

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = Course.objects.owned_by(owner)
        self.fields["platforms"].queryset = Platform.objects.order_by("name")
        self.instance.owner = owner


class PostForm(forms.Form):
    """A post on the planner: a day and a time in the creator's time zone."""

    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label=_("Time"), widget=forms.TimeInput(attrs={"type": "time"}))
    platform = forms.ModelChoiceField(label=_("Platform"), queryset=Platform.objects.none())
    video = forms.ModelChoiceField(label=_("Video"), queryset=Video.objects.none(), required=False)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    hashtags = forms.CharField(label=_("Hashtags / topics"), max_length=400, required=False)

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        # Offer the campaign's platforms; accept any, so the service refuses another one with
        # the message every surface gives ("… is not one of this campaign's platforms.").
        platform = self.fields["platform"]
        platform.queryset = Platform.objects.all()
        platform.choices = [("", platform.empty_label or "---------")] + [
            (p.pk, p.label) for p in campaign.platforms.order_by("name")
        ]
        self.fields["video"].queryset = (
            Video.objects.owned_by(campaign.owner)
            .filter(course=campaign.course)
            .select_related("platform")
            .order_by("title")
        )
        first, last = campaign.days[0], campaign.days[-1]
        self.fields["day"].widget.attrs.update(min=first.isoformat(), max=last.isoformat())
        self.fields["day"].help_text = _("%(first)s to %(last)s") % {"first": first, "last": last}

    @property
    def planned_at(self) -> datetime:
        return timezone.make_aware(
            datetime.combine(self.cleaned_data["day"], self.cleaned_data["time"])
        )
