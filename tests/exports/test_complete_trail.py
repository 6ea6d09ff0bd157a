"""Nothing audited is out of reach: every event table of the trail reaches the review page,
the audit CSV and the ODM Transactional file, with who, when, why and the client address;
the participant's own changes (registration, status, gate decision, event dates, casebook
lock and unlock) included.

The generic test enumerates pghistory's event models, so a table audited later fails here
until it is in `trial.exports.common.sources()` (or said to belong to another trail)."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.urls import reverse
from pghistory.models import Event

from dosing.labimport import actions as lab_actions
from tests.eligibility import helpers as h
from tests.exports.odm_check import extended_schema, unresolved_refs
from trial import actions
from trial.exports import audit_csv, odm
from trial.exports.common import OTHER_TRAILS, resolve_scope, sources
from trial.models import AuditEntry, Participant, Signature
from trial.review import Cursor

EDC = "{" + odm.EDC_NS + "}"
ADDRESS = "198.51.100.23"


def event_tables() -> dict[str, type]:
    """Every pghistory event table of the project, by table name."""
    return {
        model._meta.db_table: model
        for model in apps.get_models()
        if issubclass(model, Event) and not model._meta.proxy
    }


def test_every_event_table_is_in_the_clinical_trail_or_named_elsewhere():
    """A table audited later is either a source of the ledger and both exports, or listed
    in OTHER_TRAILS with the trail that shows it."""
    reviewed = {source.event_table for source in sources()}
    elsewhere = {
        table for table, model in event_tables().items() if model.pgh_tracked_model in OTHER_TRAILS
    }
    assert len(elsewhere) == len(OTHER_TRAILS)
    assert not reviewed & elsewhere
    forgotten = sorted(set(event_tables()) - reviewed - elsewhere)
    assert forgotten == [], f"audited, yet out of reach of the review and exports: {forgotten}"
    assert all(OTHER_TRAILS.values()), "each table of another trail says which"


def _csv_events() -> set[str]:
    text = "".join(audit_csv.chunks(resolve_scope()))
    return {row["audit_event"] for row in csv.DictReader(io.StringIO(text))}


def _odm_events() -> tuple[bytes, set[str]]:
    data = b"".join(odm.transactional(resolve_scope()))
    root = ET.fromstring(data)
    found = {e.text for e in root.iter(odm_tag("SourceID"))}
    found |= {e.text for e in root.iter(EDC + "SourceID")}
    found |= {e.get("SourceID") for e in root.iter() if e.get("SourceID")}
    return data, found


def odm_tag(name: str) -> str:
    return "{" + odm.ODM_NS + "}" + name


HOSPITAL_SYSTEM = "urn:oid:1.2.250.1.218.1.1"


@pytest.fixture
def every_kind_of_record(demo):
    """The demo, plus the records it does not make: a signature broken by a correction, a
    hospital identifier, a site's CSV columns and an imported lab file with its values."""
    nurse = User.objects.get(username="nurse")
    signed = Signature.objects.filter(kind="eligibility", participant__site__code="BDX")
    participant = signed.order_by("pk").first().participant
    h.save(nurse, participant, "SCR", "DEMOG", {**h.demographics_data(), "weight_kg": "93"})
    lab_actions.add_identifier(nurse, participant, HOSPITAL_SYSTEM, "IPP-424242")
    columns = {
        "participant": "IPP",
        "sampled_at": "Prélevé le",
        "code": "Analyse",
        "value": "Résultat",
        "unit": "Unité",
        "low": "",
        "high": "",
        "delimiter": ";",
        "identifier_system": HOSPITAL_SYSTEM,
    }
    lab_actions.save_csv_columns(
        User.objects.get(username="datamanager"), participant.site, columns
    )
    text = "IPP;Prélevé le;Analyse;Résultat;Unité\nIPP-424242;29/12/2025 08:10;Hb;13,2;g/dL\n"
    lab_actions.import_file(nurse, "export.csv", text.encode(), site=participant.site)


@pytest.mark.req("P11.10e", "E6.4.2.2", "E6.4.2.3")
def test_every_audited_table_reaches_the_review_page_the_csv_and_the_odm(
    every_kind_of_record, client
):
    """On the demo: the newest event of every source table is an entry of the review page
    (for a data manager, who reviews every site), a row of the CSV and a record of the
    ODM. A table the demo never writes fails: the demo must show every kind of record."""
    client.force_login(User.objects.get(username="datamanager"))
    csv_events = _csv_events()
    _data, odm_events = _odm_events()
    missing = []
    for source in sources():
        model = event_tables()[source.event_table]
        event = model.objects.order_by("-pgh_id").first()
        if event is None:
            missing.append(f"{source.event_table}: no event in the demo")
            continue
        tag = f"{source.event_table}:{event.pgh_id}"
        entry = (
            AuditEntry.objects.filter(event_table=source.event_table, pgh_id=event.pgh_id)
            .order_by("id")
            .first()
        )
        if entry is None:
            missing.append(f"{tag}: not in the ledger")
        else:
            start = str(Cursor(entry.at, entry.id - 1))
            page = client.get(reverse("audit_review"), {"after": start})
            if f'data-entry="{entry.id}"' not in page.content.decode():
                missing.append(f"{tag}: not on the review page")
        if tag not in csv_events:
            missing.append(f"{tag}: not in the CSV")
        if tag not in odm_events:
            missing.append(f"{tag}: not in the ODM")
    assert missing == [], "\n".join(missing)


def test_participant_level_changes_of_the_demo_are_reviewed(demo):
    """Registration, status changes, the gate decision and event dates, each with who."""
    entries = AuditEntry.objects.filter(kind="Participant")
    items = set(entries.values_list("item", flat=True))
    assert {"code", "status", "gate_decision", "enrolment_date"} <= items
    assert any(i.startswith("event_dates.") for i in items)
    assert entries.filter(label="insert", item="code").count() == Participant.objects.count()
    gate = entries.filter(item="gate_decision").exclude(new_value="").first()
    assert gate.username and gate.participant_id


@pytest.fixture
def locked(client, data_manager, participant):
    """The casebook locked then unlocked by a data manager through the pages, from a known
    client address."""
    client.force_login(data_manager)
    for name, reason in (
        ("casebook_lock", "Database freeze for the interim analysis"),
        ("casebook_unlock", "Query answered after the freeze"),
    ):
        url = reverse(name, args=[participant.code])
        body = {"change-reason": "other", "change-reason_other": reason}
        response = client.post(url, body, REMOTE_ADDR=ADDRESS)
        assert response.status_code == 302, response.content.decode()[:400]
    participant.refresh_from_db()
    return participant


def test_casebook_lock_and_unlock_reach_the_review_page(locked, client):
    actions.file_review_ledger()  # the ledger is filed after the commit (trial/ledger.py)
    entries = AuditEntry.objects.filter(participant=locked, kind="Participant", item="locked_at")
    assert [e.label for e in entries.order_by("id")] == ["update", "update"]
    query = {"participant": locked.code, "last": "1"}
    page = client.get(reverse("audit_review"), query).content.decode()
    assert "Database freeze for the interim analysis" in page
    assert "Query answered after the freeze" in page
    assert ADDRESS in page


@pytest.mark.req("A11.9")
def test_casebook_lock_and_unlock_reach_the_csv(locked):
    text = "".join(audit_csv.chunks(resolve_scope(participant=locked.code)))
    rows = [
        r
        for r in csv.DictReader(io.StringIO(text))
        if (r["item_group"], r["item"], r["change"]) == ("Participant", "locked_at", "update")
    ]
    assert [r["reason"] for r in rows] == [
        "other: Database freeze for the interim analysis",
        "other: Query answered after the freeze",
    ]
    assert {r["user"] for r in rows} == {"dana"}
    assert {r["client_address"] for r in rows} == {ADDRESS}
    assert rows[0]["old_value"] == "" and rows[1]["new_value"] == ""
    registered = [r for r in csv.DictReader(io.StringIO(text)) if r["item"] == "status"]
    assert registered[0]["change"] == "insert" and registered[0]["new_value"] == "screening"


def test_casebook_lock_and_unlock_reach_the_odm(locked, tmp_path):
    data = b"".join(odm.transactional(resolve_scope(participant=locked.code)))
    extended_schema(str(tmp_path)).validate(data)
    assert unresolved_refs(data) == []
    root = ET.fromstring(data)
    records = [
        r
        for r in root.iter(EDC + "Participant")
        if any(v.get("Name") == "locked_at" for v in r.iter(EDC + "Value"))
    ]
    assert [r.get("Reason") for r in records[-2:]] == [
        "other: Database freeze for the interim analysis",
        "other: Query answered after the freeze",
    ]
    assert {r.get("ClientAddress") for r in records[-2:]} == {ADDRESS}
    assert re.search(rb"SubjectKey=\"" + locked.code.encode(), data)


def test_the_form_filter_offers_the_participants_own_changes(locked, client):
    query = {"participant": locked.code, "form": "Participant"}
    page = client.get(reverse("audit_review"), query).content.decode()
    shown = {int(pk) for pk in re.findall(r'data-entry="(\d+)"', page)}
    expected = AuditEntry.objects.filter(participant=locked, kind="Participant")
    assert shown == set(expected.values_list("id", flat=True)) and shown
    assert "Casebook locked at" in page and "Participant code" in page
