"""The lab import in the audit trail: its tables are in the exports (CSV and ODM, valid against
the ODM XSD with the EDC's extension), in the review's ledger, and the approval's save shows on
the lab form's History with the file as its reason."""

import csv
import io
import xml.etree.ElementTree as ET

from django.core.management import call_command

from dosing.labimport import actions
from tests.dosing.labimport.conftest import import_data
from tests.exports.odm_check import EDC_NS, extended_schema, replay, snapshot_values
from trial import actions as trial_actions
from trial.exports import audit_csv, odm
from trial.exports.common import resolve_scope
from trial.models import AuditEntry


def approve_and_reject(nurse, participant, bdx):
    outcome = import_data(nurse, "browser_panel.csv", site=bdx)
    entries = {entry.label: entry.value.pk for entry in outcome.entries}
    sodium = entries.pop("Sodium")
    actions.approve(nurse, participant, list(entries.values()), confirmed=True)
    actions.reject(nurse, participant, [sodium], reason="not a test of the panel")
    return outcome


def test_the_audit_csv_has_every_import_decision_and_mapping_change(
    nurse, data_manager, c1, bdx, tmp_path
):
    outcome = approve_and_reject(nurse, c1, bdx)
    actions.add_identifier(nurse, c1, "urn:oid:1.2.3", "IPP-9")
    path = tmp_path / "audit.csv"
    call_command("export_audit", "--format", "csv", "--output", str(path))
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    tables = {r["audit_event"].split(":")[0] for r in rows}
    assert {
        "dosing_labimportfileevent",
        "dosing_importedlabvalueevent",
        "dosing_hospitalidentifierevent",
    } <= tables
    rejected = [r for r in rows if r["item"] == "state" and r["new_value"] == "rejected"]
    assert [(r["participant"], r["reason"], r["old_value"]) for r in rejected] == [
        ("BDX-001", "not a test of the panel", "pending")
    ]
    approved = [r for r in rows if r["item"] == "state" and r["new_value"] == "approved"]
    assert len(approved) == 11 and {r["form"] for r in approved} == {"LAB"}
    assert {r["reason"] for r in approved} == {outcome.file.reason}
    # The lab panel's items carry the same reason: the approval saved them.
    panel_items = [
        r
        for r in rows
        if r["form"] == "LAB" and r["event"] == "C2" and r["item"] == "platelets_entered"
    ]
    assert [(r["new_value"], r["reason"]) for r in panel_items] == [("21.000", outcome.file.reason)]
    # One participant's export has its values and identifiers, not the file itself.
    scoped = io.StringIO()
    audit_csv.write(resolve_scope(participant="BDX-001"), scoped)
    scoped_tables = {
        r["audit_event"].split(":")[0] for r in csv.DictReader(io.StringIO(scoped.getvalue()))
    }
    assert "dosing_importedlabvalueevent" in scoped_tables
    assert "dosing_labimportfileevent" not in scoped_tables


def test_the_odm_trail_carries_the_queue_in_the_edcs_extension(nurse, c1, bdx, tmp_path):
    approve_and_reject(nurse, c1, bdx)
    transactional, snapshot = io.BytesIO(), io.BytesIO()
    scope = resolve_scope()
    odm.write_transactional(scope, transactional)
    odm.write_snapshot(scope, snapshot)
    extended_schema(str(tmp_path)).validate(transactional.getvalue())
    root = ET.fromstring(transactional.getvalue())
    records = list(root.iter(f"{{{EDC_NS}}}ImportedLabValue"))
    assert len(records) == 12 + 12  # queued, then approved or rejected
    assert replay(transactional.getvalue()) == snapshot_values(snapshot.getvalue())


def test_the_reviews_ledger_lists_the_decisions(nurse, c1, bdx):
    approve_and_reject(nurse, c1, bdx)
    trial_actions.file_review_ledger()
    entries = AuditEntry.objects.filter(event_table="dosing_importedlabvalueevent")
    rejected = entries.get(item="state", new_value="rejected")
    assert (rejected.participant_id, rejected.site_id, rejected.kind) == (
        c1.pk,
        bdx.pk,
        "ImportedLabValue",
    )
    assert entries.filter(item="state", new_value="approved", form="LAB", event="C2").count() == 11


def test_the_lab_forms_history_shows_the_import_as_the_reason(client, nurse, c1, bdx):
    outcome = approve_and_reject(nurse, c1, bdx)
    client.force_login(nurse)
    page = client.get(f"/p/{c1.code}/C2/LAB/1/history/").content.decode()
    assert f"imported from browser_panel.csv (sha256 {outcome.sha256})" in page
    queue_page = client.get(f"/dosing/p/{c1.code}/labs/").content.decode()
    assert "Approved into IV cycle 2" in queue_page and "Rejected" in queue_page
    assert "not a test of the panel" in queue_page
