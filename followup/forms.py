"""Forms of the follow-up CRFs: visit, RECIST 1.1 assessment, end of study.

They validate and never write; followup/crf.py registers them and trial.actions.save_crf saves
what crf_data() returns. Every refusal says why beside the field, and keeps what was typed.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from followup import selectors
from followup.derived import NODE, NODE_NORMAL_BELOW_MM
from followup.models import (
    EndOfStudy,
    EndStatus,
    FollowUpVisit,
    LesionState,
    NonTargetStatus,
    RecistAssessment,
)
from trial import limits
from trial.forms import CrfForm, YesNoField, localize_dates, localize_numbers
from trial.languages import shown_date

LESION_SIZE_MM = 400


def _day(value: date) -> str:
    return shown_date(value)


VISIT_WINDOW = _("This is outside the visit window (%(opens)s to %(closes)s).")


def warn_outside_window(form: CrfForm, name: str) -> date | None:
    """A visit's date: not in the future; outside the event's window, a warning to confirm."""
    return form.outside_window(name, VISIT_WINDOW)


class FollowUpVisitForm(CrfForm):
    units = {
        "systolic_bp": "mmHg",
        "diastolic_bp": "mmHg",
        "heart_rate": _("beats/min"),
        "weight_kg": "kg",
    }

    class Meta:
        model = FollowUpVisit
        fields = [
            "visit_date",
            "ecog",
            "systolic_bp",
            "diastolic_bp",
            "heart_rate",
            "weight_kg",
            "missed",
            "missed_reason",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            # Most visits take place: "missed" starts at No, the nurse changes it if not.
            self.initial.setdefault("missed", False)

    def clean_visit_date(self) -> date | None:
        return warn_outside_window(self, "visit_date")

    def clean_systolic_bp(self) -> int | None:
        return self.ranged("systolic_bp", limits.SYSTOLIC_MMHG, limits.SYSTOLIC_USUAL_MMHG, "mmHg")

    def clean_diastolic_bp(self) -> int | None:
        return self.ranged(
            "diastolic_bp", limits.DIASTOLIC_MMHG, limits.DIASTOLIC_USUAL_MMHG, "mmHg"
        )

    def clean_heart_rate(self) -> int | None:
        return self.ranged("heart_rate", limits.HEART_RATE, limits.HEART_RATE_USUAL, _("beats/min"))

    def clean_weight_kg(self) -> Decimal | None:
        return self.ranged("weight_kg", limits.WEIGHT_KG, limits.WEIGHT_USUAL_KG, "kg")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("missed"):
            self.require("missed_reason")
        else:
            for name in ("visit_date", "ecog", "systolic_bp", "diastolic_bp", "heart_rate"):
                self.require(name)
            self.require("weight_kg")
            self.require("missed")
        systolic, diastolic = data.get("systolic_bp"), data.get("diastolic_bp")
        if systolic is not None and diastolic is not None and diastolic >= systolic:
            self.add_error(
                "diastolic_bp", _("The diastolic pressure must be below the systolic one.")
            )
        return data


# --- RECIST 1.1 ---------------------------------------------------------------------------


STATE_CHOICES = [("", _("As one lesion")), *LesionState.choices]


class MeasurementForm(forms.Form):
    """Today's size of one baseline target lesion (its number is the baseline's), or what
    became of it: not evaluable, split, merged into another target lesion."""

    number = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    present = YesNoField(label=_("Present"), required=False)
    size_mm = forms.DecimalField(label=_("Size"), required=False, max_digits=5, decimal_places=1)
    state = forms.ChoiceField(label=_("State"), required=False, choices=STATE_CHOICES)
    # A label, checked in clean() (a lesion absent at baseline gets its own message).
    merged_into = forms.CharField(label=_("Merged into"), required=False, max_length=4)

    def __init__(self, *args: Any, lesions: dict[int, dict[str, Any]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lesions = lesions or {}
        self.fields["present"].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["size_mm"].widget.attrs["class"] = "form-control form-control-sm"
        self.fields["state"].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["merged_into"].widget = forms.Select(
            choices=[("", "—"), *((f"T{n}", f"T{n}") for n in sorted(self.lesions))],
            attrs={"class": "form-select form-select-sm"},
        )
        localize_numbers(self)
        localize_dates(self)

    @property
    def lesion(self) -> dict[str, Any] | None:
        number = self["number"].value()
        try:
            return self.lesions.get(int(number))
        except (TypeError, ValueError):
            return None

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        number, present, size = data.get("number"), data.get("present"), data.get("size_mm")
        if number is not None and number not in self.lesions:
            raise forms.ValidationError(
                _(
                    "T%(n)s is not a baseline target lesion. RECIST 1.1 measures only the "
                    "lesions chosen at baseline: record a lesion that appeared since as a new "
                    "lesion."
                )
                % {"n": number}
            )
        organ = (self.lesions.get(number) or {}).get("organ") if number is not None else None
        state = data.get("state") or ""
        if state or data.get("merged_into"):
            self._clean_state(number, state, present, size)
            return data
        if size is not None and size < 0:
            self.add_error("size_mm", _("A size cannot be negative."))
        elif size is not None and size > LESION_SIZE_MM:
            self.add_error("size_mm", _("Enter a size up to %(max)s mm.") % {"max": LESION_SIZE_MM})
        elif present is True and size is not None and size == 0:
            self.add_error(
                "size_mm",
                _(
                    "A lesion marked present measures more than 0 mm. If it has disappeared, "
                    "answer No to present."
                ),
            )
        elif present is True and size is None:
            self.add_error("size_mm", _("Enter the size of a lesion that is present."))
        elif present is False and size and organ != NODE:
            self.add_error(
                "size_mm",
                _("A lesion that has disappeared measures 0 mm; leave the size empty or 0."),
            )
        elif present is False and organ == NODE and size and size >= NODE_NORMAL_BELOW_MM:
            self.add_error(
                "size_mm",
                _(
                    "A lymph node of %(min)s mm or more short axis is still pathological: "
                    "answer Yes to present."
                )
                % {"min": NODE_NORMAL_BELOW_MM},
            )
        elif present is None and size is not None:
            self.add_error("present", _("Say whether the lesion is still present."))
        return data

    def _clean_state(self, number: int | None, state: str, present: Any, size: Any) -> None:
        """A lesion not evaluable, split or merged (RECIST 1.1 sections 4.3.2 and 4.4.2):
        each refusal beside the item that is wrong."""
        data = self.cleaned_data
        merged_into = (data.get("merged_into") or "").strip().upper()
        data["merged_into"] = merged_into
        if merged_into and state != LesionState.MERGED:
            self.add_error(
                "merged_into",
                _(
                    "Only a lesion marked merged is merged into another: choose Merged or leave "
                    "this empty."
                ),
            )
        if size is not None and size < 0:
            self.add_error("size_mm", _("A size cannot be negative."))
        elif size is not None and size > LESION_SIZE_MM:
            self.add_error("size_mm", _("Enter a size up to %(max)s mm.") % {"max": LESION_SIZE_MM})
        if state == LesionState.NOT_EVALUABLE:
            if present is not None:
                self.add_error(
                    "present",
                    _("A lesion not evaluable cannot be said present or not: leave this empty."),
                )
            if size is not None:
                self.add_error(
                    "size_mm", _("A lesion not evaluable has no size: leave the size empty.")
                )
        elif state == LesionState.SPLIT:
            if present is not True:
                self.add_error(
                    "present",
                    _("A lesion that split is present in its fragments: answer Yes."),
                )
            if size is None or size == 0:
                self.add_error(
                    "size_mm",
                    _("Enter the sum of the longest diameters of the fragments."),
                )
        elif state == LesionState.MERGED:
            label = f"T{number}"
            if not merged_into:
                self.add_error("merged_into", _("Choose the target lesion it merged into."))
            elif merged_into == label:
                self.add_error(
                    "merged_into",
                    _("%(label)s cannot be merged into itself: choose the lesion it merged into.")
                    % {"label": label},
                )
            elif merged_into not in {f"T{n}" for n in self.lesions}:
                self.add_error(
                    "merged_into",
                    _(
                        "%(label)s is not a baseline target lesion: a lesion merges into "
                        "another target lesion chosen at baseline."
                    )
                    % {"label": merged_into},
                )
            if size:
                self.add_error(
                    "size_mm",
                    _(
                        "A merged lesion is measured under %(into)s, the lesion it merged into: "
                        "leave its own size empty (it counts 0 in the sum)."
                    )
                    % {"into": merged_into or _("the lesion it merged into")},
                )
            elif present is False:
                self.add_error(
                    "present",
                    _(
                        "A merged lesion is still there, within %(into)s: answer Yes or leave "
                        "this empty."
                    )
                    % {"into": merged_into or _("the lesion it merged into")},
                )
            else:
                # Recorded with size 0 (RECIST 1.1 4.3.2): what it measured is in the other's.
                data["size_mm"] = Decimal(0)


class BaseMeasurementFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, lesions: dict[int, dict[str, Any]], **kwargs: Any) -> None:
        self.lesions = lesions
        super().__init__(*args, **kwargs)

    def row_label(self, index: int) -> str:
        """The baseline target lesion a row measures: T1-T5."""
        return f"T{self.forms[index]['number'].value()}"

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {"lesions": self.lesions}

    @cached_property
    def forms(self) -> list[forms.Form]:
        """Each input of a row gets the name a screen reader says, its lesion and its column
        ("T2 · Size"): the table's header alone labels none of them (WCAG 1.3.1, 4.1.2)."""
        rows = super().forms
        for form in rows:
            lesion = f"T{form['number'].value()}"
            for name, field in form.fields.items():
                field.widget.attrs["aria-label"] = f"{lesion} · {field.label or name}"
        return rows

    def rows(self) -> list[dict[str, Any]]:
        """One row per baseline lesion measured, keyed by the baseline's number (an empty row
        is a lesion not evaluated: the target response is then NE)."""
        return [
            {
                n: f.cleaned_data.get(n)
                for n in ("number", "present", "size_mm", "state", "merged_into")
            }
            for f in self.forms
            if f.cleaned_data.get("number") is not None
        ]

    def clean(self) -> None:
        if any(self.errors):
            return
        # An untouched extra row is not cleaned (no number): it is no measurement, no duplicate.
        numbers = [f.cleaned_data.get("number") for f in self.forms]
        numbers = [n for n in numbers if n is not None]
        if len(numbers) != len(set(numbers)):
            raise forms.ValidationError(_("Each baseline lesion is measured once."))
        # A merged lesion's size is the one recorded under the lesion it merged into: that one
        # is measured at this visit, present, as one lesion or split.
        by_label = {
            f"T{f.cleaned_data['number']}": f.cleaned_data
            for f in self.forms
            if f.cleaned_data.get("number") is not None
        }
        for form in self.forms:
            row = form.cleaned_data
            into = row.get("merged_into")
            if row.get("state") != LesionState.MERGED or not into or into not in by_label:
                continue
            target = by_label[into]
            if (
                target.get("state") not in ("", None, LesionState.SPLIT)
                or target.get("present") is not True
                or not target.get("size_mm")
            ):
                form.add_error(
                    "merged_into",
                    _(
                        "%(into)s, the lesion it merged into, must be measured at this visit: "
                        "present, with the size of the merged lesion."
                    )
                    % {"into": into},
                )


MeasurementFormSet = forms.formset_factory(
    MeasurementForm, formset=BaseMeasurementFormSet, extra=0, max_num=5
)


class RecistForm(CrfForm):
    complete_required = (
        "imaging_date",
        "non_target_status",
        "new_lesions",
        "unequivocal_progression",
    )

    class Meta:
        model = RecistAssessment
        fields = [
            "imaging_date",
            "non_target_status",
            "new_lesions",
            "new_lesion_site",
            "unequivocal_progression",
            "progression_site",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lesions = {t["number"]: t for t in (self.baseline or {}).get("targets", [])}
        initial = []
        saved = {}
        if self.instance.pk:
            saved = {m.number: m for m in self.instance.measurements.all()}
        for number in lesions:
            m = saved.get(number)
            initial.append(
                {
                    "number": number,
                    "present": m.present if m else None,
                    "size_mm": m.size_mm if m else None,
                    "state": m.state if m else "",
                    "merged_into": m.merged_into if m else "",
                }
            )
        data = self.data if self.is_bound else None
        self.measurements = MeasurementFormSet(  # type: ignore[call-arg]  # its own keyword
            data, initial=initial, prefix=f"{self.prefix or 'crf'}-measurements", lesions=lesions
        )
        if self.baseline is not None and not self.baseline.get("non_targets"):
            self.fields["non_target_status"].help_text = _(
                "No non-target lesion at baseline: choose None at baseline."
            )

    @cached_property
    def baseline(self) -> dict[str, Any] | None:
        return selectors.baseline_of(self.participant) if self.participant else None

    def group_formsets(self) -> dict[str, Any]:
        return {"measurements": self.measurements}

    def clean_imaging_date(self) -> date | None:
        value = warn_outside_window(self, "imaging_date")
        baseline_day = (self.baseline or {}).get("imaging_date")
        if value and baseline_day and value <= baseline_day:
            raise forms.ValidationError(
                _(
                    "This is not after the baseline imaging (%(day)s): a follow-up assessment "
                    "compares with the baseline, so it comes after it."
                )
                % {"day": _day(baseline_day)}
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.complete and self.baseline is None:
            raise forms.ValidationError(
                _("The RECIST baseline (inclusion imaging) must be entered first.")
            )
        if self.complete and self.baseline is not None and not self.baseline["targets"]:
            raise forms.ValidationError(_("No target lesion was recorded at baseline."))
        status = data.get("non_target_status")
        if status == NonTargetStatus.NONE and self.baseline and self.baseline.get("non_targets"):
            self.add_error(
                "non_target_status",
                _("Non-target lesions were recorded at baseline; give their status."),
            )
        if (
            status
            and status != NonTargetStatus.NONE
            and self.baseline
            and not self.baseline.get("non_targets")
        ):
            self.add_error(
                "non_target_status",
                _("No non-target lesion was recorded at baseline: choose None at baseline."),
            )
        if data.get("new_lesions"):
            self.require("new_lesion_site")
        if data.get("unequivocal_progression"):
            self.require("progression_site")
        return data


# --- End of study ---------------------------------------------------------------------------


class EndOfStudyForm(CrfForm):
    complete_required = ("status", "end_date")

    class Meta:
        model = EndOfStudy
        fields = ["status", "end_date", "death_date", "death_cause", "details"]

    def clean_end_date(self) -> date | None:
        value = self.not_in_future(self.cleaned_data.get("end_date"))
        if value and self.participant is not None and value < self.participant.screening_date:
            raise forms.ValidationError(_("The end of study cannot be before screening."))
        return value

    def clean_death_date(self) -> date | None:
        return self.not_in_future(self.cleaned_data.get("death_date"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        status = data.get("status")
        if status == EndStatus.DEATH:
            self.require("death_date")
            self.require("death_cause")
            death, end = data.get("death_date"), data.get("end_date")
            if death and end and death > end:
                self.add_error("death_date", _("The date of death is after the end of study."))
        elif data.get("death_date") or data.get("death_cause"):
            self.add_error("status", _("A date or cause of death is given: choose Death."))
        if status in (EndStatus.OTHER, EndStatus.INVESTIGATOR):
            self.require("details")
        participant = self.participant
        if status == EndStatus.COMPLETED and participant and "M18" not in participant.dates:
            self.warn("status", _("The M18 visit has no date yet."))
        return data
