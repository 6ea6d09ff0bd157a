"""Stored derived values equal a fresh computation after any sequence of changes.

A Hypothesis state machine (hypothesis.stateful) drives one follow-up participant per example
through random sequences of: RECIST assessments saved and corrected (target lesions measured,
gone, not evaluated, marked not evaluable, split or merged into another), imaging dates moved
(past other assessments too), measurement rows deleted, baseline target lesions corrected,
added and removed (a removal refused while follow-up measures the lesion). Every step goes
through the real forms and trial.actions.save_crf. After each step the invariant recomputes
every assessment from the current data alone (baseline, measurements, dates; the earlier
assessments' values computed afresh in date order, never read from what is stored) and
compares it with what is stored; it also checks that every follow-up measurement pairs with
a baseline lesion that exists.

In `make test` it runs a bounded number of examples (BOUNDED below: 20 examples of up to 10
steps, about 25 s on one core). For a longer local search:

    HYPOTHESIS_PROFILE=long .venv/bin/python -m trial.embedded run -- \\
        .venv/bin/python -m pytest -n 0 tests/followup/test_derived_state_machine.py

(LONG below: 150 examples of up to 20 steps.)
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from eligibility.models import NonTargetLesion, TargetLesion
from followup import derived, selectors
from followup.models import RecistAssessment, TargetMeasurement
from tests.eligibility import helpers as eh
from tests.followup import helpers as h
from trial import actions
from trial.models import FormStatus

BOUNDED = settings(
    max_examples=20,
    stateful_step_count=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    # No shrinking in the suite: a failure is reported as found (up to 10 readable steps)
    # rather than after minutes of shrinking; the long profile shrinks.
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
)
LONG = settings(
    max_examples=150, stateful_step_count=20, deadline=None, suppress_health_check=list(HealthCheck)
)
EVENTS = ("M3", "M6", "M9", "M12", "M15", "M18")
MONTHS = {event: int(event[1:]) for event in EVENTS}
# A size: not evaluated (None), gone (0), measured; or a state: not evaluable ("ne"), split
# (("split", sum of the fragments)), merged into another lesion measured at the visit.
SIZES = st.one_of(
    st.none(),
    st.just(0),
    st.integers(5, 60),
    st.just("ne"),
    st.tuples(st.just("split"), st.integers(5, 60)),
    st.just("merged"),
)
NEW_ORGANS = ("lung", "peritoneum", "pancreas", "bowel")


def fresh_values(participant: Any) -> dict[int, tuple]:
    """Every assessment's derived values computed now from the current data, in date order,
    each reading the earlier ones as computed here (form-status row -> OUTPUTS)."""
    baseline = selectors.baseline_of(participant)
    assessments = list(
        RecistAssessment.objects.filter(form_status__participant=participant).order_by("pk")
    )
    measurements = selectors.measurements_of([a.pk for a in assessments])
    dated = sorted((a for a in assessments if a.imaging_date), key=lambda a: a.imaging_date)
    undated = [a for a in assessments if not a.imaging_date]
    computed: dict[int, tuple] = {}
    summaries: dict[int, tuple] = {}
    for assessment in dated + undated:
        prior = [v for pk, v in summaries.items() if pk != assessment.form_status_id]
        values = derived.assess(
            measurements.get(assessment.pk, []),
            assessment.non_target_status,
            assessment.new_lesions,
            assessment.unequivocal_progression,
            assessment.imaging_date,
            None if baseline is None else {**baseline, "prior": prior},
        )
        computed[assessment.form_status_id] = values
        if assessment.imaging_date:
            summaries[assessment.form_status_id] = (assessment.imaging_date, values[0], values[8])
    return computed


class DerivedValues(RuleBasedStateMachine):
    user: Any = None
    site: Any = None

    @initialize()
    def participant(self) -> None:
        self.fu = h.follow_up_participant(self.user, self.site)
        self.entered: dict[str, dict[str, Any]] = {}

    # --- what the machine reads ---------------------------------------------------------------

    def targets(self) -> list[TargetLesion]:
        return list(TargetLesion.objects.filter(imaging__form_status__participant=self.fu))

    def measured(self) -> set[int]:
        return set(
            TargetMeasurement.objects.filter(
                assessment__form_status__participant=self.fu
            ).values_list("number", flat=True)
        )

    # --- follow-up ----------------------------------------------------------------------------

    def save_assessment(self, event: str, state: dict[str, Any], reason: str) -> None:
        organs = {t.number: t.organ for t in self.targets()}
        rows = []
        sizes = {n: size for n, size in state["sizes"].items() if n in organs}
        # A merge goes into the first lesion measured present at the visit (none: not evaluable).
        into = next((n for n, size in sizes.items() if isinstance(size, (int, tuple)) and size), 0)
        for number, size in sizes.items():
            kind, merged_into = "", ""
            if size == "merged" and into:
                present, value, kind, merged_into = "", "", "merged", f"T{into}"
            elif size in ("ne", "merged"):
                present, value, kind = "", "", "not_evaluable"
            elif isinstance(size, tuple):
                present, value, kind = "True", str(size[1]), "split"
            elif size is None:
                present, value = "", ""
            elif size == 0:
                present, value = "False", "" if organs[number] == "lymph_node" else "0"
            else:
                present, value = "True", str(size)
            rows.append(
                {
                    "number": number,
                    "present": present,
                    "size_mm": value,
                    "state": kind,
                    "merged_into": merged_into,
                }
            )
        values = {
            **h.recist_values(state["day"], new_lesions=state["new"]),
            "confirm_unusual": "on",
        }
        h.save_form(self.user, h.bind_recist(self.fu, event, values, rows), reason=reason)
        self.entered[event] = state

    @rule(
        event=st.sampled_from(EVENTS),
        shift=st.integers(-10, 10),
        sizes=st.lists(SIZES, min_size=5, max_size=5),
        new=st.booleans(),
    )
    def assessment_saved_or_corrected(self, event, shift, sizes, new) -> None:
        numbers = [t.number for t in self.targets()]
        state = {
            "day": h.visit_day(MONTHS[event], shift),
            "sizes": dict(zip(numbers, sizes, strict=False)),
            "new": new and shift > 5,  # a new lesion now and then
        }
        self.save_assessment(event, state, "transcription error")

    @precondition(lambda self: bool(self.entered))
    @rule(data=st.data(), month=st.sampled_from(list(MONTHS.values())), shift=st.integers(-10, 10))
    def imaging_date_moved(self, data, month, shift) -> None:
        event = data.draw(st.sampled_from(sorted(self.entered)))
        state = {**self.entered[event], "day": h.visit_day(month, shift)}
        self.save_assessment(event, state, "wrong date")

    @precondition(lambda self: bool(self.entered))
    @rule(data=st.data())
    def measurement_row_deleted(self, data) -> None:
        event = data.draw(st.sampled_from(sorted(self.entered)))
        sizes = dict(self.entered[event]["sizes"])
        if not sizes:
            return
        del sizes[data.draw(st.sampled_from(sorted(sizes)))]
        self.save_assessment(event, {**self.entered[event], "sizes": sizes}, "row entered twice")

    # --- the baseline -------------------------------------------------------------------------

    def save_baseline(self, rows: list[dict[str, Any]], removed: int | None = None) -> bool:
        """The inclusion imaging re-saved with these target rows (saved ones carry their id);
        returns whether the form accepted it."""
        saved = sum(1 for row in rows if "id" in row)
        data = eh.imaging_data([], [])
        data.update(ct_date=h.SCREENING + timedelta(days=2), mri_date=h.BASELINE_IMAGING)
        data.update(eh.formset_data("target", rows, 5, initial=saved))
        nt_row = NonTargetLesion.objects.get(imaging__form_status__participant=self.fu)
        data.update(eh.formset_data("nontarget", [{"id": nt_row.pk, "organ": "bone"}], 4, 1))
        self.fu.refresh_from_db()
        bound = eh.bind(self.fu, "SCR", "IMAGING", data)
        if not bound.is_valid():
            return False
        row = FormStatus.objects.get(pk=bound.row.pk)
        actions.save_crf(
            self.user, row, bound.crf_data(), expected_version=row.version, reason="correction"
        )
        return True

    def rows_of(self, lesions: list[TargetLesion]) -> list[dict[str, Any]]:
        return [{"id": t.pk, "organ": t.organ, "diameter_mm": str(t.diameter_mm)} for t in lesions]

    @rule(data=st.data(), diameter=st.integers(15, 60))
    def baseline_diameter_corrected(self, data, diameter) -> None:
        lesions = self.targets()
        if not lesions:
            return
        index = data.draw(st.integers(0, len(lesions) - 1))
        rows = self.rows_of(lesions)
        rows[index]["diameter_mm"] = str(diameter)
        assert self.save_baseline(rows)

    @rule(organ=st.sampled_from(NEW_ORGANS), diameter=st.integers(10, 60))
    def baseline_lesion_added(self, organ, diameter) -> None:
        lesions = self.targets()
        if len(lesions) >= 5 or any(t.organ == organ for t in lesions):
            return
        rows = [*self.rows_of(lesions), {"organ": organ, "diameter_mm": str(diameter)}]
        assert self.save_baseline(rows)

    @rule(data=st.data())
    def baseline_lesion_removed(self, data) -> None:
        lesions = self.targets()
        if len(lesions) <= 1:
            return
        index = data.draw(st.integers(0, len(lesions) - 1))
        rows = self.rows_of(lesions)
        rows[index]["DELETE"] = "on"
        number = lesions[index].number
        before = [t.number for t in lesions]
        accepted = self.save_baseline(rows)
        # Refused exactly when follow-up measures the lesion; the others keep their labels.
        assert accepted == (number not in self.measured())
        after = [t.number for t in self.targets()]
        assert after == ([n for n in before if n != number] if accepted else before)

    # --- the invariant ------------------------------------------------------------------------

    @invariant()
    def stored_values_are_fresh(self) -> None:
        if not hasattr(self, "fu"):
            return
        fresh = fresh_values(self.fu)
        for assessment in RecistAssessment.objects.filter(form_status__participant=self.fu):
            stored = tuple(getattr(assessment, name) for name in derived.OUTPUTS)
            assert stored == fresh[assessment.form_status_id], (
                assessment.form_status.event,
                dict(zip(derived.OUTPUTS, stored, strict=True)),
                dict(zip(derived.OUTPUTS, fresh[assessment.form_status_id], strict=True)),
            )
        baseline = {t.number for t in self.targets()}
        assert self.measured() <= baseline


def test_stored_derived_values_equal_a_fresh_computation(nurse, bdx):
    DerivedValues.user, DerivedValues.site = nurse, bdx
    chosen = LONG if os.environ.get("HYPOTHESIS_PROFILE") == "long" else BOUNDED
    run_state_machine_as_test(DerivedValues, settings=chosen)
