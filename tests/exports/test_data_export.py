"""export_data: one CSV per form and item group, a dictionary of every column, the Snapshot."""

from __future__ import annotations

import csv

from django.core.management import call_command

from tests.exports.odm_check import odm_schema


def test_export_data_writes_forms_groups_dictionary_and_snapshot(story, tmp_path):
    call_command("export_data", "--output", str(tmp_path))
    files = {p.name for p in tmp_path.iterdir()}
    assert {"demog.csv", "dictionary.csv", "snapshot.odm.xml"} <= files
    demog = list(csv.DictReader((tmp_path / "demog.csv").open()))
    assert {r["participant"] for r in demog} == {"BDX-001", "TLS-001"}
    bdx = next(r for r in demog if r["participant"] == "BDX-001")
    assert bdx["weight_kg"] == "71.0" and bdx["sex"] == "F" and bdx["sex_label"]
    dictionary = list(csv.DictReader((tmp_path / "dictionary.csv").open()))
    described = {(d["file"], d["field"]) for d in dictionary}
    # Every column of every CSV is described, and nothing else.
    columns = set()
    for name in files - {"dictionary.csv", "snapshot.odm.xml"}:
        with (tmp_path / name).open() as f:
            columns |= {(name, column) for column in next(csv.reader(f))}
    assert columns == described
    sex = next(d for d in dictionary if d["file"] == "demog.csv" and d["field"] == "sex")
    assert "F=" in sex["allowed_values"]
    weight = next(d for d in dictionary if d["file"] == "demog.csv" and d["field"] == "weight_kg")
    assert (weight["type"], weight["unit"]) == ("decimal", "kg")
    groups = [name for name in files if "__" in name]
    assert groups, "item groups have their own CSVs"
    odm_schema().validate(str(tmp_path / "snapshot.odm.xml"))
