"""Forms of the video pages: board filters, a new idea, and the video's edit form."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Platform, Video
from .services import EDITABLE_FIELDS

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


NO_COURSE = "none"


class BoardFilterForm(forms.Form):
    """Filters read from the URL; an unknown value is dropped, never an error page."""

    platform = forms.ChoiceField(label=_("Platform"), required=False)
    course = forms.TypedChoiceField(
        label=_("Course"),
        required=False,
        coerce=lambda v: v if v == NO_COURSE else int(v),
        empty_value=None,
    )
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Title, topic, audience, hashtag")}
        ),
    )

    def __init__(
        self, *args, platforms: Sequence[Platform], courses: Sequence, no_course: int = 0, **kwargs
    ) -> None:
        # Its own ids: the new-video form on the same page also has platform and course.
        kwargs.setdefault("auto_id", "filter_%s")
        super().__init__(*args, **kwargs)
        self.fields["platform"].choices = [("", _("All platforms"))] + [
            (p.slug, p.label) for p in platforms
        ]
        self.fields["course"].choices = [
            ("", _("All courses")),
            (NO_COURSE, _("No course yet (%(count)s)") % {"count": no_course}),
        ] + [(c.pk, c.title) for c in courses]

    def filters(self) -> dict:
        """The valid filters only (an invalid field is ignored rather than failing the page)."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {
            "platform_slug": cleaned.get("platform") or None,
            "course_id": course if (course := cleaned.get("course")) != NO_COURSE else None,
            "without_course": cleaned.get("course") == NO_COURSE,
            "search": cleaned.get("q") or "",
        }


class VideoCreateForm(forms.Form):
    """A new idea: just enough to put a card on the board."""

    title = forms.CharField(label=_("Title"), max_length=200)
    platform = forms.ModelChoiceField(label=_("Platform"), queryset=None)
    course = forms.ModelChoiceField(label=_("Course"), queryset=None, required=False)
    topic = forms.CharField(label=_("Topic"), max_length=120, required=False)
    target_audience = forms.CharField(label=_("Target audience"), max_length=200, required=False)

    def __init__(
        self,
        *args,
        owner,
        platforms: Sequence[Platform] | None = None,
        courses: Sequence | None = None,
        **kwargs,
    ) -> None:
        """``platforms``/``courses`` already fetched for the filters become the choices, so
        rendering the form costs no query; validation still checks the owner's queryset."""
        from courses.selectors import course_list

        kwargs.setdefault("auto_id", "new_%s")
        super().__init__(*args, **kwargs)
        self.fields["platform"].queryset = Platform.objects.order_by("name")
        self.fields["course"].queryset = course_list(owner=owner)
        self.fields["course"].empty_label = _("No course")
        if platforms is not None:
            self.fields["platform"].choices = [("", "---------")] + [
                (p.pk, p.label) for p in platforms
            ]
        if courses is not None:
            self.fields["course"].choices = [("", _("No course"))] + [
                (c.pk, c.title) for c in courses
            ]


class VideoForm(forms.ModelForm):
    """The video page's edit form; labels and help texts come from the model."""

    class Meta:
        model = Video
        fields = EDITABLE_FIELDS
        widgets = {
            "script_opening": forms.Textarea(attrs={"rows": 3}),
            "script_body": forms.Textarea(attrs={"rows": 6}),
            "script_closing": forms.Textarea(attrs={"rows": 3}),
            "scheduled_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format=DATETIME_LOCAL
            ),
            "published_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format=DATETIME_LOCAL
            ),
            "length_seconds": forms.NumberInput(attrs={"min": 1}),
            "production_level": forms.NumberInput(attrs={"min": 1, "max": 5}),
            "usefulness": forms.NumberInput(attrs={"min": 1, "max": 5}),
        }
        labels = {
            "script_opening": _("Opening"),
            "script_body": _("Body"),
            "script_closing": _("Closing"),
        }
        help_texts = {
            "script_opening": _("The hook: the first seconds that make a viewer stay."),
            "script_body": _("The main points, in order."),
            "script_closing": _("The call to action: where the course is and why now."),
            "length_seconds": _("L in the quality score, in seconds (shown in minutes there)."),
        }
