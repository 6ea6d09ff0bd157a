"""The demo shows every stage of the trial at BDX, each participant reachable from the nurse's
list, and the README's table of the demo's participants says which is where.

Each stage is read from the data (statuses, form states, signatures, queries, adverse events),
never from the labels the generator used, so a demo that stops showing one fails here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from dosing.models import AdverseEvent
from eligibility import rules
from eligibility import selectors as eligibility_selectors
from imaging.models import Gate
from trial import schedule, selectors
from trial.models import FormState, Participant, Query, QueryState

README = Path(__file__).resolve().parents[2] / "README.md"
DONE = (FormState.COMPLETE,)


def _done(participant: Participant, form: str) -> bool:
    return participant.forms.filter(form=form, status__in=DONE).exists()


def _screening_in_progress(p: Participant) -> bool:
    return p.status == schedule.SCREENING and _done(p, "CONSENT") and "C1" not in p.event_dates


def _in_cycles(p: Participant) -> bool:
    dates = p.event_dates
    return p.status == schedule.SCREENING and "C1" in dates and "C4" not in dates


def _eligibility_ready(p: Participant) -> bool:
    if p.status != schedule.SCREENING or "C4" not in p.event_dates or _done(p, "ELIGSIGN"):
        return False
    evaluation = eligibility_selectors.evaluate(p)
    return evaluation.result == rules.ELIGIBLE and not evaluation.missing


def _waiting_for_pets(p: Participant) -> bool:
    signature = selectors.current_signature(p, "eligibility")
    return (
        p.status == schedule.ENROLLED
        and signature is not None
        and signature.is_valid
        and not _done(p, "PET_IAH")
        and not _done(p, "PET_IV")
    )


def _gate_to_sign(p: Participant) -> bool:
    return (
        p.status == schedule.ENROLLED
        and _done(p, "PET_IAH")
        and _done(p, "PET_IV")
        and not _done(p, "GATE")
        and selectors.current_signature(p, "gate") is None
    )


def _iah_to_give(p: Participant) -> bool:
    gate = selectors.current_signature(p, "gate")
    proceed = Gate.objects.filter(form_status__participant=p, decision=schedule.PROCEED)
    return gate is not None and gate.is_valid and proceed.exists() and not _done(p, "IAHDOSE")


def _dosimetry_to_enter(p: Participant) -> bool:
    return _done(p, "IAHDOSE") and not _done(p, "DOSI")


def _visit_past_due(p: Participant) -> bool:
    today = timezone.localdate()
    return p.status == schedule.FOLLOW_UP and any(
        planned.code.startswith("M") and planned.is_overdue(today) for planned in p.plan()
    )


def _unreported_sae(p: Participant) -> bool:
    return AdverseEvent.objects.filter(
        form_status__participant=p, serious=True, reported_to_sponsor_at=None
    ).exists()


def _open_queries(p: Participant) -> bool:
    return Query.objects.filter(row__participant=p, state=QueryState.OPEN).exists()


def _broken_signature(p: Participant) -> bool:
    return any(s.breaks.exists() for s in selectors.current_signatures(p).values())


def _end_of_study(p: Participant) -> bool:
    return p.status == schedule.COMPLETED and _done(p, "EOS")


# The stages of the issue, in the README's words.
STAGES: dict[str, Callable[[Participant], bool]] = {
    "screening in progress": _screening_in_progress,
    "in the IV cycles": _in_cycles,
    "eligibility ready to sign": _eligibility_ready,
    "after C4, waiting for the PETs": _waiting_for_pets,
    "PETs done, gate to sign": _gate_to_sign,
    "gate passed, IAH dose to give": _iah_to_give,
    "IAH given, dosimetry to enter": _dosimetry_to_enter,
    "in follow-up with a past-due visit": _visit_past_due,
    "an unreported serious adverse event": _unreported_sae,
    "open queries": _open_queries,
    "a broken signature": _broken_signature,
    "end of study": _end_of_study,
}


def readme_table() -> list[tuple[str, list[str]]]:
    """The README's rows: (participant code, the stages it names for them)."""
    text = README.read_text()
    section = text.split("### The demo's participants", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| `(BDX-\d{3})` \| ([^|]+) \|", section, flags=re.MULTILINE)
    return [(code, [s.strip() for s in stages.split(";")]) for code, stages in rows]


@pytest.fixture
def bdx(demo) -> list[Participant]:
    return list(Participant.objects.filter(site__code="BDX").order_by("code"))


def test_every_stage_is_shown_at_bdx(bdx):
    for stage, shows in STAGES.items():
        assert [p.code for p in bdx if shows(p)], f"no BDX participant shows: {stage}"


def test_the_readme_names_the_participant_of_each_stage(bdx):
    by_code = {p.code: p for p in bdx}
    table = readme_table()
    named = [stage for _code, stages in table for stage in stages]
    assert sorted(named) == sorted(STAGES), "the README's table names each stage once"
    for code, stages in table:
        for stage in stages:
            assert STAGES[stage](by_code[code]), f"{code} does not show: {stage}"


def test_each_showcase_participant_is_on_the_nurses_list(client, demo):
    assert client.login(username="nurse", password="trial-demo-2026")
    page = client.get(reverse("participant_list")).content.decode()
    for code, _stages in readme_table():
        assert f'href="{reverse("participant_detail", args=[code])}"' in page, code
