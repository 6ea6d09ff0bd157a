"""The lab import's forms: the upload, a rejection's reason, a hospital identifier, and a site's
CSV columns. They validate; the actions write."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from dosing.labimport.actions import MAX_FILE_BYTES
from dosing.labimport.models import SiteCsvColumns
from trial.models import Site


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Lab file"),
        help_text=_(
            "A FHIR R4 Bundle of Observations or one Observation (.json), or the lab's CSV "
            "export (.csv) with the columns set for the site."
        ),
    )
    site = forms.ModelChoiceField(queryset=Site.objects.none(), label=_("Site"))
    dry_run = forms.BooleanField(
        label=_("Check the file only: show what it holds, queue nothing"), required=False
    )

    def __init__(self, *args: Any, sites: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["site"]).queryset = sites
        only = list(sites[:2]) if sites is not None else []
        if len(only) == 1:
            self.fields["site"].initial = only[0]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB: no lab export is.")
                % {"size": MAX_FILE_BYTES >> 20}
            )
        return upload


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": _("Why it must not enter the panel")}),
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give a reason."))
        return reason


class IdentifierForm(forms.Form):
    system = forms.CharField(
        label=_("Identifier system"),
        max_length=200,
        help_text=_("As the hospital's files write it, e.g. urn:oid:1.2.250.1.218.1.1"),
    )
    value = forms.CharField(label=_("Identifier"), max_length=100)


class CsvColumnsForm(forms.ModelForm):
    class Meta:
        model = SiteCsvColumns
        fields = [
            "participant",
            "sampled_at",
            "code",
            "value",
            "unit",
            "low",
            "high",
            "delimiter",
            "identifier_system",
        ]
        help_texts = {
            "participant": _("The participant code, or a hospital identifier (below)."),
            "identifier_system": _(
                "Leave empty when the participant column holds participant codes only."
            ),
        }

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        for name in ("participant", "sampled_at", "code", "value", "unit", "low", "high"):
            if name in data:
                data[name] = (data[name] or "").strip()
        return data
