"""Proof that the ODM is right: both files valid against the ODM 1.3.2 XSD shipped in odmlib,
every reference resolved, and the Transactional file replayed gives the Snapshot."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest

from tests.exports.odm_check import (
    ODM,
    extended_schema,
    odm_schema,
    replay,
    snapshot_values,
    unresolved_refs,
    without_extensions,
)
from trial.exports import odm
from trial.exports.common import resolve_scope
from trial.models import Signature


@pytest.fixture
def files(story):
    scope = resolve_scope()
    transactional, snapshot = io.BytesIO(), io.BytesIO()
    odm.write_transactional(scope, transactional)
    odm.write_snapshot(scope, snapshot)
    return transactional.getvalue(), snapshot.getvalue()


@pytest.mark.req("P11.10b", "E6.4.2.5")
def test_both_files_validate_against_the_odm_132_xsd(files, tmp_path):
    transactional, snapshot = files
    odm_schema().validate(snapshot)
    # The trail with the edc: records, against the XSD with its extension slots filled...
    extended_schema(str(tmp_path)).validate(transactional)
    # ...and as a reader without the extension sees it, against the bare XSD.
    odm_schema().validate(without_extensions(transactional))


def test_every_reference_resolves(files):
    transactional, snapshot = files
    assert unresolved_refs(transactional) == []
    assert unresolved_refs(snapshot) == []


@pytest.mark.req("P11.10b")
def test_replaying_the_transactional_file_gives_the_snapshot(files):
    transactional, snapshot = files
    replayed, current = replay(transactional), snapshot_values(snapshot)
    assert replayed == current
    # The story's corrections are there: a lesion resized, one removed.
    lesions = {k: v for k, v in current.items() if k[-1] == "IT.IMAGING.target_lesions.diameter_mm"}
    assert sorted(lesions.values()) == ["25.0", "30.0"]
    root = ET.fromstring(transactional)
    kinds = {e.get("TransactionType") for e in root.iter(ODM + "ItemData")}
    assert kinds == {"Insert", "Update", "Remove"}


def test_audit_records_and_signatures(files, story):
    transactional, _snapshot = files
    root = ET.fromstring(transactional)
    assert root.get("FileType") == "Transactional"
    for item in root.iter(ODM + "ItemData"):
        record = item.find(ODM + "AuditRecord")
        assert record is not None
        assert record.find(ODM + "SourceID").text.split(":")[1].isdigit()
        assert record.find(ODM + "DateTimeStamp").text.endswith("Z")
    reasons = {r.text for r in root.iter(ODM + "ReasonForChange")}
    assert "transcription error" in reasons
    # The eligibility sign-off sits in the FormData of the form it was signed on.
    signature = Signature.objects.get()
    forms = [f for f in root.iter(ODM + "FormData") if f.find(ODM + "Signature") is not None]
    assert [f.get("FormOID") for f in forms] == [f"F.{signature.row.form}"]
    signed = forms[0].find(ODM + "Signature")
    assert signed.find(ODM + "UserRef").get("UserOID") == f"USR.{signature.signer_id}"
    meanings = {d.findtext(ODM + "Meaning") for d in root.iter(ODM + "SignatureDef")}
    assert signature.meaning in meanings
    # Queries and SDV marks travel in the extension; HTML in a query is text.
    ns = "{" + odm.EDC_NS + "}"
    assert list(root.iter(ns + "Query")) and list(root.iter(ns + "SdvMark"))
    texts = [v.get("New") for v in root.iter(ns + "Value") if v.get("Name") == "text"]
    assert "Weight <b>unreadable</b>?" in texts


def test_a_casebook_signature_sits_on_the_subject_and_a_break_in_the_extension(
    story, investigator, nurse, tmp_path
):
    from tests.conftest import PASSWORD
    from tests.eligibility import helpers as h
    from trial import actions, signatures

    participant, _other = story
    actions.sign(investigator, PASSWORD, participant, kind=signatures.CASEBOOK, meaning="I approve")
    h.save(nurse, participant, "SCR", "DEMOG", {**h.demographics_data(), "weight_kg": "72"})
    data = io.BytesIO()
    odm.write_transactional(resolve_scope(), data)
    data = data.getvalue()
    extended_schema(str(tmp_path)).validate(data)
    assert unresolved_refs(data) == []
    root = ET.fromstring(data)
    subjects = [s for s in root.iter(ODM + "SubjectData") if s.find(ODM + "Signature") is not None]
    assert [s.get("SubjectKey") for s in subjects] == [participant.code]
    signed = subjects[0].find(ODM + "Signature")
    assert signed.find(ODM + "SignatureRef").get("SignatureOID") == odm.signature_def_oid(
        "I approve"
    )
    assert list(root.iter("{" + odm.EDC_NS + "}SignatureBreak"))
