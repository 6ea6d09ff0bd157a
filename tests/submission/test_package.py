"""The SDTM package of the demo: every Dataset-JSON valid against CDISC's schema, define.xml
valid against the Define-XML 2.1 XSD and describing every dataset and variable, each XPT
equal to its JSON (read back by pyreadstat), USUBJIDs without identifying data, study days
per SDTM, and the command around it."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path

import pyreadstat
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from jsonschema import Draft201909Validator
from lxml import etree

from eligibility.models import Demographics
from submission import datasetjson, package, validation
from submission.domains import MODULES, domain_of
from submission.study import Study
from trial.exports.common import resolve_scope
from trial.models import ExportLog, Participant

SCHEMAS = Path(__file__).resolve().parents[2] / "submission" / "schemas"
ODM = "{http://www.cdisc.org/ns/odm/v1.3}"
DEF = "{http://www.cdisc.org/ns/def/v2.1}"
DOMAINS = ["DM", "DS", "AE", "MH", "EX", "CM", "LB", "VS", "TU", "TR", "RS", "XE", "XD"]
DTC_DY = {
    "AE": [("AESTDTC", "AESTDY"), ("AEENDTC", "AEENDY")],
    "CM": [("CMSTDTC", "CMSTDY"), ("CMENDTC", "CMENDY")],
    "DS": [("DSSTDTC", "DSSTDY")],
    "EX": [("EXSTDTC", "EXSTDY"), ("EXENDTC", "EXENDY")],
    "LB": [("LBDTC", "LBDY")],
    "MH": [("MHSTDTC", "MHSTDY")],
    "RS": [("RSDTC", "RSDY")],
    "TR": [("TRDTC", "TRDY")],
    "TU": [("TUDTC", "TUDY")],
    "VS": [("VSDTC", "VSDY")],
    "XD": [("XDDTC", "XDDY")],
    "XE": [("XEDTC", "XEDY")],
}
ISO = re.compile(r"^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2})?)?)?)?$")


def test_the_package_has_every_domain_and_no_error(sdtm):
    assert sdtm.result.errors == []
    assert list(sdtm.result.records) == DOMAINS
    names = {p.name for p in sdtm.directory.iterdir()}
    for code in DOMAINS:
        assert {f"{code.lower()}.json", f"{code.lower()}.xpt"} <= names
        # The demo fills every domain: a mapping that lost its data would show here.
        assert sdtm.result.records[code] > 0, code
    assert {"define.xml", "blankcrf.pdf"} <= names


@pytest.mark.req("E6.4.2.5")
def test_every_dataset_json_is_valid_against_cdiscs_schema(sdtm):
    schema = json.loads((SCHEMAS / "dataset-json" / "1.1" / "dataset.schema.json").read_text())
    validator = Draft201909Validator(schema)
    for code in DOMAINS:
        content = sdtm.json(code)
        errors = [e.message for e in validator.iter_errors(content)]
        assert errors == [], (code, errors[:5])
        assert content["datasetJSONVersion"] == "1.1.0"
        assert content["records"] == len(content["rows"])
        assert content["itemGroupOID"] == f"IG.{code}" and content["name"] == code


def test_the_schema_check_is_not_vacuous(sdtm):
    content = sdtm.json("DM")
    assert validation.dataset_json_errors(content) == []
    broken = {k: v for k, v in content.items() if k != "name"}
    assert any("'name' is a required property" in e for e in validation.dataset_json_errors(broken))
    assert validation.dataset_json_errors({**content, "records": 1})
    wrong_type = json.loads(json.dumps(content))
    wrong_type["rows"][0][
        content["columns"].index(next(c for c in content["columns"] if c["name"] == "AGE"))
    ] = "sixty"
    assert any("AGE" in e for e in validation.dataset_json_errors(wrong_type))


def define_tree(sdtm):
    return etree.parse(str(sdtm.directory / "define.xml"))


@pytest.mark.req("E6.4.2.5")
def test_define_xml_is_valid_against_the_define_2_1_xsd(sdtm):
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "define" / "2.1" / "define2-1-0.xsd")))
    tree = define_tree(sdtm)
    assert schema.validate(tree), schema.error_log
    root = tree.getroot()
    assert root.get(f"{DEF}Context") == "Submission"
    # Not vacuous: the same document without its required context is refused.
    del root.attrib[f"{DEF}Context"]
    assert not schema.validate(tree)


def test_define_xml_describes_every_dataset_and_variable(sdtm):
    root = define_tree(sdtm).getroot()
    groups = {g.get("Name"): g for g in root.iter(f"{ODM}ItemGroupDef")}
    items = {i.get("OID"): i for i in root.iter(f"{ODM}ItemDef")}
    methods = {m.get("OID") for m in root.iter(f"{ODM}MethodDef")}
    codelists = {c.get("OID"): c for c in root.iter(f"{ODM}CodeList")}
    assert list(groups) == DOMAINS
    for code in DOMAINS:
        content = sdtm.json(code)
        group = groups[code]
        assert group.find(f"{DEF}Class").get("Name")
        assert group.find(f"{DEF}leaf").get("{http://www.w3.org/1999/xlink}href") == (
            f"{code.lower()}.xpt"
        )
        refs = group.findall(f"{ODM}ItemRef")
        assert [r.get("ItemOID") for r in refs] == [c["itemOID"] for c in content["columns"]]
        for ref, column in zip(refs, content["columns"], strict=True):
            item = items[ref.get("ItemOID")]
            assert item.get("Name") == column["name"]
            label = item.find(f"{ODM}Description/{ODM}TranslatedText").text
            assert label == column["label"]
            assert item.get("DataType")
            if item.get("DataType") in ("text", "integer", "float"):
                assert int(item.get("Length")) >= 1
            if item.get("DataType") == "text":
                assert int(item.get("Length")) == column["length"]
            origin = item.find(f"{DEF}Origin")
            assert origin is not None, column["name"]
            kind = origin.get("Type")
            assert kind in ("Collected", "Derived", "Assigned", "Protocol")
            if kind == "Derived":
                assert ref.get("MethodOID") in methods, column["name"]
            if kind == "Collected":
                pages = origin.find(f"{DEF}DocumentRef/{DEF}PDFPageRef").get("PageRefs")
                assert pages, column["name"]
            codelist = item.find(f"{ODM}CodeListRef")
            if codelist is not None:
                assert codelist.get("CodeListOID") in codelists
    # The custom domains are declared as such, named per SDTMIG (X, Y or Z, two letters).
    for code in ("XE", "XD"):
        assert groups[code].get(f"{DEF}IsNonStandard") == "Yes"
        assert re.fullmatch(r"[XYZ][A-Z]", code)
    assert groups["DM"].get(f"{DEF}StandardOID") == "STD.SDTMIG.3.4"
    # Value-level origins: RS's derived responses, TR's sums, XE's ratios, XD's dosimetry.
    value_items = {i.get("OID") for i in root.iter(f"{DEF}ValueListDef") for i in i}
    value_oids = {r.get("ItemOID") for r in root.iter(f"{ODM}ItemRef")} & set(items)
    assert {"IT.RS.RSORRES.OVRLRESP", "IT.RS.RSORRES.TRGRESP", "IT.XD.XDORRES.TIA"} <= value_oids
    assert value_items
    for oid in ("IT.RS.RSORRES.OVRLRESP", "IT.XE.XEORRES.PATER", "IT.TR.TRORRES.SUMDIAM"):
        assert items[oid].find(f"{DEF}Origin").get("Type") == "Derived"


def test_the_crf_pages_define_xml_points_to_exist_in_the_crf_book(sdtm):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO((sdtm.directory / "blankcrf.pdf").read_bytes()))
    destinations = set(reader.named_destinations)
    root = define_tree(sdtm).getroot()
    pages = {page for ref in root.iter(f"{DEF}PDFPageRef") for page in ref.get("PageRefs").split()}
    assert pages and pages <= destinations, pages - destinations


def test_every_coded_value_is_in_its_codelist(sdtm):
    for module in MODULES:
        domain = domain_of(module)
        for record in sdtm.records(domain.code):
            for variable in domain.variables:
                value = record[variable.name]
                codelist = variable.codelist
                if value is None or codelist is None or codelist.dictionary:
                    continue
                assert str(value) in codelist.values, (domain.code, variable.name, value)


def _xpt_rows(path: Path) -> tuple[list[dict], object]:
    frame, meta = pyreadstat.read_xport(str(path))
    return frame.to_dict("records"), meta


@pytest.mark.req("E6.4.2.5")
def test_each_xpt_equals_its_json_row_by_row_and_value_by_value(sdtm):
    for code in DOMAINS:
        content = sdtm.json(code)
        rows, meta = _xpt_rows(sdtm.directory / f"{code.lower()}.xpt")
        assert meta.table_name == code
        assert meta.file_label == content["label"]
        names = [c["name"] for c in content["columns"]]
        assert meta.column_names == names
        assert [meta.column_names_to_labels[n] for n in names] == [
            c["label"] for c in content["columns"]
        ]
        assert len(rows) == len(content["rows"]) == content["records"]
        for row, values in zip(rows, content["rows"], strict=True):
            for column, value in zip(content["columns"], values, strict=True):
                read = row[column["name"]]
                if column["dataType"] in ("integer", "double"):
                    if value is None:
                        assert read != read, (code, column["name"])  # NaN: SAS missing
                    else:
                        assert read == value, (code, column["name"], read, value)
                else:
                    # XPT has no null: a missing text reads back blank.
                    assert read == ("" if value is None else value), (code, column["name"])
                    if column["dataType"] != "string" or value is None:
                        continue
                    assert len(value.encode()) <= meta.variable_storage_width[column["name"]]


def test_usubjid_is_the_study_and_participant_code_and_nothing_identifies(sdtm, demo):
    codes = set(Participant.objects.values_list("code", flat=True))
    births = [d for d in Demographics.objects.values_list("birth_date", flat=True) if d]
    assert births
    dm = sdtm.records("DM")
    assert {r["USUBJID"] for r in dm} == {f"NCT04837885-{c}" for c in codes}
    assert all(r["USUBJID"] == f"{r['STUDYID']}-{r['SUBJID']}" for r in dm)
    assert all(r["BRTHDTC"] is None or re.fullmatch(r"\d{4}", r["BRTHDTC"]) for r in dm)
    born = {d.year for d in births}
    assert {int(r["BRTHDTC"]) for r in dm if r["BRTHDTC"]} <= born
    # No full date of birth anywhere in the package, in any format.
    text = "".join((sdtm.directory / f"{c.lower()}.json").read_text() for c in DOMAINS)
    for day in births:
        for shown in (day.isoformat(), day.strftime("%d/%m/%Y"), day.strftime("%Y%m%d")):
            assert shown not in text
    # No name of a user or a person: USUBJIDs are the only subject identifiers.
    from django.contrib.auth.models import User

    for first, last in User.objects.values_list("first_name", "last_name"):
        if len(last) > 3:
            assert f'"{last}' not in text and f"{first} {last}" not in text


def test_dates_are_iso_8601_and_study_days_have_no_day_zero(sdtm):
    reference = {r["USUBJID"]: r["RFSTDTC"] for r in sdtm.records("DM")}
    checked = negative = 0
    for code, pairs in DTC_DY.items():
        for record in sdtm.records(code):
            for dtc, dy in pairs:
                value = record[dtc]
                if value is not None:
                    assert ISO.match(value), (code, dtc, value)
                start = reference[record["USUBJID"]]
                if value is None or start is None or len(value) < 10:
                    assert record[dy] is None, (code, dy)
                    continue
                days = (date.fromisoformat(value[:10]) - date.fromisoformat(start)).days
                assert record[dy] == (days + 1 if days >= 0 else days), (code, dy, value, start)
                assert record[dy] != 0
                checked += 1
                negative += record[dy] < 0
    assert checked > 500 and negative > 50  # both sides of RFSTDTC are exercised


def test_rfstdtc_is_the_enrolment_date_and_screen_failures_have_none(sdtm, demo):
    dm = {r["SUBJID"]: r for r in sdtm.records("DM")}
    for participant in Participant.objects.all():
        record = dm[participant.code]
        expected = participant.enrolment_date.isoformat() if participant.enrolment_date else None
        assert record["RFSTDTC"] == expected
        if participant.status == "screen_failure":
            assert record["ARMNRS"] == "SCREEN FAILURE" and record["ARMCD"] is None


def test_reading_the_study_costs_the_same_queries_for_one_site_or_all(demo):
    def count(scope) -> int:
        with CaptureQueriesContext(connection) as queries:
            Study(scope.participant_ids)
        return len(queries)

    everyone, one_site = count(resolve_scope()), count(resolve_scope(site="TLS"))
    # The participants, their form rows, then one per form model and item group (the VOI
    # volumes of the dosimetry are one); a form with no row in the scope is not read (the
    # demo's TLS has no concomitant medication): never more for one site than for all.
    assert everyone == 32 and one_site <= everyone


def test_building_the_package_costs_the_same_queries_for_one_site_or_all(demo, tmp_path):
    def count(scope, name) -> int:
        with CaptureQueriesContext(connection) as queries:
            package.build(scope, tmp_path / name, crf_book=False)
        return len(queries)

    everyone = count(resolve_scope(), "all")
    # As above: a form with no row in the scope is not read.
    assert everyone == 35 and count(resolve_scope(site="TLS"), "tls") <= everyone


def test_export_sdtm_writes_the_package_and_logs_it(demo, tmp_path):
    err = io.StringIO()
    call_command("export_sdtm", "--output", str(tmp_path / "p"), "--site", "TLS", stderr=err)
    dm = datasetjson.read(tmp_path / "p" / "dm.json")
    assert {row[3][:3] for row in dm["rows"]} == {"TLS"}
    assert "28 files written" in err.getvalue()
    log = ExportLog.objects.get(kind="sdtm")
    assert log.filters == {"site": "TLS"} and log.finished_at is not None
    assert log.row_count == sum(
        datasetjson.read(p)["records"] for p in (tmp_path / "p").glob("*.json")
    )


def test_export_sdtm_refuses_what_it_cannot_export(demo, tmp_path):
    with pytest.raises(CommandError, match="No such site: XXX"):
        call_command("export_sdtm", "--output", str(tmp_path / "p"), "--site", "XXX")
    with pytest.raises(CommandError, match="Only data managers"):
        call_command("export_sdtm", "--output", str(tmp_path / "q"), "--user", "monitor")
    (tmp_path / "file").write_text("")
    with pytest.raises(CommandError, match="is a file"):
        call_command("export_sdtm", "--output", str(tmp_path / "file"))
    assert not ExportLog.objects.filter(kind="sdtm").exists()


def test_a_participant_still_screening_gives_empty_but_valid_datasets(demo, tmp_path):
    code = Participant.objects.filter(status="screening").order_by("code").first().code
    result = package.build(resolve_scope(participant=code), tmp_path, crf_book=False)
    assert result.errors == []
    assert result.records["DM"] == 1
    for empty in ("TU", "TR", "RS", "XE", "XD"):
        assert result.records[empty] == 0
        content = datasetjson.read(tmp_path / f"{empty.lower()}.json")
        assert content["rows"] == [] and validation.dataset_json_errors(content) == []
        frame, _meta = pyreadstat.read_xport(str(tmp_path / f"{empty.lower()}.xpt"))
        assert len(frame) == 0
