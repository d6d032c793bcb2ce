"""Forms of the course workspace: they parse input; the rules live in courses/services.py."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import TIER_ORDER, Discount, Level, PriceTier


class TagsField(forms.CharField):
    """Comma-separated tags (the tag input's chips post the same text)."""

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [tag.strip() for tag in text.replace("，", ",").split(",") if tag.strip()]

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value


class CourseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.CharField(
        label=_("Slug"),
        max_length=80,
        required=False,
        help_text=_("The course's address part; leave empty to make one from the title."),
    )
    topic = forms.CharField(label=_("Topic"), max_length=120, required=False)
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices)
    audience_tags = TagsField(
        label=_("Audience tags"),
        required=False,
        help_text=_("Who the course is for, separated by commas, e.g. developers, students."),
        widget=forms.TextInput(attrs={"data-tag-input": "", "data-remove-label": _("Remove")}),
    )
    sales_page_url = forms.URLField(
        label=_("Sales page URL"), required=False, assume_scheme="https"
    )
    launch_date = forms.DateField(
        label=_("Launch date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_(
            "The forecast leaves out sales before this day; leave empty to use the first "
            "campaign's pre-launch window."
        ),
    )


class TierForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices)
    list_price = forms.DecimalField(
        label=_("Price (¥)"), min_value=0, max_digits=10, decimal_places=2
    )


class DiscountForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Discount.Kind.choices)
    value = forms.DecimalField(label=_("Value"), min_value=0, max_digits=10, decimal_places=2)
    tier = forms.ModelChoiceField(
        label=_("Tier"),
        queryset=PriceTier.objects.none(),
        required=False,
        empty_label=_("All tiers"),
    )
    starts_at = forms.DateTimeField(
        label=_("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    code = forms.CharField(label=_("Code"), max_length=40, required=False)
    max_redemptions = forms.IntegerField(label=_("Redemption cap"), min_value=1, required=False)

    def __init__(self, *args, course, **kwargs):
        super().__init__(*args, **kwargs)
        # Only this course's tiers are offered, in the course's order.
        self.fields["tier"].queryset = course.tiers.order_by(*TIER_ORDER)
        self.fields["tier"].label_from_instance = lambda tier: f"{tier.name} (¥{tier.list_price})"


class CompetitorPriceForm(forms.Form):
    competitor = forms.CharField(label=_("Competitor"), max_length=120)
    price = forms.DecimalField(label=_("Price (¥)"), min_value=0, max_digits=10, decimal_places=2)
    url = forms.URLField(label=_("Link"), required=False, assume_scheme="https")
    observed_on = forms.DateField(
        label=_("Observed on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
