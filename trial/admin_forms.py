"""The administrator's forms (trial/admin_views.py): each change carries its reason."""

from __future__ import annotations

import zoneinfo
from typing import cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from trial import roles
from trial.forms import DateInput, bound_dates, localize_dates
from trial.models import Site

REASON_MAX = 200


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=REASON_MAX,
        widget=forms.TextInput(attrs={"data-maxlength": REASON_MAX}),
        error_messages={"required": _("Give the reason for this change.")},
    )


class AccountForm(ReasonForm):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("E-mail address"), required=False)

    field_order = ["first_name", "last_name", "email", "reason"]


class NewAccountForm(AccountForm):
    username = forms.RegexField(
        label=_("User name"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        error_messages={"invalid": _("Letters, digits and @ . + - _ only.")},
    )
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=True),
        help_text=_("At least 12 characters; hand it over in person."),
    )

    field_order = ["username", "first_name", "last_name", "email", "password", "reason"]


class PasswordResetForm(ReasonForm):
    password = forms.CharField(
        label=_("New password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=True),
    )

    field_order = ["password", "reason"]


class AssignmentForm(ReasonForm):
    role = forms.ChoiceField(label=_("Role"), choices=[])
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none())
    starts_on = forms.DateField(label=_("First day"), widget=DateInput())
    ends_on = forms.DateField(
        label=_("Last day (included)"),
        required=False,
        widget=DateInput(),
        help_text=_("Empty: until ended."),
    )

    field_order = ["role", "site", "starts_on", "ends_on", "reason"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["role"]).choices = [(r, _(r)) for r in roles.ALL]
        cast(forms.ModelChoiceField, self.fields["site"]).queryset = Site.objects.order_by("code")
        # Typed the reader's way (28/09/2026 in French), not the browser picker's.
        localize_dates(self)
        bound_dates(self)

    def clean(self):
        data = super().clean()
        start, end = data.get("starts_on"), data.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", _("The end date is before the start date."))
        return data


class EndAssignmentForm(ReasonForm):
    ends_on = forms.DateField(
        label=_("Last day"),
        widget=DateInput(
            attrs={"class": "form-control form-control-sm", "aria-label": _("Last day")}
        ),
    )

    field_order = ["ends_on", "reason"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        localize_dates(self)
        bound_dates(self)


def _time_zones() -> list[tuple[str, str]]:
    return [(zone, zone) for zone in sorted(zoneinfo.available_timezones())]


class SiteForm(ReasonForm):
    code = forms.RegexField(
        label=_("Code"),
        max_length=8,
        regex=r"^[A-Za-z0-9]+$",
        error_messages={"invalid": _("Letters and digits only (e.g. BDX).")},
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=_time_zones)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    field_order = ["code", "name", "time_zone", "language", "reason"]


class RolesReportForm(forms.Form):
    site = forms.ModelChoiceField(
        label=_("Site"),
        queryset=Site.objects.order_by("code"),
        required=False,
        empty_label=_("All sites"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
