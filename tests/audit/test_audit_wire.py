"""The audit context sent with each write (trial/audit_wire.py): every way Django and the
code write, with every kind of parameters, reaches the triggers with the action's user and
reason, exactly as typed, and the writes answer as they would without it."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from eligibility.models import Demographics
from tests.audit.conftest import save_demographics
from trial.audit import audit_context
from trial.audit_wire import new_context_id
from trial.history import event_model_for

TABLE = Demographics._meta.db_table


def _events():
    return event_model_for(Demographics).objects.order_by("pgh_id")


def _context_of_last_event() -> dict | None:
    event = _events().last()
    if event.pgh_context_id is None:
        assert event.edc_context is None
        return None
    return event.edc_context


@pytest.mark.parametrize(
    "reason",
    [
        "weight re-read: 61,5 → 62 kg",
        "it's the nurse's \"second\" reading",
        r"a backslash \ and \n and \\ stay as typed",
        "50% of the dose; 100%% sure; %s and %(name)s are not placeholders",
        "line one\nline two\ttabbed",
        "'; DROP TABLE trial_participant; --",
    ],
)
def test_the_reason_reaches_the_trail_exactly_as_typed(demog, nurse, reason):
    save_demographics(nurse, demog, reason=reason, weight_kg="62.0")
    metadata = _context_of_last_event()
    assert metadata["reason"] == reason
    assert metadata["username"] == nurse.username
    assert str(_events().last().weight_kg) == "62.0"


def test_a_statement_without_parameters_keeps_its_percent_signs(demog, nurse):
    with transaction.atomic(), audit_context(nurse, reason="raw fix"), connection.cursor() as c:
        c.execute(f"UPDATE {TABLE} SET sex = 'M' WHERE sex LIKE 'F%' AND form_status_id > 0")
        assert c.rowcount == 1
    assert Demographics.objects.get(form_status=demog).sex == "M"
    assert _context_of_last_event()["reason"] == "raw fix"


def test_named_parameters_carry_the_context(demog, nurse):
    with transaction.atomic(), audit_context(nurse, reason="named"), connection.cursor() as c:
        c.execute(
            f"UPDATE {TABLE} SET weight_kg = %(w)s WHERE form_status_id = %(row)s",
            {"w": "70.5", "row": demog.pk},
        )
        assert c.rowcount == 1
    assert _context_of_last_event()["reason"] == "named"
    assert str(_events().last().weight_kg) == "70.5"


def test_executemany_carries_the_context(demog, nurse):
    with transaction.atomic(), audit_context(nurse, reason="many"), connection.cursor() as c:
        c.executemany(
            f"UPDATE {TABLE} SET weight_kg = %s WHERE form_status_id = %s",
            [("71.0", demog.pk), ("72.0", demog.pk)],
        )
    last_two = list(_events())[-2:]
    assert [str(e.weight_kg) for e in last_two] == ["71.0", "72.0"]
    assert {e.pgh_context_id for e in last_two} == {last_two[0].pgh_context_id}
    assert _context_of_last_event()["reason"] == "many"


def test_the_write_answers_as_without_the_context(demog, nurse):
    """Django reads the write's own row count (save() decides between UPDATE and INSERT on
    it) and the rows of INSERT ... RETURNING: neither may come from the context's SETs."""
    with transaction.atomic(), audit_context(nurse, reason="counts"):
        assert Demographics.objects.filter(form_status=demog).update(weight_kg="63.0") == 1
        assert Demographics.objects.filter(form_status_id=-1).update(weight_kg="1") == 0
        other = demog.participant.forms.get(form="CONSENT")
        created = Demographics.objects.create(form_status=other, sex="F")
        assert created.pk is not None and created.pk != demog.pk
    assert Demographics.objects.get(pk=created.pk).form_status_id == other.pk


def test_only_writes_carry_the_context_and_each_once(demog, nurse):
    with CaptureQueriesContext(connection) as captured:
        save_demographics(nurse, demog, reason="captured", weight_kg="64.0")
    sent = [q["sql"] for q in captured.captured_queries]
    writes = [s for s in sent if s.startswith("SET LOCAL")]
    assert writes, sent
    for sql in writes:
        assert sql.count("SET LOCAL pghistory.context_id") == 1
        assert sql.count("SET LOCAL pghistory.context_metadata") == 1
    assert all("pghistory" not in s for s in sent if s.lstrip().upper().startswith("SELECT"))


def test_a_nested_action_adds_what_it_lacks_and_keeps_the_callers_reason(demog, nurse):
    with transaction.atomic(), audit_context(nurse, reason="outer"):
        Demographics.objects.filter(form_status=demog).update(weight_kg="65.0")
        with audit_context(nurse, reason="inner", command="nested-step"):
            Demographics.objects.filter(form_status=demog).update(weight_kg="66.0")
    metadata = _context_of_last_event()
    assert metadata["reason"] == "outer"
    assert metadata["command"] == "nested-step"
    last_two = list(_events())[-2:]
    assert last_two[0].pgh_context_id == last_two[1].pgh_context_id
    # Each event carries the context as it stood when it was written: the outer step's
    # event was written before the nested step named itself.
    assert last_two[0].edc_context["reason"] == "outer"
    assert "command" not in last_two[0].edc_context


def test_two_actions_keep_their_own_contexts_and_nothing_outlives_them(demog, nurse):
    with transaction.atomic():
        with audit_context(nurse, reason="first"):
            Demographics.objects.filter(form_status=demog).update(weight_kg="67.0")
        with audit_context(nurse, reason="second"):
            Demographics.objects.filter(form_status=demog).update(weight_kg="68.0")
    first, second = list(_events())[-2:]
    assert first.pgh_context_id != second.pgh_context_id
    assert first.edc_context["reason"] == "first"
    assert second.edc_context["reason"] == "second"
    with CaptureQueriesContext(connection) as captured:
        Demographics.objects.filter(form_status=demog).update(weight_kg="69.0")
    assert not any("pghistory" in q["sql"] for q in captured.captured_queries)


def test_an_action_that_fails_leaves_nothing_behind(demog, nurse):
    # The action's block is a class, not a generator: an error inside it must still close
    # the action and stop the sending, and reach the caller unchanged.
    with pytest.raises(ValueError, match="typed wrong"), audit_context(nurse, reason="fails"):
        raise ValueError("typed wrong")
    assert not connection.execute_wrappers
    with CaptureQueriesContext(connection) as captured:
        Demographics.objects.filter(form_status=demog).update(weight_kg="70.0")
    assert not any("pghistory" in q["sql"] for q in captured.captured_queries)


def test_a_new_context_id_is_a_random_version_4_uuid():
    ids = [new_context_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text  # lower-case hex, dashes where str(uuid4()) puts them
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
    # Every bit outside the version and variant varies: no fixed or ever-equal part.
    values = [uuid.UUID(text).int for text in ids]
    fixed = (0xF << 76) | (0x3 << 62)
    varying = 0
    for value in values[1:]:
        varying |= value ^ values[0]
    assert varying == ((1 << 128) - 1) & ~fixed
