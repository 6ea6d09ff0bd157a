"""The demo's monitoring visit: so that a monitor opening the demo finds work in the review
queues, one participant's demographics are verified, queried and corrected after
verification, and one item corrected three times. The showcase's open query and broken
signature are written here too. Written through the actions, like every other demo write, by
the demo's monitor and nurse."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from trial import actions
from trial import crf as crf_registry
from trial import demo as trial_demo
from trial.models import FormState, FormStatus, Participant


def _resave(user: Any, row: FormStatus, changes: dict[str, Any], reason: str, query=None) -> None:
    values = crf_registry.snapshot([row])[row.pk]
    plain = {k: v for k, v in values.items() if not isinstance(v, dict)}
    plain.update(changes)
    data = crf_registry.post_data({k: "" if v is None else v for k, v in plain.items()})
    form = crf_registry.bind(row, row.participant, data)
    if not form.is_valid():  # a bug in this generator, not in the data: say which
        raise ValueError(f"Demo {row.form} invalid for {row.participant}: {form.errors.as_text()}")
    row.refresh_from_db()
    actions.save_crf(
        user, row, form.crf_data(), expected_version=row.version, reason=reason, query=query
    )


def run(created: list[tuple[Participant, Any]], users: dict[str, Any]) -> None:
    _monitoring_visit(created, users)
    for participant, journey in created:
        if not journey.extras & {trial_demo.OPEN_QUERY, trial_demo.BROKEN_SIGNATURE}:
            continue  # nothing to write: not read
        demog = participant.forms.filter(form="DEMOG", status=FormState.COMPLETE).first()
        if demog is None:
            continue
        if trial_demo.OPEN_QUERY in journey.extras:
            height = crf_registry.snapshot([demog])[demog.pk]["height_cm"]
            actions.open_query(
                users["monitor"],
                demog,
                item="height_cm",
                text=f"{height} cm here, 4 cm more in the screening visit's notes: which is right?",
            )
        cardio = participant.forms.filter(form="CARDIO", status=FormState.COMPLETE).first()
        if trial_demo.BROKEN_SIGNATURE in journey.extras and cardio is not None:
            # An item the eligibility sign-off read, corrected afterwards: the signature is
            # broken and waits for the investigator to sign again.
            lvef = int(crf_registry.snapshot([cardio])[cardio.pk]["lvef_percent"])
            _resave(users["nurse"], cardio, {"lvef_percent": lvef + 2}, "transcription error")


def _monitoring_visit(created: list[tuple[Participant, Any]], users: dict[str, Any]) -> None:
    # The first BDX participant without a signature (the corrections would break it) with
    # complete demographics: the participants after it are not read.
    found = (
        row
        for participant, _journey in created
        if participant.site.code == "BDX" and not participant.signatures.exists()
        for row in participant.forms.filter(form="DEMOG", status=FormState.COMPLETE)
    )
    row = next(found, None)
    if row is None:
        return
    monitor, nurse = users["monitor"], users["nurse"]
    actions.verify_items(monitor, row)
    values = crf_registry.snapshot([row])[row.pk]
    weight = Decimal(values["weight_kg"])
    query = actions.open_query(
        monitor, row, item="weight_kg", text=f"The source document says {weight + 2} kg."
    )
    _resave(nurse, row, {"weight_kg": weight + 2}, f"data clarified by query #{query.pk}", query)
    height = int(values["height_cm"])
    for step in (1, 2, 1):
        height += step
        _resave(nurse, row, {"height_cm": height}, "transcription error")
