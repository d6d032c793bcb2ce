"""The imports page's upload form."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from videos.models import Platform

from .models import ImportJob


class ImportUploadForm(forms.Form):
    """An upload on the imports page; the import services do the real checking."""

    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportJob.Kind.choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8 or GBK/GB18030) or XLSX, as the platform exports it."),
    )
    platform = forms.ModelChoiceField(
        label=_("Platform"),
        queryset=Platform.objects.order_by("name"),
        required=False,
        empty_label=_("From the file (a platform column or the headers)"),
    )
    mode = forms.ChoiceField(
        label=_("Numbers are"), choices=ImportJob.Mode.choices, initial=ImportJob.Mode.AUTO
    )
    submit_key = forms.UUIDField(widget=forms.HiddenInput, required=False, initial=uuid.uuid4)
    preview_first = forms.BooleanField(
        label=_("Preview first (check the file, write nothing)"), required=False, initial=True
    )
