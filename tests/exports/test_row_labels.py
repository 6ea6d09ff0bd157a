"""The audit CSV and the ODM name item-group rows by their permanent labels (T2, NT1), the
names History and the PDFs give them (trial.crf.ItemGroup.label_of), never by a bare number
or a primary key. Nothing is deleted: the labels are there from the first save."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest

from tests.followup import helpers as h
from trial.exports import audit_csv, odm
from trial.exports.common import resolve_scope

pytestmark = pytest.mark.req("P11.10b")

ODM = "{http://www.cdisc.org/ns/odm/v1.3}"


@pytest.fixture
def fu(nurse, bdx):
    participant = h.follow_up_participant(nurse, bdx)  # baseline T1-T3, one NT1
    h.save_recist(nurse, participant, "M3", h.visit_day(3), 22, 16, 12)
    return participant


def test_the_audit_csv_names_group_rows_by_label(fu):
    scope = resolve_scope(participant=fu.code)
    rows = list(csv.DictReader(io.StringIO("".join(audit_csv.chunks(scope)))))
    keys = {
        (r["form"], r["item_group"]): set()
        for r in rows
        if r["item_group"] in ("target_lesions", "non_target_lesions", "measurements")
    }
    for r in rows:
        if (r["form"], r["item_group"]) in keys:
            keys[(r["form"], r["item_group"])].add(r["item_group_repeat"])
    assert keys == {
        ("IMAGING", "target_lesions"): {"T1", "T2", "T3"},
        ("IMAGING", "non_target_lesions"): {"NT1"},
        ("RECIST", "measurements"): {"T1", "T2", "T3"},
    }


def test_the_odm_names_group_rows_by_label(fu):
    scope = resolve_scope(participant=fu.code)
    for write in (odm.write_snapshot, odm.write_transactional):
        target = io.BytesIO()
        write(scope, target)
        root = ET.fromstring(target.getvalue())
        keys: dict[str, set] = {}
        for group in root.iter(ODM + "ItemGroupData"):
            keys.setdefault(group.get("ItemGroupOID"), set()).add(group.get("ItemGroupRepeatKey"))
        targets = {k: v for k, v in keys.items() if k.endswith("target_lesions")}
        assert sorted(map(sorted, targets.values())) == [["NT1"], ["T1", "T2", "T3"]], write
        measured = [v for k, v in keys.items() if k.endswith("measurements")]
        assert measured == [{"T1", "T2", "T3"}], write
