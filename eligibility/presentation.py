"""How the criteria and their items are shown: translated texts, item labels, links to forms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.urls import reverse
from django.utils import formats
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from eligibility import rules
from eligibility.facts import ELIGIBILITY_EVENT, FORM_MODELS
from trial import crf as crf_registry
from trial.crf import model_field
from trial.models import FormState, Participant

# The protocol's criteria in the user's language (rules.py is pure and speaks English).
CRITERION_TEXT: dict[str, Promise] = {
    "I1": _("Well-differentiated NET of gastro-intestinal or pancreatic origin"),
    "I2": _(
        "Progression under cold SSA within 12 months, or hepatic invasion over 50 % at diagnosis"
    ),
    "I3": _("IV LUTATHERA cycles 1-4 administered"),
    "I4": _("Liver-dominant or exclusive disease, a measurable RECIST lesion, not resectable"),
    "I5": _("ECOG performance status 0-2"),
    "I6": _("Creatinine clearance at least 50 mL/min; ALT and AST at most 2.5 x ULN"),
    "I7": _(
        "After C4: haemoglobin at least 8 g/dL, neutrophils at least 1500/mm3, "
        "platelets at least 100 000/mm3"
    ),
    "I8": _("Aged 18 or over at consent"),
    "I9": _("Contraception where required (childbearing potential, or male participant)"),
    "I10": _("Consent signed before any study procedure"),
    "I11": _("Affiliated to social security"),
    "E1": _("Complete response at inclusion imaging"),
    "E2": _("No residual uptake on the 24-h scintigraphy after C4"),
    "E3": _("Carcinoid heart disease with LVEF below 40 %"),
    "E4": _("Dominant or threatening extra-hepatic metastases"),
    "E5": _("Any IAH contraindication, or Child-Pugh score 8 or more"),
    "E6": _("Albumin below 30 g/L, unless prothrombin time is normal"),
    "E7": _(
        "Cardiovascular event in the last 12 months, or BP at least 160/95 mmHg under treatment"
    ),
    "E8": _("Under legal protection, or unable to consent"),
    "E9": _("Pregnant or breast-feeding"),
    "E10": _("In another interventional trial"),
    "E11": _("MRI contraindicated"),
    "E12": _(
        "LUTATHERA contraindicated, or a toxicity during C1-C4 that reduced or cancelled a dose"
    ),
}
STATUS_TEXT = {
    rules.MET: _("met"),
    rules.NOT_MET: _("not met"),
    rules.CANNOT_ASSESS: _("cannot be assessed"),
}
RESULT_TEXT = {
    rules.ELIGIBLE: _("Eligible"),
    rules.NOT_ELIGIBLE: _("Not eligible"),
    rules.INCOMPLETE: _("Incomplete: some criteria cannot be assessed yet"),
}
FORM_TEXT = {
    "CONSENT": _("Informed consent"),
    "DEMOG": _("Demographics"),
    "DISEASE": _("Disease history"),
    "CARDIO": _("Cardiovascular history"),
    "IAHCI": _("IAH contraindications"),
    "REPRO": _("Reproduction and administrative"),
    "IMAGING": _("Inclusion imaging"),
    "VITALS": _("Vital signs and ECOG (eligibility)"),
    "LAB": _("Laboratory panel (eligibility)"),
}
# Forms of the rules' item keys held outside this app: (event, form code).
_OTHER_FORMS = {"LAB": (ELIGIBILITY_EVENT, "LAB")}
_CYCLE_FORM = "CYCLE"


@dataclass(frozen=True)
class ItemLink:
    key: str
    label: str  # "Form: item"
    url: str | None  # None while the form holding it is not available


def slot_of(key: str) -> tuple[str, str]:
    """(event, form code) of the form that holds an item key of the rules."""
    prefix = key.split(".", 1)[0]
    if prefix in FORM_MODELS:
        return FORM_MODELS[prefix][0], prefix
    if prefix in _OTHER_FORMS:
        return _OTHER_FORMS[prefix]
    if prefix in {f"C{n}" for n in rules.IV_CYCLES}:
        return prefix, _CYCLE_FORM
    raise KeyError(key)


def form_label(event: str, form: str) -> str:
    """The name of a form feeding the rules, as the sign-off page lists it."""
    if form == _CYCLE_FORM:
        return str(_("IV LUTATHERA cycle %(n)s") % {"n": event[1:]})
    return str(FORM_TEXT.get(form, form))


@dataclass(frozen=True)
class FormLink:
    event: str
    form: str
    label: str
    status: str
    status_text: str
    url: str | None


def form_links(participant: Participant, incomplete: dict[tuple[str, str], str]) -> list[FormLink]:
    """The forms still in draft or not started, with a link to each (sign-off page)."""
    states = dict(FormState.choices)
    return [
        FormLink(
            event,
            form,
            form_label(event, form),
            status,
            str(states.get(status, status)),
            reverse("crf_edit", args=[participant.code, event, form, 1])
            if crf_registry.get(form) is not None
            else None,
        )
        for (event, form), status in incomplete.items()
    ]


def _model_field(key: str):  # noqa: ANN202 - a Django model field, or None
    """The model field holding an item key of the rules, or None when it is not a CRF's."""
    try:
        form = slot_of(key)[1]
    except KeyError:
        return None
    spec = crf_registry.get(form)
    if spec is None:
        return None
    try:
        return spec.model._meta.get_field(key.split(".", 1)[1])
    except Exception:  # noqa: BLE001 - a key the other app names differently
        return None


def shown_text(value: object) -> str:
    """A note or warning of the rules (rules.Text) in the reader's language, with its values
    (numbers with the language's decimal mark, item names and coded values as labels)."""
    if isinstance(value, rules.Text):
        params = {name: shown_text(v) for name, v in value.params.items()}
        message = gettext(value.msgid)
        return message % params if params else message
    if isinstance(value, rules.Joined):
        return value.separator.join(shown_text(part) for part in value.parts)
    if isinstance(value, rules.ItemName):
        field = _model_field(value.key)
        return str(field.verbose_name) if field is not None else str(value)
    if isinstance(value, rules.ItemValue):
        field = _model_field(value.key)
        labels = dict(field.flatchoices) if field is not None else {}
        return str(labels.get(str(value), value))
    if isinstance(value, Decimal | float) and not isinstance(value, bool):
        return formats.localize(value)
    if isinstance(value, date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def _field_label(form: str, field: str) -> str:
    spec = crf_registry.get(form)
    if spec is not None:
        try:
            return capfirst(str(model_field(spec.model, field).verbose_name))
        except Exception:  # noqa: BLE001 - a key the other app names differently: show it raw
            pass
    return capfirst(field.replace("_", " "))


def item_link(participant: Participant, key: str) -> ItemLink:
    event, form = slot_of(key)
    field = key.split(".", 1)[1]
    prefix = key.split(".", 1)[0]
    if prefix in FORM_TEXT:
        form_label = str(FORM_TEXT[prefix])
    else:
        form_label = _("IV LUTATHERA cycle %(n)s") % {"n": prefix[1:]}
    url = None
    if crf_registry.get(form) is not None:
        url = reverse("crf_edit", args=[participant.code, event, form, 1])
    return ItemLink(key, f"{form_label}: {_field_label(form, field)}", url)


@dataclass(frozen=True)
class CriterionRow:
    result: rules.CriterionResult
    text: str
    status_text: str
    tone: str  # "pass" (green), "fail" (red) or "unknown" (grey)
    missing: tuple[ItemLink, ...]
    detail: str = ""  # result.detail in the reader's language
    warnings: tuple[str, ...] = ()  # result.warnings in the reader's language


def criterion_rows(participant: Participant, evaluation: rules.Evaluation) -> list[CriterionRow]:
    rows = []
    for result in evaluation.criteria:
        if result.status == rules.CANNOT_ASSESS:
            tone = "unknown"
        else:
            tone = "fail" if result.failed else "pass"
        rows.append(
            CriterionRow(
                result=result,
                text=str(CRITERION_TEXT.get(result.code, result.text)),
                status_text=str(STATUS_TEXT[result.status]),
                tone=tone,
                missing=tuple(item_link(participant, key) for key in result.missing),
                detail="; ".join(shown_text(note) for note in result.notes),
                warnings=tuple(shown_text(warning) for warning in result.warnings),
            )
        )
    return rows
