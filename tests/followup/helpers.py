"""Follow-up data entered through the real forms (trial.crf.bind + crf_data + save_crf).

Timeline relative to today: screening -640 days, baseline imaging -637 (T1 liver 32 mm, T2
liver 25 mm, T3 lymph node 18 mm short axis: sum 75 mm; one bone non-target lesion), PET-IV
-560 (the follow-up anchor, no IAH dose), then M1-M18 at their months; M18 is in the past.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from tests.eligibility import helpers as eh
from trial import actions, schedule
from trial import crf as crf_registry
from trial.audit import audit_context
from trial.models import FormStatus, Participant

TODAY = timezone.localdate()
SCREENING = TODAY - timedelta(days=640)
BASELINE_IMAGING = SCREENING + timedelta(days=3)
PET_IV = SCREENING + timedelta(days=80)
BASELINE_SUM = 75.0


def visit_day(month: int, shift: int = 0) -> date:
    return schedule.add_months(PET_IV, month) + timedelta(days=shift)


def follow_up_participant(user: Any, site: Any) -> Participant:
    participant = actions.register_participant(user, site, SCREENING)
    imaging = eh.imaging_data()
    imaging.update(ct_date=SCREENING + timedelta(days=2), mri_date=BASELINE_IMAGING)
    eh.save(user, participant, "SCR", "IMAGING", imaging)
    with audit_context(user, command="test_setup"):
        actions.change_journey(
            user,
            participant,
            dates={
                "ELIG": SCREENING + timedelta(days=60),
                "PET-IAH": PET_IV - timedelta(days=3),
                "PET-IV": PET_IV,
            },
            status=schedule.FOLLOW_UP,
            enrolment_date=SCREENING + timedelta(days=60),
            gate_decision="not_eligible",
        )
    participant.refresh_from_db()
    return participant


def recist_values(
    day: date,
    *,
    non_target: str = "NON-CR/NON-PD",
    new_lesions: bool = False,
    unequivocal: bool = False,
) -> dict[str, Any]:
    return {
        "imaging_date": day,
        "non_target_status": non_target,
        "new_lesions": str(new_lesions),
        "new_lesion_site": "liver segment II" if new_lesions else "",
        "unequivocal_progression": str(unequivocal),
        "progression_site": "bone" if unequivocal else "",
    }


def lesions(*sizes: Any) -> list[dict[str, Any]]:
    """Measurement rows T1, T2, ...: a number is a size of a present lesion, 0 a lesion gone,
    (present, size) anything else, None a lesion not evaluated."""
    rows = []
    for number, size in enumerate(sizes, start=1):
        if isinstance(size, tuple):
            present, value = size
        elif size is None:
            present, value = None, None
        else:
            present, value = size != 0, size
        rows.append(
            {
                "number": number,
                "present": "" if present is None else str(present),
                "size_mm": "" if value is None else value,
            }
        )
    return rows


def bind_recist(participant: Participant, event: str, values: dict, rows: list[dict]):
    participant = Participant.objects.get(pk=participant.pk)
    row = participant.forms.get(event=event, form="RECIST", repeat=1)
    return crf_registry.bind(
        row, participant, crf_registry.post_data(values, {"measurements": rows})
    )


def save_form(user: Any, form: Any, *, reason: str = "") -> Any:
    assert form.is_valid(), (
        form.errors,
        [f.errors for f in form.measurements.forms] if hasattr(form, "measurements") else None,
    )
    row = FormStatus.objects.get(pk=form.row.pk)
    return actions.save_crf(
        user,
        row,
        form.crf_data(),
        expected_version=row.version,
        reason=reason or ("transcription error" if row.version else ""),
    )


def save_recist(
    user: Any,
    participant: Participant,
    event: str,
    day: date,
    *sizes: Any,
    reason: str = "",
    **options: Any,
):
    form = bind_recist(participant, event, recist_values(day, **options), lesions(*sizes))
    return save_form(user, form, reason=reason)


def bind_form(participant: Participant, event: str, form: str, values: dict):
    participant = Participant.objects.get(pk=participant.pk)
    row = participant.forms.get(event=event, form=form, repeat=1)
    return crf_registry.bind(row, participant, crf_registry.post_data(values))
