"""Forms of the screening CRFs.

Out-of-range values are errors beside the field saying what is expected; possible but unusual
values are warnings the nurse confirms (CrfForm.warn). Checks against other forms (consent before
any study procedure, birth before diagnosis) read the few items of other forms they need, with
one small query each.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.forms import BaseInlineFormSet, ModelForm, inlineformset_factory
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from eligibility import facts
from eligibility.calculations import BILIRUBIN_UMOL_PER_MG_DL, age_in_years, bilirubin_umol_l
from eligibility.models import (
    BilirubinUnit,
    CardiovascularHistory,
    Consent,
    Demographics,
    DiseaseHistory,
    EligibilitySignoff,
    IahContraindications,
    InclusionImaging,
    LesionOrgan,
    NonTargetLesion,
    ReproductionAdministrative,
    TargetLesion,
    VitalSigns,
)
from trial import crf as crf_registry
from trial import limits
from trial.forms import (
    ALL_FIELDS,
    CrfForm,
    DateTimeInput,
    localize_dates,
    localize_numbers,
    show_limits,
)

# Plausible ranges: outside is an error, inside but outside the usual range a warning to confirm.
# The vital signs' and body measurements' are trial/limits.py's, the same on every form.
if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


OLDEST_AGE = 110
PERCENT = (0, 100)
KI67_BY_GRADE = {"G1": (0, 3), "G2": (3, 20), "G3": (20, 100)}  # WHO 2019, Ki-67 %
LVEF_PERCENT = (10, 90)
LVEF_USUAL_PERCENT = (30, 80)
BILIRUBIN_UMOL_L = (1, 850)
BILIRUBIN_USUAL_UMOL_L = (2, 100)
ALBUMIN_G_L = (5, 70)
ALBUMIN_USUAL_G_L = (20, 55)
INR = (Decimal("0.5"), 10)
INR_USUAL = (Decimal("0.8"), Decimal("3.5"))
LESION_DIAMETER_MM = (1, 300)
# RECIST 1.1: measurable lesion at least 10 mm longest diameter, lymph node at least 15 mm short
# axis; at most 5 target lesions, at most 2 per organ (lymph nodes count as one organ).
MIN_TARGET_DIAMETER_MM = 10
MIN_TARGET_NODE_SHORT_AXIS_MM = 15
MAX_TARGET_LESIONS = 5
MAX_TARGETS_PER_ORGAN = 2
MAX_NON_TARGET_LESIONS = 10


def _day(value: date | None) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else ""


class ScreeningForm(CrfForm):
    """Shared helpers of the screening forms: yes/no items, ranges, the participant's items."""

    @cached_property
    def demographics(self) -> dict[str, object]:
        """Date of birth and sex from Demographics ({} before it is entered); one small query,
        since most forms need only these."""
        if self.participant is None:
            return {}
        found = Demographics.objects.filter(
            form_status__participant=self.participant, form_status__event=facts.SCREENING_EVENT
        ).values("birth_date", "sex")
        rows = list(found)
        return dict(rows[0]) if rows else {}

    @cached_property
    def consent_day(self) -> date | None:
        """The consent's calendar day in the site's time zone, or None before it is entered."""
        if self.participant is None:
            return None
        value = (
            Consent.objects.filter(
                form_status__participant=self.participant,
                form_status__event=facts.SCREENING_EVENT,
            )
            .values_list("consent_datetime", flat=True)
            .first()
        )
        return facts.local_day(value, self.participant) if value else None

    def after_consent(self, name: str) -> date | None:
        """A study procedure's date: not in the future, and not before the consent."""
        value = self.not_in_future(self.cleaned_data.get(name))
        consent = self.consent_day
        if value and consent and value < consent:
            raise forms.ValidationError(
                _(
                    "This is before the consent (%(consent)s): a study procedure must follow "
                    "consent. Enter the procedure's date, or correct the consent form."
                )
                % {"consent": _day(consent)}
            )
        return value


class DemographicsForm(ScreeningForm):
    complete_required = ALL_FIELDS
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
        consent = self.consent_day
        if value and consent and value > consent:
            raise forms.ValidationError(
                _("This is after the consent date (%(consent)s); check the year.")
                % {"consent": _day(consent)}
            )
        return value

    def clean_height_cm(self) -> Decimal | None:
        return self.ranged("height_cm", limits.HEIGHT_CM, limits.HEIGHT_USUAL_CM, "cm")

    def clean_weight_kg(self) -> Decimal | None:
        return self.ranged("weight_kg", limits.WEIGHT_KG, limits.WEIGHT_USUAL_KG, "kg")


class ConsentForm(ScreeningForm):
    complete_required = ALL_FIELDS

    class Meta:
        model = Consent
        fields = ["consent_datetime", "form_version", "copy_given"]
        widgets = {"consent_datetime": DateTimeInput()}
        help_texts = {"form_version": _("as printed on the form, e.g. 2.1")}

    def clean_consent_datetime(self) -> datetime | None:
        value = self.cleaned_data.get("consent_datetime")
        if value is None:
            return value
        if value > timezone.now():
            raise forms.ValidationError(
                _("This is in the future; enter the date and time the consent was signed.")
            )
        day = timezone.localtime(value).date()
        birth = self.demographics.get("birth_date")
        if isinstance(birth, date) and day < birth:
            raise forms.ValidationError(_("This is before the date of birth; check the year."))
        earliest = self._earliest_procedure()
        if earliest and day > earliest[1]:
            raise forms.ValidationError(
                _(
                    "Consent must come before every study procedure, and %(what)s is dated "
                    "%(when)s. Enter the consent's real date, or correct that procedure's date."
                )
                % {"what": earliest[0], "when": _day(earliest[1])}
            )
        if self.participant is not None and day != self.participant.screening_date:
            self.warn(
                "consent_datetime",
                _("The participant was registered with screening date %(day)s.")
                % {"day": _day(self.participant.screening_date)},
            )
        return value

    def clean_copy_given(self) -> bool | None:
        value = self.cleaned_data.get("copy_given")
        if value is False:
            self.warn("copy_given", _("The participant should keep a copy of the signed form."))
        return value

    def _earliest_procedure(self) -> tuple[StrOrPromise, date] | None:
        """The earliest dated study procedure already entered: (what, day), or None."""
        if self.participant is None:
            return None
        mine = {"form_status__participant": self.participant}
        imaging = InclusionImaging.objects.filter(**mine).values("ct_date", "mri_date").first()
        vitals = VitalSigns.objects.filter(**mine).values_list("assessment_date", flat=True)
        days = [
            (_("the inclusion CT"), imaging["ct_date"] if imaging else None),
            (_("the inclusion liver MRI"), imaging["mri_date"] if imaging else None),
            (_("the eligibility vital signs"), vitals.first()),
            (
                _("the eligibility lab panel"),
                facts.lab_items(self.participant).get("LAB.sample_date"),
            ),
        ]
        dated = [(what, day) for what, day in days if isinstance(day, date)]
        return min(dated, key=lambda pair: pair[1]) if dated else None


class DiseaseHistoryForm(ScreeningForm):
    complete_required = (
        "diagnosis_date",
        "well_differentiated",
        "primary_site",
        "who_grade",
        "ki67_percent",
        "functioning_syndrome",
        "liver_involvement_percent",
        "extrahepatic_dominant_or_threatening",
        "hepatic_invasion_over_50",
    )
    units = {"ki67_percent": "%", "liver_involvement_percent": "%"}

    class Meta:
        model = DiseaseHistory
        fields = [
            "diagnosis_date",
            "well_differentiated",
            "primary_site",
            "who_grade",
            "ki67_percent",
            "functioning_syndrome",
            "liver_involvement_percent",
            "extrahepatic_sites",
            "extrahepatic_dominant_or_threatening",
            "cold_ssa_drug",
            "cold_ssa_start_date",
            "ssa_progression_date",
            "hepatic_invasion_over_50",
        ]

    def clean_diagnosis_date(self) -> date | None:
        value = self.not_in_future(self.cleaned_data.get("diagnosis_date"))
        birth = self.demographics.get("birth_date")
        if value and isinstance(birth, date) and value < birth:
            raise forms.ValidationError(_("This is before the date of birth; check the year."))
        return value

    def clean_ki67_percent(self) -> Decimal | None:
        return self.ranged("ki67_percent", PERCENT, None, "%")

    def clean_liver_involvement_percent(self) -> int | None:
        return self.ranged("liver_involvement_percent", PERCENT, None, "%")

    def clean_cold_ssa_start_date(self) -> date | None:
        return self.not_in_future(self.cleaned_data.get("cold_ssa_start_date"))

    def clean_ssa_progression_date(self) -> date | None:
        return self.not_in_future(self.cleaned_data.get("ssa_progression_date"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        diagnosis, start = data.get("diagnosis_date"), data.get("cold_ssa_start_date")
        progression = data.get("ssa_progression_date")
        if start and diagnosis and start < diagnosis:
            self.add_error(
                "cold_ssa_start_date",
                _("This is before the diagnosis (%(day)s); check both dates.")
                % {"day": _day(diagnosis)},
            )
        if progression and start and progression < start:
            self.add_error(
                "ssa_progression_date",
                _("Progression under SSA cannot precede the SSA start (%(day)s).")
                % {"day": _day(start)},
            )
        if data.get("cold_ssa_drug"):
            self.require("cold_ssa_start_date")
        if progression and not data.get("cold_ssa_drug"):
            self.add_error("cold_ssa_drug", _("Which SSA was the disease progressing under?"))
        grade, ki67 = data.get("who_grade"), data.get("ki67_percent")
        if grade and ki67 is not None:
            low, high = KI67_BY_GRADE[grade]
            if not low <= ki67 <= high:
                self.warn(
                    "ki67_percent",
                    _("Ki-67 %(ki67)s %% is unusual for grade %(grade)s.")
                    % {"ki67": formats.localize(ki67), "grade": grade},
                )
        return data


class CardiovascularHistoryForm(ScreeningForm):
    complete_required = (
        "carcinoid_heart_disease",
        "heart_failure",
        "myocardial_infarction",
        "stroke",
        "uncontrolled_hypertension",
        "pulmonary_embolism",
        "revascularisation",
        "unstable_angina",
        "uncontrolled_arrhythmia",
        "significant_bradycardia",
    )
    units = {"lvef_percent": "%"}

    class Meta:
        model = CardiovascularHistory
        fields = [
            "carcinoid_heart_disease",
            "lvef_percent",
            "heart_failure",
            "myocardial_infarction",
            "stroke",
            "uncontrolled_hypertension",
            "pulmonary_embolism",
            "revascularisation",
            "unstable_angina",
            "uncontrolled_arrhythmia",
            "significant_bradycardia",
        ]
        help_texts = {"carcinoid_heart_disease": _("events below: in the last 12 months")}

    def clean_lvef_percent(self) -> int | None:
        return self.ranged("lvef_percent", LVEF_PERCENT, LVEF_USUAL_PERCENT, "%")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # Exclusion 3 needs the LVEF only when there is carcinoid heart disease.
        if data.get("carcinoid_heart_disease"):
            self.require("lvef_percent")
        return data


class IahContraindicationsForm(ScreeningForm):
    complete_required = ALL_FIELDS
    units = {"bilirubin_entered": _("µmol/L or mg/dL"), "albumin_g_l": "g/L", "inr": _("ratio")}

    class Meta:
        model = IahContraindications
        fields = [
            "coagulation_disorder",
            "portal_thrombosis",
            "biliary_dilatation",
            "anastomosis_or_fistula",
            "cirrhosis",
            "bilirubin_entered",
            "bilirubin_unit",
            "albumin_g_l",
            "inr",
            "ascites",
            "encephalopathy",
        ]
        labels = {"bilirubin_entered": _("Total bilirubin")}

    def clean_albumin_g_l(self) -> Decimal | None:
        return self.ranged("albumin_g_l", ALBUMIN_G_L, ALBUMIN_USUAL_G_L, "g/L")

    def clean_inr(self) -> Decimal | None:
        return self.ranged("inr", INR, INR_USUAL, "")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        umol = bilirubin_umol_l(data.get("bilirubin_entered"), data.get("bilirubin_unit"))
        if umol is not None:
            unit = data.get("bilirubin_unit") or BilirubinUnit.UMOL_L
            factor = 1 if unit == BilirubinUnit.UMOL_L else BILIRUBIN_UMOL_PER_MG_DL
            low, high = (round(Decimal(v) / factor, 2) for v in BILIRUBIN_UMOL_L)
            usual = [round(Decimal(v) / factor, 2) for v in BILIRUBIN_USUAL_UMOL_L]
            if not BILIRUBIN_UMOL_L[0] <= umol <= BILIRUBIN_UMOL_L[1]:
                self.add_error(
                    "bilirubin_entered",
                    _("Enter a value between %(low)s and %(high)s %(unit)s.")
                    % {"low": formats.localize(low), "high": formats.localize(high), "unit": unit},
                )
                umol = None
            elif not BILIRUBIN_USUAL_UMOL_L[0] <= umol <= BILIRUBIN_USUAL_UMOL_L[1]:
                self.warn(
                    "bilirubin_entered",
                    _("%(value)s %(unit)s is unusual (usually %(low)s-%(high)s).")
                    % {
                        "value": formats.localize(data["bilirubin_entered"]),
                        "unit": unit,
                        "low": formats.localize(usual[0]),
                        "high": formats.localize(usual[1]),
                    },
                )
        # The µmol/L value and the score are derived by the action from the values as stored
        # (eligibility/crf.py), so that the page, the database and the rules agree.
        return data


class ReproductionForm(ScreeningForm):
    complete_required = (
        "social_security",
        "legal_protection",
        "able_to_consent",
        "other_interventional_trial",
        "mri_contraindication",
        "lutathera_contraindication",
    )

    class Meta:
        model = ReproductionAdministrative
        fields = [
            "childbearing_potential",
            "contraception_method",
            "pregnancy_test_result",
            "breast_feeding",
            "social_security",
            "legal_protection",
            "able_to_consent",
            "other_interventional_trial",
            "mri_contraindication",
            "lutathera_contraindication",
        ]
        help_texts = {
            "childbearing_potential": _("women only"),
            "contraception_method": _("choose None when no method is used"),
            "pregnancy_test_result": _("women of childbearing potential"),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        sex = self.demographics.get("sex") or None
        potential = data.get("childbearing_potential")
        if sex == "M" and potential:
            self.add_error(
                "childbearing_potential", _("Demographics say male; this applies to women only.")
            )
        if sex != "M":
            self.require("childbearing_potential")
            if sex == "F":
                self.require("breast_feeding")
        # Inclusion 9: a method (or an explicit None) for men and women who could conceive.
        if sex == "M" or potential:
            self.require("contraception_method")
        if sex == "F" and potential:
            self.require("pregnancy_test_result")
            if data.get("pregnancy_test_result") == "not_done":
                self.warn(
                    "pregnancy_test_result",
                    _("A pregnancy test is expected for a woman of childbearing potential."),
                )
        return data


class LesionForm(forms.ModelForm):
    """One lesion row: an untouched row is no lesion, a row begun must be finished."""

    needed: tuple[str, ...] = ("organ",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            if not isinstance(field.widget, forms.CheckboxInput | forms.HiddenInput):
                field.widget.attrs["class"] = f"{css} form-{css.split('-')[1]}-sm"
        localize_numbers(self)
        localize_dates(self)
        show_limits(self)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.has_changed() or self.instance.pk:
            for name in self.needed:
                if data.get(name) in (None, ""):
                    self.add_error(name, _("Required for each lesion listed."))
        return data


class TargetLesionForm(LesionForm):
    needed = ("organ", "diameter_mm")

    class Meta:
        model = TargetLesion
        fields = ["organ", "location", "diameter_mm"]
        labels = {"diameter_mm": _("Diameter")}
        help_texts = {"diameter_mm": _("mm; longest, short axis for a lymph node")}
        widgets = {"location": forms.TextInput(attrs={"placeholder": _("e.g. segment VII")})}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        organ, diameter = data.get("organ"), data.get("diameter_mm")
        if diameter is None:
            return data
        low, high = LESION_DIAMETER_MM
        if not low <= diameter <= high:
            self.add_error(
                "diameter_mm",
                _("Enter a value between %(low)s and %(high)s mm.") % {"low": low, "high": high},
            )
        elif organ == LesionOrgan.LYMPH_NODE and diameter < MIN_TARGET_NODE_SHORT_AXIS_MM:
            self.add_error(
                "diameter_mm",
                _(
                    "A lymph node is a target lesion from %(min)s mm short axis; list a "
                    "smaller node as non-target."
                )
                % {"min": MIN_TARGET_NODE_SHORT_AXIS_MM},
            )
        elif organ != LesionOrgan.LYMPH_NODE and diameter < MIN_TARGET_DIAMETER_MM:
            self.add_error(
                "diameter_mm",
                _(
                    "A target lesion measures at least %(min)s mm (longest diameter); list a "
                    "smaller lesion as non-target."
                )
                % {"min": MIN_TARGET_DIAMETER_MM},
            )
        return data


class NonTargetLesionForm(LesionForm):
    class Meta:
        model = NonTargetLesion
        fields = ["organ", "location"]
        widgets = {"location": forms.TextInput(attrs={"placeholder": _("e.g. peritoneal nodules")})}


class LesionFormSet(BaseInlineFormSet):
    too_many = _("At most %(max)s non-target lesions can be listed.")
    # The rows' labels (T1-T5 target lesions, NT1... non-target ones): a saved lesion keeps
    # its number for good; a blank row shows the label it would be given.
    letter = "NT"
    # refusals(numbers) -> {number: why it cannot be removed}, set by the form
    # (trial.crf.removal_refusals: a baseline lesion measured at follow-up stays).
    refusals: Any = None

    def row_label(self, index: int) -> str:
        return f"{self.letter}{self.row_numbers()[index]}"

    def row_numbers(self) -> list[int]:
        """Each row's number: a saved lesion's own, then the free numbers in order for the
        blank rows (as the save gives them: the lowest no lesion holds)."""
        taken = {f.instance.number for f in self.forms if f.instance.pk}
        free = (n for n in range(1, len(self.forms) + len(taken) + 1) if n not in taken)
        return [f.instance.number if f.instance.pk else next(free) for f in self.forms]

    @property
    def labelled(self) -> list[tuple[str, forms.ModelForm]]:
        """(label, row form) of each row, for the page's table."""
        return [
            (f"{self.letter}{n}", form)
            for n, form in zip(self.row_numbers(), self.forms, strict=True)
        ]

    @cached_property
    def forms(self) -> list[forms.ModelForm]:
        """Each input of a row gets the name a screen reader says, its row and its column
        ("T2 · Diameter"): the table's header alone labels none of them (WCAG 1.3.1, 4.1.2).
        Named once every row exists: a row's number depends on the saved ones."""
        rows = super().forms  # cached on the instance: row_numbers() reads it
        for row, form in zip(self.row_numbers(), rows, strict=True):
            for name, field in form.fields.items():
                if name != "DELETE" and field.label is None:
                    continue  # a hidden input (the row's id): nothing to say
                column = _("Remove") if name == "DELETE" else field.label
                field.widget.attrs["aria-label"] = f"{self.letter}{row} · {column}"
        return rows

    @property
    def kept(self) -> list[ModelForm]:
        """The rows that are lesions after this save: saved or typed, and not deleted."""
        return [
            f
            for f in self.forms
            if (f.instance.pk or f.has_changed()) and not cast(Any, self)._should_delete_form(f)
        ]

    @property
    def removed(self) -> list[ModelForm]:
        """The saved lesions this save removes (their "Remove" box ticked)."""
        return [f for f in self.forms if f.instance.pk and cast(Any, self)._should_delete_form(f)]

    def rows(self) -> list[dict[str, Any]]:
        """The lesions as saved: a saved lesion with its own number (T2 stays T2 when T1 is
        removed), a new one without (the save gives it the lowest free number)."""
        names = [n for n in self.form._meta.fields or () if n != "number"]
        return [
            {"number": form.instance.number if form.instance.pk else None}
            | {n: form.cleaned_data.get(n) for n in names}
            for form in self.kept
        ]

    def clean(self) -> None:
        super().clean()
        if self.refusals is not None:
            removed = {form.instance.number: form for form in self.removed}
            refusals = self.refusals(list(removed))
            for number, message in refusals.items():
                # Beside the row: its "Remove" box is what the nurse undoes.
                removed[number].add_error(None, message)
            if refusals:
                # A row marked for removal is not validated by the formset: this is.
                raise forms.ValidationError(
                    _("Some lesions cannot be removed (%(rows)s): see the message beside each.")
                    % {"rows": ", ".join(f"{self.letter}{n}" for n in sorted(refusals))}
                )
        # Counted here rather than with validate_max, which also counts the blank rows.
        if not any(self.errors) and len(self.kept) > self.max_num:
            raise forms.ValidationError(self.too_many % {"max": self.max_num})


class TargetLesionFormSet(LesionFormSet):
    too_many = _("RECIST 1.1 allows at most %(max)s target lesions.")
    letter = "T"

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        per_organ: dict[str, int] = {}
        for form in self.kept:
            organ = form.cleaned_data["organ"]
            per_organ[organ] = per_organ.get(organ, 0) + 1
        crowded = [LesionOrgan(o).label for o, n in per_organ.items() if n > MAX_TARGETS_PER_ORGAN]
        if crowded:
            raise forms.ValidationError(
                _(
                    "RECIST 1.1 allows at most %(max)s target lesions per organ (lymph nodes "
                    "count as one organ): %(organs)s. List the others as non-target."
                )
                % {"max": MAX_TARGETS_PER_ORGAN, "organs": ", ".join(map(str, crowded))}
            )


TargetLesions = inlineformset_factory(
    InclusionImaging,
    TargetLesion,
    form=TargetLesionForm,
    formset=TargetLesionFormSet,
    extra=MAX_TARGET_LESIONS,
    max_num=MAX_TARGET_LESIONS,
    can_delete=True,
)
NonTargetLesions = inlineformset_factory(
    InclusionImaging,
    NonTargetLesion,
    form=NonTargetLesionForm,
    formset=LesionFormSet,
    extra=3,
    max_num=MAX_NON_TARGET_LESIONS,
    can_delete=True,
)


class InclusionImagingForm(ScreeningForm):
    """Inclusion imaging with the RECIST 1.1 baseline lesions as inline formsets.

    The number of measurable target lesions the rules read is counted from the target lesions
    on each save, never typed.
    """

    complete_required = (
        "ct_date",
        "mri_date",
        "liver_dominant_or_exclusive",
        "resectable",
        "complete_response",
    )

    class Meta:
        model = InclusionImaging
        fields = ["ct_date", "mri_date", "liver_dominant_or_exclusive", "resectable"]
        fields += ["complete_response"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        data = self.data if self.is_bound else None
        prefix = self.prefix or "crf"
        self.target_lesions = TargetLesions(data, instance=self.instance, prefix=f"{prefix}-target")
        self.non_target_lesions = NonTargetLesions(
            data, instance=self.instance, prefix=f"{prefix}-nontarget"
        )
        spec = crf_registry.get(self.row.form) if self.row is not None else None
        if self.participant is not None and spec is not None:
            for name, formset in self.group_formsets().items():
                formset.refusals = partial(
                    crf_registry.removal_refusals, self.participant, spec.code, spec.group(name)
                )

    @property
    def formsets(self) -> tuple[BaseInlineFormSet, ...]:
        return tuple(self.group_formsets().values())

    def clean_ct_date(self) -> date | None:
        return self.after_consent("ct_date")

    def clean_mri_date(self) -> date | None:
        return self.after_consent("mri_date")

    def group_formsets(self) -> dict[str, Any]:
        # The number of measurable target lesions is derived from the rows by the action.
        return {
            "target_lesions": self.target_lesions,
            "non_target_lesions": self.non_target_lesions,
        }


class VitalSignsForm(ScreeningForm):
    complete_required = (
        "assessment_date",
        "systolic_bp",
        "diastolic_bp",
        "on_antihypertensive",
        "heart_rate",
        "weight_kg",
        "ecog",
    )
    units = {
        "systolic_bp": "mmHg",
        "diastolic_bp": "mmHg",
        "heart_rate": _("beats/min"),
        "weight_kg": "kg",
        "ecog": _("0-5"),
    }

    class Meta:
        model = VitalSigns
        fields = [
            "assessment_date",
            "systolic_bp",
            "diastolic_bp",
            "on_antihypertensive",
            "heart_rate",
            "weight_kg",
            "ecog",
        ]

    def clean_assessment_date(self) -> date | None:
        value = self.after_consent("assessment_date")
        c4 = self.participant.dates.get("C4") if self.participant else None
        if value and c4 and value <= c4:
            self.warn(
                "assessment_date",
                _("This is not after cycle 4 (%(day)s); eligibility follows cycle 4.")
                % {"day": _day(c4)},
            )
        return value

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
        systolic, diastolic = data.get("systolic_bp"), data.get("diastolic_bp")
        if systolic is not None and diastolic is not None and diastolic >= systolic:
            self.add_error(
                "diastolic_bp", _("The diastolic pressure must be below the systolic one.")
            )
        return data


class EligibilitySignoffForm(CrfForm):
    """The ELIGSIGN slot's form. The sign-off is made by a signature on the sign-off page, never
    by saving this form, so a submission here is always refused."""

    class Meta:
        model = EligibilitySignoff
        fields: list[str] = []

    def clean(self) -> dict[str, Any]:
        raise forms.ValidationError(
            _("Eligibility is signed off by the investigator's signature on this page.")
        )
