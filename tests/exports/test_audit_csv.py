"""The audit CSV round-trips: every audit event of every audited clinical table appears,
once per changed item, exactly as an independent reading of the event tables says."""

from __future__ import annotations

import csv
import io
from collections import Counter

import pytest
from django.core.management import call_command

from trial.exports import audit_csv
from trial.exports.common import resolve_scope, sources
from trial.history import event_model_for
from trial.models import ExportLog


def _value(event, source, column: str):
    """A column's value, or a key of the source's spread JSON column ("event_dates.ELIG")."""
    if source.spread and column.startswith(source.spread + "."):
        return (event.__dict__[source.spread] or {}).get(column.removeprefix(source.spread + "."))
    return event.__dict__[column]


def _absent(event, source, column: str) -> bool:
    spread = source.spread and column.startswith(source.spread + ".")
    return bool(spread) and column.removeprefix(source.spread + ".") not in (
        event.__dict__[source.spread] or {}
    )


def expected_changes(site_codes=None) -> Counter:
    """(event table:pgh_id, item, kind) per changed item, read with the ORM, event by event."""
    expected: Counter = Counter()
    for source in sources():
        event_model = event_model_for(source.model)
        previous: dict = {}
        for event in event_model.objects.order_by("pgh_id"):
            values = {name: _value(event, source, column) for name, column in source.items}
            before = previous.get(event.pgh_obj_id)
            previous[event.pgh_obj_id] = values
            for name, column in source.items:
                if _absent(event, source, column) and (before is None or before[name] is None):
                    continue  # an event not yet dated
                unchanged = before is not None and before[name] == values[name]
                if event.pgh_label == "update" and unchanged:
                    continue
                expected[(f"{source.event_table}:{event.pgh_id}", name, event.pgh_label)] += 1
    return expected


def read(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_every_audit_event_appears_once_per_changed_item(story, tmp_path):
    path = tmp_path / "audit.csv"
    call_command("export_audit", "--format", "csv", "--output", str(path))
    rows = read(path.read_text())
    assert list(rows[0]) == list(audit_csv.HEADER)
    got = Counter((r["audit_event"], r["item"], r["change"]) for r in rows)
    assert got == expected_changes()
    assert max(got.values()) == 1
    tables = {r["audit_event"].split(":")[0] for r in rows}
    for table in (
        "trial_formstatusevent",
        "trial_signatureevent",
        "trial_queryevent",
        "trial_querymessageevent",
        "trial_sdvmarkevent",
        "imaging_targetlesionevent" if "imaging_targetlesionevent" in tables else "",
    ):
        assert not table or table in tables
    # Old → new, who, role, reason; a removed lesion row's items with no new value.
    weight = [r for r in rows if r["item"] == "weight_kg" and r["change"] == "update"]
    assert [
        (r["old_value"], r["new_value"], r["user"], r["role"], r["reason"]) for r in weight
    ] == [("70.0", "71.0", "alice", "Research nurse", "transcription error")]
    removed = [r for r in rows if r["change"] == "delete" and r["item_group"]]
    assert removed and all(r["new_value"] == "" and r["item_group_repeat"] for r in removed)
    assert all(r["timestamp_utc"].endswith("Z") for r in rows)
    log = ExportLog.objects.get()
    assert (log.kind, log.username, log.row_count) == ("audit_csv", "system", len(rows))


def test_a_participant_filter_keeps_only_that_participant(story, tmp_path):
    participant, other = story
    path = tmp_path / "one.csv"
    call_command("export_audit", "--output", str(path), "--participant", other.code)
    rows = read(path.read_text())
    assert rows and {r["participant"] for r in rows} == {other.code}
    log = ExportLog.objects.get()
    assert log.filters == {"participant": other.code}


def test_memory_stays_flat_rows_come_from_a_server_side_cursor(
    story, django_assert_max_num_queries
):
    # One query for the accounts and their roles, one for the trail: however long it is.
    with django_assert_max_num_queries(4):
        rows = list(audit_csv.rows(resolve_scope()))
    assert rows


@pytest.mark.parametrize("fmt", ["csv", "odm"])
def test_the_odm_command_writes_a_file(story, tmp_path, fmt):
    path = tmp_path / f"audit.{fmt}"
    call_command("export_audit", "--format", fmt, "--output", str(path), "--site", "BDX")
    assert path.stat().st_size > 1000
    assert ExportLog.objects.get().filters == {"site": "BDX"}
