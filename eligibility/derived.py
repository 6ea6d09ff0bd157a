"""Values computed from what the nurse types, shown beside the form while typing (htmx).

Each is computed from the form's current (possibly unsaved, possibly invalid) values and the
participant's saved items, with the same pure calculations the rules use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from eligibility import facts, rules
from eligibility.calculations import (
    age_in_years,
    bilirubin_shown,
    child_pugh_of,
    cockcroft_gault,
    meets,
    shown_against,
    uln_multiple,
)
from trial import crf as crf_registry

IAHCI_CHILD_PUGH = ("bilirubin_umol_l", "albumin_g_l", "inr", "ascites", "encephalopathy")
# The forms that show derived values, by form code.
DERIVED_FORMS = ("CONSENT", "DEMOG", "IAHCI", "VITALS")


@dataclass(frozen=True)
class Derived:
    key: str
    label: str
    value: str  # blank when it cannot be computed yet
    note: str = ""  # what is missing, or the threshold it is compared with
    ok: bool | None = None  # against its eligibility threshold, when there is one


def typed(form: forms.BaseForm, name: str) -> Any:
    """A field's current value as the form would clean it, or None when it is blank or bad."""
    field = form.fields.get(name)
    if field is None:
        return None
    try:
        value = field.clean(form[name].value())
    except forms.ValidationError:
        return None
    return None if value == "" else value


def _date(value: object) -> date | None:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value if isinstance(value, date) else None


def age_at_consent(birth: object, consent: object) -> Derived:
    label = _("Age at consent")
    birth_day, consent_day = _date(birth), _date(consent)
    if birth_day is None or consent_day is None:
        missing = _("date of birth (Demographics)") if birth_day is None else _("consent date")
        return Derived("age", label, "", _("Needs the %(item)s.") % {"item": missing})
    if consent_day < birth_day:
        return Derived("age", label, "", _("The consent is dated before the birth."), False)
    age = age_in_years(birth_day, consent_day)
    ok = age >= rules.MIN_AGE_YEARS
    return Derived(
        "age",
        label,
        _("%(age)s years") % {"age": age},
        _("at least %(min)s required") % {"min": rules.MIN_AGE_YEARS},
        ok,
    )


def child_pugh_value(
    bilirubin: Decimal | None,
    albumin: Decimal | None,
    inr: Decimal | None,
    ascites: str | None,
    encephalopathy: str | None,
) -> Derived:
    label = _("Child-Pugh")
    result = child_pugh_of(bilirubin, albumin, inr, ascites, encephalopathy)
    if result is None:
        return Derived(
            "child_pugh",
            label,
            "",
            _("Needs bilirubin, albumin, INR, ascites and encephalopathy."),
        )
    score, grade = result
    ok = score < rules.EXCLUDING_CHILD_PUGH_SCORE
    return Derived(
        "child_pugh",
        label,
        _("%(score)s points, class %(grade)s") % {"score": score, "grade": grade},
        _("%(score)s or more excludes (B8 or C)") % {"score": rules.EXCLUDING_CHILD_PUGH_SCORE},
        ok,
    )


def clearance(items: Mapping[str, object], weight: object) -> Derived:
    """Cockcroft-Gault at the eligibility lab's date, with the weight given."""
    label = _("Creatinine clearance (Cockcroft-Gault)")
    birth, sex = _date(items.get("DEMOG.birth_date")), items.get("DEMOG.sex")
    creatinine = items.get("LAB.creatinine_umol_l")
    sample = _date(items.get("LAB.sample_date"))
    needs = [
        name
        for name, value in (
            (_("date of birth"), birth),
            (_("sex"), sex),
            (_("weight"), weight),
            (_("eligibility lab creatinine"), creatinine),
            (_("lab sample date"), sample),
        )
        if value in (None, "")
    ]
    if needs:
        return Derived("clearance", label, "", _("Needs %(items)s.") % {"items": ", ".join(needs)})
    assert birth is not None and sample is not None  # both in `needs` above
    try:
        age = age_in_years(birth, sample)
        value = cockcroft_gault(
            age, float(cast(Any, weight)), float(cast(Any, creatinine)), str(sex)
        )
    except (ValueError, TypeError):
        return Derived("clearance", label, "", _("Not computable from the values entered."))
    # Decided on the exact value, as the rules decide it; shown with the rules' places, more
    # when those would read as the other side of the threshold.
    ok = meets(value, ">=", rules.MIN_CLEARANCE_ML_MIN)
    shown = shown_against(value, ">=", rules.MIN_CLEARANCE_ML_MIN, rules.CLEARANCE_PLACES)
    return Derived(
        "clearance",
        label,
        _("%(value)s mL/min") % {"value": formats.localize(shown)},
        _("at least %(min)s mL/min required") % {"min": rules.MIN_CLEARANCE_ML_MIN},
        ok,
    )


def transaminase(name: str, value: object, uln: object) -> Derived:
    key = name.lower()
    # "ALT" and "AST" are in the catalogue (rules.py marks them): ALAT and ASAT in French.
    label = _("%(name)s as a multiple of ULN") % {"name": _(name)}
    if value is None or uln is None:
        return Derived(key, label, "", _("Needs the eligibility lab's value and its ULN."))
    try:
        multiple = uln_multiple(float(cast(Any, value)), float(cast(Any, uln)))
    except ValueError:
        return Derived(key, label, "", _("Not computable from the values entered."))
    ok = meets(multiple, "<=", rules.MAX_TRANSAMINASE_X_ULN)
    shown = shown_against(multiple, "<=", rules.MAX_TRANSAMINASE_X_ULN, rules.ULN_MULTIPLE_PLACES)
    return Derived(
        key,
        label,
        _("%(value)s × ULN") % {"value": formats.localize(shown)},
        _("at most %(max)s × ULN") % {"max": formats.localize(rules.MAX_TRANSAMINASE_X_ULN)},
        ok,
    )


def liver_kidney(items: Mapping[str, object], weight: object) -> list[Derived]:
    return [
        clearance(items, weight),
        transaminase("ALT", items.get("LAB.alt_u_l"), items.get("LAB.alt_uln")),
        transaminase("AST", items.get("LAB.ast_u_l"), items.get("LAB.ast_uln")),
    ]


def for_form(code: str, form: forms.BaseForm) -> list[Derived]:
    """The derived values of one screening form, from its current values."""
    participant = getattr(form, "participant", None)
    items = facts.screening_items(participant) if participant is not None else {}
    if code == "CONSENT":
        return [age_at_consent(items.get("DEMOG.birth_date"), typed(form, "consent_datetime"))]
    if code == "DEMOG":
        return [age_at_consent(typed(form, "birth_date"), items.get(facts.CONSENT_KEY))]
    if code == "IAHCI":
        # The same derivation as the save, on the values as they would be stored: the panel
        # shows the score the database and the rules will hold.
        names: tuple[str, ...] = ("bilirubin_entered", "bilirubin_unit", "albumin_g_l", "inr")
        names += ("ascites", "encephalopathy")
        stored = crf_registry.derive(
            crf_registry.REGISTRY[code], {name: typed(form, name) for name in names}
        )
        shown = [child_pugh_value(*(stored.get(key) for key in IAHCI_CHILD_PUGH))]
        umol = stored.get("bilirubin_umol_l")
        if umol is not None and umol >= 0:
            # What the score read, in µmol/L (typed in mg/dL, it is the converted value), never
            # rounded into another band.
            number = formats.number_format(bilirubin_shown(umol))
            shown.insert(0, Derived("bilirubin", _("Total bilirubin"), f"{number} µmol/L"))
        return shown
    if code == "VITALS" and participant is not None:
        items.update(facts.lab_items(participant))
        return liver_kidney(items, typed(form, "weight_kg") or items.get("DEMOG.weight_kg"))
    return []


def for_items(items: Mapping[str, object]) -> list[Derived]:
    """The derived values of the sign-off page, from the saved items."""
    return [
        age_at_consent(items.get("DEMOG.birth_date"), items.get(facts.CONSENT_KEY)),
        child_pugh_value(*(items.get(key) for key in rules.CHILD_PUGH_KEYS)),  # type: ignore[arg-type]
        *liver_kidney(items, items.get("VITALS.weight_kg") or items.get("DEMOG.weight_kg")),
    ]
