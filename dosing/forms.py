"""Forms of the dosing CRFs: IV cycle, lab panel, adverse event, concomitant medication.

Every check says what is wrong beside the field, in plain words; values that are possible but
unusual are confirmed by the nurse (CrfForm.warn) rather than refused. The science (grades,
intervals, activity ranges) comes from dosing.calculations; the wording is ours, for translation.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.validators import DecimalValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from dosing import calculations as calc
from dosing import ctcae, labs
from dosing.models import (
    SERIOUS_CRITERIA,
    AdverseEvent,
    ConcomitantMedication,
    CycleAdministration,
    DoseModification,
    IahDose,
    LabPanel,
    ModificationReason,
    Outcome,
)
from dosing.selectors import causality_due
from trial import decay
from trial.crf import model_field
from trial.forms import CrfForm, DateTimeInput
from trial.languages import shown_date

# The same words as a required field's own message, for items required only in some cases.
REQUIRED = forms.Field.default_error_messages["required"]


# --- Shared pieces ------------------------------------------------------------------------------


def _label(model: type[models.Model], name: str) -> str:
    return capfirst(str(model_field(model, name).verbose_name))


def _relax_digits(field: forms.Field) -> None:
    """Let any number of whole digits through to the clean methods.

    The model's max_digits would refuse 7400 GBq or a platelet count of 5 000 000 with a message
    about digits; our range checks say what is actually wrong (and suggest the unit).
    """
    if isinstance(field, forms.DecimalField):
        field.max_digits = None
        field.validators = [
            DecimalValidator(None, v.decimal_places) if isinstance(v, DecimalValidator) else v
            for v in field.validators
        ]


def _tidy_decimals(form: forms.ModelForm) -> None:
    """Show saved numbers as typed (7.4, 800), not with the column's places (7.40, 800.000)."""
    for name, value in form.initial.items():
        if isinstance(value, Decimal):
            form.initial[name] = labs.number(value)


def _num(value: Any) -> str:
    return labs.number(value)


def _in_sentence(label: Any) -> str:
    """A label inside a sentence: "haemoglobin", but "ALT" and "INR" stay as they are."""
    text = str(label)
    return text if text[:2].isupper() else text[:1].lower() + text[1:]


def _cycle_number(row: Any) -> int | None:
    event = getattr(row, "event", "")
    if event in ("C1", "C2", "C3", "C4"):
        return int(event[1:])
    return None


# --- IV cycle -----------------------------------------------------------------------------------

# Our reading: an administered activity more than 10 % away from the prescription is unusual
# enough to confirm (the label's tolerance is site practice, not a protocol rule).
ACTIVITY_DIFFERENCE_TO_CONFIRM = 0.10
# A dose recorded as "not modified" below this looks like an unrecorded reduction.
UNRECORDED_REDUCTION_GBQ = 0.75 * calc.FULL_ACTIVITY_GBQ


class CycleForm(CrfForm):
    complete_required = ("dose_modification",)
    units = {"prescribed_gbq": "GBq", "administered_gbq": "GBq"}
    # Needed for a complete form unless the cycle was cancelled.
    given_required = (
        "administration_date",
        "prescribed_gbq",
        "administered_gbq",
        "amino_acids",
        "residual_uptake",
    )

    class Meta:
        model = CycleAdministration
        fields = [
            "administration_date",
            "prescribed_gbq",
            "administered_gbq",
            "amino_acids",
            "last_ssa_date",
            "residual_uptake",
            "dose_modification",
            "modification_reason",
            "modification_details",
        ]
        help_texts = {
            "residual_uptake": _("24-h post-therapy 177Lu scintigraphy."),
            "last_ssa_date": _("Leave empty if the participant receives no long-acting SSA."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _tidy_decimals(self)
        for name in ("prescribed_gbq", "administered_gbq"):
            _relax_digits(self.fields[name])

    def clean_administration_date(self) -> date | None:
        return self.not_in_future(self.cleaned_data.get("administration_date"))

    def clean_last_ssa_date(self) -> date | None:
        return self.not_in_future(self.cleaned_data.get("last_ssa_date"))

    def clean_prescribed_gbq(self) -> Decimal | None:
        return self._activity("prescribed_gbq")

    def clean_administered_gbq(self) -> Decimal | None:
        return self._activity("administered_gbq")

    def _activity(self, name: str) -> Decimal | None:
        value = self.cleaned_data.get(name)
        if value is None:
            return value
        if value < 0:
            raise forms.ValidationError(_("An activity cannot be negative."))
        if calc.activity_check(float(value)).level == "error":
            suggestion = calc.mbq_suggestion(float(value))
            if suggestion is not None:
                raise forms.ValidationError(
                    _("%(value)s GBq looks like MBq: did you mean %(gbq)s GBq?")
                    % {"value": _num(value), "gbq": _num(suggestion)}
                )
            raise forms.ValidationError(
                _("%(value)s GBq is outside the plausible range %(low)s–%(high)s GBq.")
                % {
                    "value": _num(value),
                    "low": _num(calc.ACTIVITY_MIN_GBQ),
                    "high": _num(calc.ACTIVITY_MAX_GBQ),
                }
            )
        return value

    def clean(self) -> dict:
        data = super().clean()
        modification = data.get("dose_modification") or ""
        reason = data.get("modification_reason") or ""
        cancelled = modification == DoseModification.CANCELLED
        if cancelled:
            for name in ("administration_date", "administered_gbq"):
                if data.get(name) is not None:
                    self.add_error(
                        name,
                        _("A cancelled cycle was not given: leave this empty."),
                    )
        elif self.complete:
            self._require(data, self.given_required)
        if modification in ("", DoseModification.NONE):
            if reason:
                self.add_error(
                    "modification_reason",
                    _("No dose modification is recorded: clear the reason, or record it."),
                )
        elif self.complete and not reason:
            self.add_error("modification_reason", REQUIRED)
        if reason == ModificationReason.OTHER and self.complete:
            self._require(data, ("modification_details",))
        self._check_dates(data, modification, reason)
        self._check_activities(data, modification)
        return data

    def _require(self, data: dict, names: tuple[str, ...]) -> None:
        for name in names:
            if data.get(name) in (None, "") and name not in self.errors:
                self.add_error(name, REQUIRED)

    def _previous_dates(self) -> tuple[tuple[str, date] | None, tuple[str, date] | None]:
        """The latest cycle given before this one and the next one recorded, from the schedule's
        dates (kept by save_crf from each cycle's administration date)."""
        number = _cycle_number(self.row)
        if number is None or self.participant is None:
            return None, None
        dates = self.participant.dates
        before = [(f"C{n}", dates[f"C{n}"]) for n in range(1, number) if f"C{n}" in dates]
        after = [(f"C{n}", dates[f"C{n}"]) for n in range(number + 1, 5) if f"C{n}" in dates]
        return (before[-1] if before else None), (after[0] if after else None)

    def _check_dates(self, data: dict, modification: str, reason: str) -> None:
        given = data.get("administration_date")
        if given is None:
            return
        previous, following = self._previous_dates()
        if previous is not None:
            code, previous_date = previous
            after_toxicity = (
                modification == DoseModification.DELAYED and reason == ModificationReason.TOXICITY
            )
            check = calc.cycle_interval_check(previous_date, given, after_toxicity=after_toxicity)
            days = (given - previous_date).days
            words = {
                "days": days,
                "weeks": _num(round(days / 7, 1)),
                "cycle": code,
                "date": shown_date(previous_date),
            }
            if check.level == "error" and days <= 0:
                self.add_error(
                    "administration_date",
                    _("The administration date must be after %(cycle)s (%(date)s).") % words,
                )
            elif check.level == "error":
                self.add_error(
                    "administration_date",
                    _(
                        "%(days)s days (%(weeks)s weeks) after %(cycle)s: more than 16 weeks, "
                        "the longest delay allowed."
                    )
                    % words,
                )
            elif check.level == "warning":
                window = (
                    _("7 to 16 weeks after a toxicity") if after_toxicity else _("8 weeks ± 1 week")
                )
                self.warn(
                    "administration_date",
                    _(
                        "%(days)s days (%(weeks)s weeks) after %(cycle)s: "
                        "outside the expected %(window)s."
                    )
                    % {**words, "window": window},
                )
        if following is not None and given >= following[1]:
            self.add_error(
                "administration_date",
                _("The administration date must be before %(cycle)s (%(date)s).")
                % {"cycle": following[0], "date": shown_date(following[1])},
            )
        ssa = data.get("last_ssa_date")
        if ssa is not None:
            check = calc.ssa_gap_check(ssa, given)
            if check.level == "error":
                self.add_error(
                    "last_ssa_date",
                    _("The last long-acting SSA injection is dated after this administration."),
                )
            elif check.level == "warning":
                self.warn(
                    "last_ssa_date",
                    _(
                        "The last long-acting SSA injection was %(days)s days before "
                        "administration; the label asks for at least 4 weeks (28 days)."
                    )
                    % {"days": (given - ssa).days},
                )

    def _check_activities(self, data: dict, modification: str) -> None:
        prescribed, given = data.get("prescribed_gbq"), data.get("administered_gbq")
        if prescribed and given is not None:
            difference = abs(float(given) - float(prescribed)) / float(prescribed)
            if difference > ACTIVITY_DIFFERENCE_TO_CONFIRM:
                self.warn(
                    "administered_gbq",
                    _("%(given)s GBq given for %(prescribed)s GBq prescribed.")
                    % {"given": _num(given), "prescribed": _num(prescribed)},
                )
        if given is None:
            return
        if modification == DoseModification.REDUCED and given >= calc.FULL_ACTIVITY_GBQ * 0.9:
            self.warn(
                "administered_gbq",
                _("The dose is recorded as reduced but %(given)s GBq was given.")
                % {"given": _num(given)},
            )
        if modification in ("", DoseModification.NONE) and given < UNRECORDED_REDUCTION_GBQ:
            self.warn(
                "administered_gbq",
                _("%(given)s GBq is below the full dose: record the reduction and its reason.")
                % {"given": _num(given)},
            )


# --- Lab panel ----------------------------------------------------------------------------------


def _lab_model_fields() -> list[str]:
    names = ["sample_date"]
    for item in labs.LAB_ITEMS:
        names += [n for n in (item.input_field, item.unit_field, item.limit_input_field) if n]
    return names


class LabForm(CrfForm):
    """Values typed with their unit; the canonical fields are filled from them on save."""

    complete_required = (
        "sample_date",
        "haemoglobin_g_dl",
        "neutrophils_entered",
        "platelets_entered",
        "creatinine_entered",
        "alt_u_l",
        "alt_uln",
        "ast_u_l",
        "ast_uln",
        "bilirubin_entered",
        "bilirubin_uln_entered",
    )
    units = {
        name: item.unit
        for item in labs.LAB_ITEMS
        if not item.switchable and item.unit
        for name in (item.input_field, item.limit_input_field)
        if name
    }

    class Meta:
        model = LabPanel
        fields = _lab_model_fields()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _tidy_decimals(self)
        self.canonical: dict[str, Any] = {}
        if not self.is_bound:
            self.canonical = labs.panel_values(self.instance)
        for name in self.units:
            # The lab grid (dosing/_lab_row.html) puts the units beside the boxes itself.
            widget = self.fields[name].widget
            widget.template_name = type(widget).template_name
        for item in labs.LAB_ITEMS:
            value = self.fields[item.input_field]
            value.label = str(item.label)
            _relax_digits(value)
            if item.limit_input_field:
                limit = self.fields[item.limit_input_field]
                limit.label = str(labs.LIMIT_LABELS[item.limit_kind])
                limit.help_text = ""
                _relax_digits(limit)
            if item.unit_field:
                unit = self.fields[item.unit_field]
                unit.label = _("Unit")
                unit.widget.attrs.update(
                    {
                        "class": "unit-select",
                        "aria-label": _("%(item)s unit") % {"item": item.label},
                    }
                )
        self._baseline: dict[str, Any] | None = None
        self._baseline_read = False

    # Cross-field: a value's meaning depends on its unit, so the checks run in clean().
    def clean(self) -> dict:
        data = super().clean()
        canonical: dict[str, Any] = {"sample_date": data.get("sample_date")}
        for item in labs.LAB_ITEMS:
            unit = data.get(item.unit_field) if item.unit_field else item.unit
            if item.unit_field and item.unit_field not in data:
                continue  # the unit itself is wrong; its own error says so
            canonical[item.field] = self._clean_value(item, item.input_field, unit, data)
            if item.limit and item.limit_input_field:
                canonical[item.limit] = self._clean_value(
                    item, item.limit_input_field, unit, data, limit=True
                )
        self.canonical = canonical
        self._check_sample_date(data)
        if self.complete and self.row is not None and self.row.event == "ELIG":
            # Eligibility reads albumin with prothrombin time or INR (exclusion 6).
            if data.get("albumin_g_l") is None and "albumin_g_l" not in self.errors:
                self.add_error("albumin_g_l", REQUIRED)
            if (
                data.get("prothrombin_percent") is None
                and data.get("inr") is None
                and "prothrombin_percent" not in self.errors
                and "inr" not in self.errors
            ):
                self.add_error("inr", _("Enter the prothrombin time or the INR."))
        return data

    def _clean_value(
        self, item: labs.LabItem, name: str, unit: str | None, data: dict, *, limit: bool = False
    ) -> Decimal | None:
        value = data.get(name)
        if value is None:
            return None
        if value < 0:
            self.add_error(name, _("A lab value cannot be negative."))
            return None
        low, high = (item.limit_plausible or item.plausible) if limit else item.plausible
        # Compared before rounding into the column: a huge typed number must give a message,
        # not an overflow.
        per_unit = labs.factor(item, unit)
        number = float(value) * per_unit
        shown_unit = labs.unit_label(unit or item.unit)

        def with_unit(text: str) -> str:  # INR has no unit: no dangling space
            return f"{text} {shown_unit}".strip()

        if not low <= number <= high:
            message = _("%(value)s is not plausible for %(what)s (%(range)s).") % {
                "value": with_unit(_num(value)),
                "what": (
                    _("the %(item)s %(limit)s")
                    % {"item": item.label, "limit": labs.LIMIT_LABELS[item.limit_kind]}
                    if limit
                    else _in_sentence(item.label)
                ),
                "range": with_unit(
                    _("%(low)s to %(high)s")
                    % {"low": _num(low / per_unit), "high": _num(high / per_unit)}
                ),
            }
            hint = self._unit_hint(item, value, unit, (low, high))
            self.add_error(name, f"{message} {hint}" if hint else message)
            return None
        canonical = labs.to_canonical(item, value, unit)
        if not limit and not item.usual[0] <= canonical <= item.usual[1]:
            self.warn(
                name,
                _("%(value)s is unusual for %(item)s.")
                % {"value": with_unit(_num(value)), "item": _in_sentence(item.label)},
            )
        return canonical

    @staticmethod
    def _unit_hint(
        item: labs.LabItem, value: Decimal, unit: str | None, bounds: tuple[float, float]
    ) -> str:
        """Suggest the unit the value makes sense in: the commonest cause of an odd value."""
        low, high = bounds
        if item.switchable:
            for other in labs.unit_choices(item):
                if other != unit and low <= float(value) * labs.factor(item, other) <= high:
                    return str(
                        _("Is it in %(unit)s? Choose the unit the lab report uses.")
                        % {"unit": labs.unit_label(other)}
                    )
        elif item.slip_unit:
            slip, to_canonical = item.slip_unit
            meant = float(value) * to_canonical
            if low <= meant <= high:
                return str(
                    _("If the report gives %(value)s %(slip)s, enter %(meant)s %(unit)s.")
                    % {
                        "value": _num(value),
                        "slip": slip,
                        "meant": _num(meant),
                        "unit": item.unit,
                    }
                )
        return ""

    def _check_sample_date(self, data: dict) -> None:
        sample = data.get("sample_date")
        if sample is None:
            return
        if sample > timezone.localdate():
            self.add_error(
                "sample_date", _("This date is in the future; enter the date it happened.")
            )
            return
        if self.participant is None or self.row is None:
            return
        dates = self.participant.dates
        event = self.row.event
        if _cycle_number(self.row) and event in dates and sample > dates[event]:
            self.warn(
                "sample_date",
                _("This pre-cycle panel is dated after the cycle (%(date)s).")
                % {"date": shown_date(dates[event])},
            )
        if event == "ELIG" and "C4" in dates and sample <= dates["C4"]:
            # Refused, not confirmed: inclusion 7 needs labs after C4 (PROTOCOL.md section 4).
            self.add_error(
                "sample_date",
                _("Eligibility labs must be sampled after cycle 4 (given on %(date)s).")
                % {"date": shown_date(dates["C4"])},
            )

    # --- Display: grades beside each value ---

    def baseline(self) -> dict[str, Any] | None:
        """The participant's earliest other panel sampled before this one (one query, cached)."""
        if not self._baseline_read:
            self._baseline_read = True
            if self.participant is not None:
                panels = LabPanel.objects.filter(
                    form_status__participant=self.participant, sample_date__isnull=False
                )
                if self.row is not None:
                    panels = panels.exclude(form_status=self.row)
                sample = self.canonical.get("sample_date")
                if sample is not None:
                    panels = panels.filter(sample_date__lt=sample)
                first = panels.order_by("sample_date", "pk").first()
                self._baseline = labs.panel_values(first) if first else None
        return self._baseline

    def grades(self) -> dict[str, labs.Grade]:
        return labs.grades(self.canonical, self.baseline())

    def lab_rows(self) -> list[dict[str, Any]]:
        """One row per item for the template: the fields, their units and the grade."""
        graded = self.grades()
        rows = []
        for item in labs.LAB_ITEMS:
            unit = self._current_unit(item)
            rows.append(
                {
                    "item": item,
                    "value": self[item.input_field],
                    "unit_field": self[item.unit_field] if item.unit_field else None,
                    "limit": self[item.limit_input_field] if item.limit_input_field else None,
                    "unit": labs.unit_label(unit),
                    "grade": graded.get(item.key),
                }
            )
        return rows

    def _current_unit(self, item: labs.LabItem) -> str:
        if item.unit_field is None:
            return item.unit
        value = self[item.unit_field].value()
        return value if value in labs.unit_choices(item) else labs.unit_choices(item)[0]

    def findings(self) -> list[dict[str, Any]]:
        """Grade 3 or more: what an adverse event should be opened for."""
        sample = self.canonical.get("sample_date")
        return [
            {"term": g.term, "grade": g.grade, "onset": sample, "key": g.item.key}
            for g in self.grades().values()
            if g.severe
        ]


# --- Adverse event ------------------------------------------------------------------------------

RELATIONSHIP_FIELDS = (
    "relationship_iv_lutathera",
    "relationship_iah_procedure",
    "relationship_iah_lutathera",
)


def french_active() -> bool:
    """The page is being rendered in French (CTCAE terms then show their French display)."""
    return (get_language() or "").split("-")[0] == "fr"


def term_display(term: str | None) -> str:
    """A stored CTCAE term as the user reads it: "French (English)" in French when we have a
    translation, the English term otherwise (the stored value never changes)."""
    return ctcae.display(term, french=french_active())


def soc_display(soc: str | None) -> str:
    """A system organ class in the user's language (French when we have it)."""
    return (ctcae.french_soc(soc) if french_active() else None) or (soc or "")


def english(text: str | None) -> SafeString:
    """CTCAE's own English (a term, a system organ class, a grade's wording), kept as the
    official text and marked lang="en" so that a screen reader on a French page reads it in
    English."""
    return format_html('<span lang="en">{}</span>', text or "")


def term_html(term: str | None) -> SafeString:
    """A stored CTCAE term for a page: the French display name beside the official English
    one, which is marked lang="en" ("Fatigue" stays one word); the term alone in English."""
    text = (term or "").strip()
    if not text:
        return format_html("{}", term or "")
    if not french_active():
        return format_html("{}", text)
    try:
        name = ctcae.french_name(ctcae.get(text).code)
    except KeyError:
        name = None
    if name and name.casefold() != text.casefold():
        return format_html("{} ({})", name, english(text))
    return format_html("{}", name) if name else english(text)


def soc_html(soc: str | None) -> SafeString:
    """A system organ class for a page: in French when we have it, else marked English."""
    french = ctcae.french_soc(soc) if french_active() else None
    if french or not french_active():
        return format_html("{}", french or soc or "")
    return english(soc)


def grade_choices(term: str | None) -> list[tuple[int, str]]:
    """The grades the term defines, each with CTCAE's wording (official English, marked
    lang="en"); 1-5 when the term is unknown."""
    found = find_term(term)
    defined = found.grades if found else {}
    if not defined:
        return [(g, str(_("Grade %(grade)s") % {"grade": g})) for g in range(1, 6)]
    return [
        (g, format_html("{} {}", _("Grade %(grade)s:") % {"grade": g}, english(text)))
        for g, text in sorted(defined.items())
    ]


def find_term(text: str | None) -> ctcae.Term | None:
    """The CTCAE v5 term typed: its English name, or for a French user its French display name
    (the term is still stored in English)."""
    if not text:
        return None
    try:
        return ctcae.get(text)
    except KeyError:
        return ctcae.from_french(text) if french_active() else None


class AeForm(CrfForm):
    complete_required = (
        "term",
        "grade",
        "onset_date",
        "serious",
        "relationship_iv_lutathera",
        "action_taken",
        "outcome",
    )

    grade = forms.TypedChoiceField(
        label=_label(AdverseEvent, "grade"),
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = AdverseEvent
        fields = [
            "term",
            "term_specify",
            "grade",
            "onset_date",
            "end_date",
            "ongoing",
            "serious",
            *SERIOUS_CRITERIA,
            "awareness_at",
            "reported_to_sponsor_at",
            *RELATIONSHIP_FIELDS,
            "action_taken",
            "outcome",
        ]
        widgets = {
            "awareness_at": DateTimeInput(),
            "reported_to_sponsor_at": DateTimeInput(),
        }
        help_texts = {
            "term": _("Type a few letters and pick the term from the CTCAE v5 list."),
            "term_specify": _("Needed for an “Other, specify” term."),
            "reported_to_sponsor_at": _("Leave empty until the report has been sent."),
        }

    @classmethod
    def initial_from_query(cls, query: Any) -> dict[str, Any]:
        """A new AE opened from a lab finding: the term, grade and onset, if they check out."""
        finding = AePrefillForm(query)
        return finding.initial_values() if finding.is_valid() else {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The term is picked by typing: htmx asks for matching terms as the nurse types.
        self.fields["term"].widget.attrs.update(
            {
                "autocomplete": "off",
                "hx-get": reverse("dosing:ctcae_search"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#ctcae-results",
                "hx-include": f"[name='{self.add_prefix('grade')}']:checked",
            }
        )
        cast(forms.ChoiceField, self.fields["grade"]).choices = grade_choices(
            self.current_term_text()
        )

    def current_term_text(self) -> str:
        if self.is_bound:
            return (self.data.get(self.add_prefix("term")) or "").strip()
        return (self.initial.get("term") or self.instance.term or "").strip()

    def current_term(self) -> ctcae.Term | None:
        return find_term(self.current_term_text())

    def clean_term(self) -> str:
        text = (self.cleaned_data.get("term") or "").strip()
        if not text:
            return text
        term = find_term(text)
        if term is None:
            raise forms.ValidationError(
                _("“%(text)s” is not a CTCAE v5 term: pick one from the list.") % {"text": text}
            )
        return term.term

    def clean_onset_date(self) -> date | None:
        return self.not_in_future(self.cleaned_data.get("onset_date"))

    def clean_end_date(self) -> date | None:
        return self.not_in_future(self.cleaned_data.get("end_date"))

    def clean_awareness_at(self):
        return self._not_future_moment("awareness_at")

    def clean_reported_to_sponsor_at(self):
        return self._not_future_moment("reported_to_sponsor_at")

    def _not_future_moment(self, name: str):
        value = self.cleaned_data.get(name)
        if value is not None and value > timezone.now():
            raise forms.ValidationError(_("This is in the future; enter when it happened."))
        return value

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        term = find_term(data.get("term"))
        grade = data.get("grade")
        if term is not None and grade is not None and grade not in term.grades:
            self.add_error(
                "grade",
                _("CTCAE v5 defines no grade %(grade)s for %(term)s.")
                % {"grade": grade, "term": term_display(term.term)},
            )
        if term is not None and "Other, specify" in term.term and self.complete:
            self._require(data, ("term_specify",))
        self._check_dates(data)
        self._check_serious(data)
        self._check_outcome(data)
        if self.complete:
            dates = self.participant.dates if self.participant is not None else {}
            # Causality to the IAH procedure and dose only once they have happened.
            self._require(data, causality_due(dates))
        return data

    def _require(self, data: dict, names: tuple[str, ...]) -> None:
        for name in names:
            if data.get(name) in (None, "") and name not in self.errors:
                self.add_error(name, REQUIRED)

    def _check_dates(self, data: dict) -> None:
        onset, end, ongoing = data.get("onset_date"), data.get("end_date"), data.get("ongoing")
        if onset and end and end < onset:
            self.add_error(
                "end_date",
                _("The end date is before the onset date (%(onset)s).")
                % {"onset": shown_date(onset)},
            )
        if end and ongoing:
            self.add_error("ongoing", _("An event with an end date is not ongoing: untick this."))
        elif self.complete and not end and not ongoing and "end_date" not in self.errors:
            self.add_error("end_date", _("Enter the end date, or tick ongoing."))

    def _check_serious(self, data: dict) -> None:
        serious = data.get("serious")
        ticked = [name for name in SERIOUS_CRITERIA if data.get(name)]
        aware, reported = data.get("awareness_at"), data.get("reported_to_sponsor_at")
        if serious is False and (ticked or aware or reported):
            self.add_error(
                "serious",
                _("Seriousness criteria or dates are filled in: answer Yes, or clear them."),
            )
        if serious and self.complete:
            if not ticked:
                self.add_error("serious_death", _("Tick at least one seriousness criterion."))
            self._require(data, ("awareness_at",))
        onset = data.get("onset_date")
        if aware and onset and timezone.localtime(aware).date() < onset:
            self.add_error(
                "awareness_at",
                _("The site cannot have become aware before the onset (%(onset)s).")
                % {"onset": shown_date(onset)},
            )
        if aware and reported and reported < aware:
            self.add_error(
                "reported_to_sponsor_at",
                _("The report cannot precede the awareness date."),
            )

    def _check_outcome(self, data: dict) -> None:
        grade, outcome = data.get("grade"), data.get("outcome")
        if grade == 5 and outcome and outcome != Outcome.FATAL:
            self.add_error("outcome", _("A grade 5 event is fatal: choose Fatal."))
        if outcome == Outcome.FATAL and grade is not None and grade != 5:
            self.add_error("grade", _("A fatal outcome is grade 5."))
        if grade == 5 and data.get("serious") is not None and not data.get("serious_death"):
            self.add_error("serious_death", _("A grade 5 event results in death: tick this."))


class AePrefillForm(forms.Form):
    """A lab finding to open an adverse event for (term and grade from the lab's CTCAE grade)."""

    term = forms.CharField(max_length=150)
    grade = forms.IntegerField(min_value=1, max_value=5)
    onset = forms.DateField(required=False)

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        term = find_term(data.get("term"))
        if term is None:
            self.add_error("term", _("Not a CTCAE v5 term."))
        elif data.get("grade") not in term.grades:
            self.add_error("grade", _("The term defines no such grade."))
        else:
            data["term"] = term.term
        return data

    def initial_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {"term": data["term"], "grade": data["grade"]}
        if data.get("onset"):
            values["onset_date"] = data["onset"]
        return values


# --- Concomitant medication ---------------------------------------------------------------------


class CmForm(CrfForm):
    complete_required = ("name", "indication", "dose", "route", "start_date")

    class Meta:
        model = ConcomitantMedication
        fields = ["name", "indication", "dose", "route", "start_date", "stop_date", "ongoing"]
        help_texts = {"dose": _("For example 500 mg twice a day.")}

    def clean_start_date(self) -> date | None:
        return self.not_in_future(self.cleaned_data.get("start_date"))

    def clean_stop_date(self) -> date | None:
        return self.not_in_future(self.cleaned_data.get("stop_date"))

    def clean(self) -> dict:
        data = super().clean()
        start, stop, ongoing = data.get("start_date"), data.get("stop_date"), data.get("ongoing")
        if start and stop and stop < start:
            self.add_error(
                "stop_date",
                _("The stop date is before the start date (%(start)s).")
                % {"start": shown_date(start)},
            )
        if stop and ongoing:
            self.add_error(
                "ongoing", _("A medication with a stop date is not ongoing: untick this.")
            )
        elif self.complete and not stop and not ongoing and "stop_date" not in self.errors:
            self.add_error("stop_date", _("Enter the stop date, or tick ongoing."))
        return data


IAH_ACTIVITY_GBQ = (Decimal("0.5"), Decimal(15))
# PROTOCOL.md section 2: the IAH dose 8 weeks after C4, -1 / +4 weeks (trial.schedule).
IAH_WINDOW = _(
    "This is outside the IAH dose window (8 weeks after C4, -1 / +4 weeks: %(opens)s to "
    "%(closes)s)."
)
IAH_ACTIVITY_USUAL_GBQ = (Decimal("3.5"), Decimal("8"))


def iah_net_gbq(before, before_at, residual, residual_at, start) -> Decimal | None:
    """Net administered activity (GBq) at the infusion start, or None when an input is missing
    or the inputs are impossible."""
    if None in (before, before_at, residual, residual_at, start):
        return None
    try:
        net = decay.net_activity(
            float(before),
            (start - before_at).total_seconds() / 3600,
            float(residual),
            (residual_at - start).total_seconds() / 3600,
            decay.LU177_HALF_LIFE_H,
        )
    except ValueError:
        return None
    return Decimal(f"{net:.3f}")


class IahDoseForm(CrfForm):
    complete_required = (
        "infusion_date",
        "infusion_start",
        "infusion_end",
        "catheter_position",
        "activity_before_gbq",
        "activity_before_at",
        "residual_after_gbq",
        "residual_after_at",
        "amino_acids",
        "complications",
    )
    units = {"activity_before_gbq": "GBq", "residual_after_gbq": "GBq"}

    class Meta:
        model = IahDose
        fields = [
            "infusion_date",
            "infusion_start",
            "infusion_end",
            "catheter_position",
            "activity_before_gbq",
            "activity_before_at",
            "residual_after_gbq",
            "residual_after_at",
            "amino_acids",
            "complications",
            "complications_detail",
        ]
        widgets = {
            name: DateTimeInput()
            for name in (
                "infusion_start",
                "infusion_end",
                "activity_before_at",
                "residual_after_at",
            )
        }

    def clean_infusion_date(self) -> date | None:
        return self.outside_window("infusion_date", IAH_WINDOW)

    def clean_activity_before_gbq(self) -> Decimal | None:
        return self.ranged("activity_before_gbq", IAH_ACTIVITY_GBQ, IAH_ACTIVITY_USUAL_GBQ, "GBq")

    def clean_residual_after_gbq(self) -> Decimal | None:
        return self.ranged("residual_after_gbq", (0, IAH_ACTIVITY_GBQ[1]), None, "GBq")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("infusion_start"), data.get("infusion_end")
        day = data.get("infusion_date")
        if start and end and end <= start:
            self.add_error("infusion_end", _("The infusion ends after it starts."))
        if start and day and timezone.localtime(start).date() != day:
            self.add_error("infusion_start", _("This is not on the infusion date."))
        before_at, residual_at = data.get("activity_before_at"), data.get("residual_after_at")
        if start and before_at and before_at > start:
            self.add_error("activity_before_at", _("Measured before the infusion starts."))
        if start and residual_at and residual_at < start:
            self.add_error("residual_after_at", _("Measured after the infusion starts."))
        if data.get("complications"):
            self.require("complications_detail")
        values = [data.get(n) for n in IAH_NET_INPUTS]
        if not self.errors and None not in values and iah_net_gbq(*values) is None:
            self.add_error(
                "residual_after_gbq",
                _(
                    "The residual, decayed to the infusion start, is not below the activity "
                    "measured before: nothing was given. Check both activities and times."
                ),
            )
        return data


IAH_NET_INPUTS = (
    "activity_before_gbq",
    "activity_before_at",
    "residual_after_gbq",
    "residual_after_at",
    "infusion_start",
)
