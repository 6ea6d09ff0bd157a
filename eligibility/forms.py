"""Forms of the screening CRFs."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eligibility.calculations import age_in_years
from eligibility.models import Demographics
from trial.forms import CrfForm

# Plausible ranges: outside is an error, inside but unusual is a warning to confirm.
HEIGHT_CM = (100, 230)
HEIGHT_USUAL_CM = (140, 200)
WEIGHT_KG = (25, 250)
WEIGHT_USUAL_KG = (40, 150)
OLDEST_AGE = 110


class DemographicsForm(CrfForm):
    complete_required = ("birth_date", "sex", "height_cm", "weight_kg")
    units = {"height_cm": "cm", "weight_kg": "kg"}

    class Meta:
        model = Demographics
        fields = ["birth_date", "sex", "height_cm", "weight_kg"]

    def clean_birth_date(self) -> date | None:
        value = self.not_in_future(self.cleaned_data.get("birth_date"))
        if value and age_in_years(value, timezone.localdate()) > OLDEST_AGE:
            raise forms.ValidationError(
                _("That gives an age over %(age)s years; check the year.") % {"age": OLDEST_AGE}
            )
        return value

    def clean_height_cm(self):
        return self._ranged("height_cm", HEIGHT_CM, HEIGHT_USUAL_CM, "cm")

    def clean_weight_kg(self):
        return self._ranged("weight_kg", WEIGHT_KG, WEIGHT_USUAL_KG, "kg")

    def _ranged(self, name: str, limits: tuple, usual: tuple, unit: str):
        value = self.cleaned_data.get(name)
        if value is None:
            return value
        low, high = limits
        if not low <= value <= high:
            raise forms.ValidationError(
                _("Enter a value between %(low)s and %(high)s %(unit)s.")
                % {"low": low, "high": high, "unit": unit}
            )
        if not usual[0] <= value <= usual[1]:
            self.warn(name, _("%(value)s %(unit)s is unusual.") % {"value": value, "unit": unit})
        return value
