"""Gather what the eligibility rules read, for one participant, in a fixed number of queries.

The screening items come from one query: the participant's form-status rows of the screening
forms, each joined to its data row. The eligibility lab panel and the IV cycles are the dosing
app's, asked for through trial.registry (dosing registers "lab_items" and "cycle_facts");
without that app, those criteria report "cannot be assessed".
"""

from __future__ import annotations

import functools
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, DateField, DateTimeField, Q
from django.utils import timezone

from eligibility import rules
from eligibility.models import (
    CardiovascularHistory,
    Consent,
    Demographics,
    DiseaseHistory,
    EligibilitySignoff,
    IahContraindications,
    InclusionImaging,
    ReproductionAdministrative,
    VitalSigns,
)
from trial import registry
from trial.models import CrfModel, FormState, FormStatus, Participant, Site

CONSENT_KEY = rules.CONSENT_KEY
SCREENING_EVENT = "SCR"
ELIGIBILITY_EVENT = "ELIG"
# Where each item form of the rules lives: (event, form code, data model).
FORM_MODELS: dict[str, tuple[str, type[CrfModel]]] = {
    "CONSENT": (SCREENING_EVENT, Consent),
    "DEMOG": (SCREENING_EVENT, Demographics),
    "DISEASE": (SCREENING_EVENT, DiseaseHistory),
    "CARDIO": (SCREENING_EVENT, CardiovascularHistory),
    "IAHCI": (SCREENING_EVENT, IahContraindications),
    "REPRO": (SCREENING_EVENT, ReproductionAdministrative),
    "IMAGING": (SCREENING_EVENT, InclusionImaging),
    "VITALS": (ELIGIBILITY_EVENT, VitalSigns),
}
# Fields kept for the record that the rules must not read (bilirubin as typed, its unit).
_NOT_ITEMS = {"id", "form_status", "bilirubin_entered", "bilirubin_unit"}


def _item_field_objects(model: type[CrfModel]) -> list[Any]:
    return [f for f in model._meta.concrete_fields if f.name not in _NOT_ITEMS]


def _site_zone(participant: Participant) -> ZoneInfo:
    return ZoneInfo(participant.site.time_zone)


def _temporal(model: type[CrfModel]) -> tuple[list[Any], list[Any]]:
    """The model's item fields read natively rather than through JSON: dates and date-times
    (so the clamping loaders of trial/dbtypes.py apply to a value out of Python's range)."""
    fields = _item_field_objects(model)
    times = [f for f in fields if isinstance(f, DateTimeField)]
    dates = [f for f in fields if isinstance(f, DateField) and not isinstance(f, DateTimeField)]
    return dates, times


def _array(fields: list[Any], kind: str) -> str:
    return f"ARRAY[{', '.join(f't.{f.column}' for f in fields)}]::{kind}[]"


# The sign-off's row in the screening statement: the date the rules are evaluated for.
_SIGNOFF = "ELIGSIGN"


@functools.cache
def _screening_sql() -> str:
    """One statement for every screening form: each slot's data row as JSON, so the forms'
    different columns fit one UNION, with its dates and date-times beside it as arrays, and
    the sign-off's date as a last row. Built once: compiling the equivalent eight-way
    select_related costs more than running it, on every save a signature covers. The
    participant's slots and site are read once (CTEs) rather than joined in every branch,
    which quarters the planning time."""
    slots = ", ".join(f"('{event}', '{form}')" for form, (event, _m) in FORM_MODELS.items())
    branches = []
    for form, (_event, model) in FORM_MODELS.items():
        fk = model._meta.get_field("form_status").column
        dates, times = _temporal(model)
        branches.append(
            f"SELECT fs.form, to_jsonb(t)::text, {_array(dates, 'date')}, "
            f"{_array(times, 'timestamptz')}, z.time_zone FROM fs "
            f"JOIN {model._meta.db_table} t ON t.{fk} = fs.id CROSS JOIN z "
            f"WHERE fs.form = '{form}'"
        )
    # As selectors.evaluation_date reads it: the first sign-off row, whatever its status.
    branches.append(
        f"SELECT '{_SIGNOFF}', '{{}}', ARRAY[so.signoff_date]::date[], '{{}}'::timestamptz[], "
        "z.time_zone FROM so CROSS JOIN z"
    )
    signoff = EligibilitySignoff._meta
    slots_table = FormStatus._meta.db_table
    return (
        f"WITH fs AS MATERIALIZED (SELECT id, form FROM {slots_table} "
        "WHERE participant_id = %(participant)s AND repeat = 1 AND status <> %(deleted)s "
        f"AND (event, form) IN ({slots})), "
        f"z AS MATERIALIZED (SELECT s.time_zone FROM {Participant._meta.db_table} p "
        f"JOIN {Site._meta.db_table} s ON s.id = p.site_id WHERE p.id = %(participant)s), "
        f"so AS MATERIALIZED (SELECT t.signoff_date FROM {signoff.db_table} t "
        f"JOIN {slots_table} f ON f.id = t.{signoff.get_field('form_status').column} "
        f"WHERE f.participant_id = %(participant)s AND f.event = '{ELIGIBILITY_EVENT}' "
        f"AND f.form = '{_SIGNOFF}' ORDER BY t.id LIMIT 1) " + " UNION ALL ".join(branches)
    )


def _screening(participant: Participant) -> tuple[dict[str, object], date | None, str | None]:
    """The screening items, the sign-off's date (None before it is saved or without a date)
    and the site's time zone, in one query."""
    with connection.cursor() as cursor:
        cursor.execute(
            _screening_sql(), {"participant": participant.pk, "deleted": FormState.DELETED}
        )
        rows = cursor.fetchall()
    items: dict[str, object] = {}
    signed_on = site_zone = None
    for form, text, date_values, time_values, zone in rows:
        site_zone = zone
        if form == _SIGNOFF:
            signed_on = date_values[0]
            continue
        _event, model = FORM_MODELS[form]
        dates, times = _temporal(model)
        native = dict(zip((f.name for f in dates), date_values, strict=True))
        native.update(
            (f.name, None if v is None else timezone.localtime(v, ZoneInfo(zone)))
            for f, v in zip(times, time_values, strict=True)
        )
        stored = json.loads(text, parse_float=Decimal)
        for field in _item_field_objects(model):
            if field.name in native:
                value = native[field.name]
            else:
                value = stored.get(field.column)
                if value is not None:
                    value = field.to_python(value)
            items[f"{form}.{field.name}"] = value
    return items, signed_on, site_zone


def screening_items(participant: Participant) -> dict[str, object]:
    """Every saved item of the screening forms and the eligibility vital signs, in one query.

    Drafts count: a value typed is a value, whatever the form's status. Deleted forms do not.
    A consent date-time is given in the site's time zone, so its calendar day is the site's.
    Values are the ones the ORM would give: dates and date-times read natively, the others
    by each field's to_python from JSON read with Decimal numbers (a numeric keeps its
    digits, a float its exact value).
    """
    return _screening(participant)[0]


def lab_items(participant: Participant) -> dict[str, object]:
    """The eligibility lab panel's items ("LAB.<field>"), from the dosing app."""
    provider = registry.LAB_ITEMS.provider
    return dict(provider(participant, event=ELIGIBILITY_EVENT)) if provider else {}


def cycles(participant: Participant) -> list[rules.Cycle]:
    """The IV cycles C1-C4 as the rules read them, from the dosing app.

    dosing reports a cycle whose form is missing or not complete as "administered: False".
    Only a cancelled dose is a real "not administered"; anything else not complete is read
    as not entered, so the criterion waits for the cycle form (with a link to it) instead of
    failing. A cycle with no administration date and no cancellation has not been entered.
    """
    provider = registry.CYCLE_FACTS.provider
    if provider is None:
        return []
    result = []
    for cycle in provider(participant):
        number = cycle.get("number")
        modification = cycle.get("dose_modification") or "none"
        cancelled = modification == "cancelled"
        if number not in rules.IV_CYCLES or (
            cycle.get("administration_date") is None and not cancelled
        ):
            continue
        administered = True if cycle.get("administered") else (False if cancelled else None)
        result.append(
            rules.Cycle(
                number=number,
                administered=administered,  # type: ignore[arg-type]
                administration_date=cycle.get("administration_date"),
                dose_modification=modification,
                modification_reason=cycle.get("modification_reason") or None,
                residual_uptake=cycle.get("residual_uptake"),
            )
        )
    return result


def facts_for(participant: Participant, signoff_date: date) -> rules.Facts:
    """Everything the rules read: one query for the screening forms, plus the dosing app's."""
    items = screening_items(participant)
    items.update(lab_items(participant))
    return rules.Facts(items=items, cycles=cycles(participant), signoff_date=signoff_date)


def facts_as_signed(participant: Participant) -> rules.Facts:
    """facts_for on the evaluation date (the sign-off's once saved, else the site's today),
    that date read with the screening forms: what the signature check runs on every save."""
    items, signed_on, zone = _screening(participant)
    if signed_on is None:
        signed_on = timezone.localdate(timezone=ZoneInfo(zone)) if zone else site_today(participant)
    items.update(lab_items(participant))
    return rules.Facts(items=items, cycles=cycles(participant), signoff_date=signed_on)


# Every form whose data feeds the rules: the screening forms and vital signs, the eligibility lab
# panel and the IV cycles. "Eligible" is signed on these forms complete, never on drafts.
SIGNOFF_SLOTS: tuple[tuple[str, str], ...] = (
    *((event, form) for form, (event, _model) in FORM_MODELS.items()),
    (ELIGIBILITY_EVENT, "LAB"),
    *((f"C{n}", "CYCLE") for n in rules.IV_CYCLES),
)


def incomplete_forms(participant: Participant) -> dict[tuple[str, str], str]:
    """{(event, form): status} of the forms feeding the rules that are not complete (one query).

    A form not created yet counts as not started; a deleted or missed one is not complete either.
    """
    slots = Q()
    for event, form in SIGNOFF_SLOTS:
        slots |= Q(event=event, form=form)
    states = {
        (event, form): status
        for event, form, status in FormStatus.objects.filter(
            slots, participant=participant, repeat=1
        ).values_list("event", "form", "status")
    }
    return {
        slot: states.get(slot, FormState.NOT_STARTED)
        for slot in SIGNOFF_SLOTS
        if states.get(slot) != FormState.COMPLETE
    }


def local_day(value: datetime, participant: Participant) -> date:
    """The calendar day of a moment at the participant's site."""
    return timezone.localtime(value, _site_zone(participant)).date()


def site_today(participant: Participant) -> date:
    return timezone.localdate(timezone=_site_zone(participant))


def demographics(participant: Participant) -> dict[str, object] | None:
    """Birth date, sex and weight of the participant (one query), for other apps through
    trial.registry ("demographics"): the dose advice's clearance reads them."""
    person = Demographics.objects.filter(form_status__participant=participant).first()
    if person is None:
        return None
    return {"birth_date": person.birth_date, "sex": person.sex, "weight_kg": person.weight_kg}


def recist_baselines(participant_ids: list[int]) -> dict[int, dict[str, object]]:
    """The RECIST 1.1 baseline of each participant (two queries however many), for the
    follow-up app through trial.registry ("recist_baseline"): the baseline imaging date (the
    later of CT and MRI), the target lesions (number, organ, location, diameter) and the count
    of non-target lesions. Participants without an inclusion imaging form are left out."""
    found = (
        InclusionImaging.objects.filter(
            form_status__participant_id__in=list(participant_ids),
            form_status__event=SCREENING_EVENT,
        )
        .exclude(form_status__status=FormState.DELETED)
        .select_related("form_status")
        .prefetch_related("target_lesions")
        .annotate(non_targets=Count("non_target_lesions"))
    )
    result: dict[int, dict[str, object]] = {}
    for imaging in found:
        days = [d for d in (imaging.ct_date, imaging.mri_date) if d is not None]
        result[imaging.form_status.participant_id] = {
            "imaging_date": max(days) if days else None,
            "targets": [
                {
                    "number": lesion.number,
                    "organ": lesion.organ,
                    # In the reader's language, for the follow-up form's table.
                    "organ_label": str(lesion.get_organ_display()),
                    "location": lesion.location,
                    "diameter_mm": lesion.diameter_mm,
                }
                for lesion in imaging.target_lesions.all()
            ],
            "non_targets": imaging.non_targets,
        }
    return result
