"""Checking ODM files: the XSD of odmlib, references, and replaying a Transactional file.

The CDISC ODM 1.3.2 XSD (as odmlib ships it) is used through xmlschema directly, not
through odmlib's object model: odmlib's model wrongly requires Signature/@ID, which the XSD
makes optional; the XSD wins.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import odmlib
import xmlschema

from trial.exports.odm import EDC_NS, EXTENDED_SCHEMA, EXTENSION_XSD

ODM = "{http://www.cdisc.org/ns/odm/v1.3}"
ODM_DIR = Path(odmlib.__file__).parent / "schemas" / "odm" / "1.3.2"

WRAPPER = EXTENDED_SCHEMA


@cache
def odm_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(ODM_DIR / "ODM1-3-2.xsd"))


@cache
def extended_schema(directory: str) -> xmlschema.XMLSchema:
    path = Path(directory) / "odm-edc.xsd"
    path.write_text(
        WRAPPER.format(edc=EDC_NS, odm=ODM_DIR.as_posix(), ext=EXTENSION_XSD.as_posix())
    )
    return xmlschema.XMLSchema(str(path))


def without_extensions(data: bytes) -> bytes:
    """The file with its edc: elements removed: what a reader without the extension sees."""
    root = ET.fromstring(data)
    for parent in root.iter():
        for child in list(parent):
            if child.tag.startswith("{" + EDC_NS + "}"):
                parent.remove(child)
    return ET.tostring(root)


def unresolved_refs(data: bytes) -> list[str]:
    """Every UserRef, LocationRef, SignatureRef (and ItemData, FormData, ... OID) whose
    definition is missing."""
    root = ET.fromstring(data)
    defined = {
        "User": {e.get("OID") for e in root.iter(ODM + "User")},
        "Location": {e.get("OID") for e in root.iter(ODM + "Location")},
        "SignatureDef": {e.get("OID") for e in root.iter(ODM + "SignatureDef")},
        "ItemDef": {e.get("OID") for e in root.iter(ODM + "ItemDef")},
        "ItemGroupDef": {e.get("OID") for e in root.iter(ODM + "ItemGroupDef")},
        "FormDef": {e.get("OID") for e in root.iter(ODM + "FormDef")},
        "StudyEventDef": {e.get("OID") for e in root.iter(ODM + "StudyEventDef")},
        "CodeList": {e.get("OID") for e in root.iter(ODM + "CodeList")},
    }
    refs = [
        ("UserRef", "UserOID", "User"),
        ("LocationRef", "LocationOID", "Location"),
        ("SignatureRef", "SignatureOID", "SignatureDef"),
        ("ItemData", "ItemOID", "ItemDef"),
        ("ItemRef", "ItemOID", "ItemDef"),
        ("ItemGroupData", "ItemGroupOID", "ItemGroupDef"),
        ("ItemGroupRef", "ItemGroupOID", "ItemGroupDef"),
        ("FormData", "FormOID", "FormDef"),
        ("FormRef", "FormOID", "FormDef"),
        ("StudyEventData", "StudyEventOID", "StudyEventDef"),
        ("StudyEventRef", "StudyEventOID", "StudyEventDef"),
        ("CodeListRef", "CodeListOID", "CodeList"),
    ]
    missing = []
    for tag, attribute, kind in refs:
        for element in root.iter(ODM + tag):
            if element.get(attribute) not in defined[kind]:
                missing.append(f"{tag} {element.get(attribute)}")
    for element in root.iter():
        user = element.get("UserOID")
        if element.tag.startswith("{" + EDC_NS + "}") and user and user not in defined["User"]:
            missing.append(f"{element.tag} {user}")
    return missing


def _items(data: bytes):
    """(path, ItemData element) in document order, streamed."""
    path: list[str] = []
    for event, element in ET.iterparse(io.BytesIO(data), events=("start", "end")):
        tag = element.tag
        if tag == ODM + "SubjectData":
            key = (element.get("SubjectKey"),)
        elif tag == ODM + "StudyEventData":
            key = (element.get("StudyEventOID"), element.get("StudyEventRepeatKey"))
        elif tag == ODM + "FormData":
            key = (element.get("FormOID"), element.get("FormRepeatKey"))
        elif tag == ODM + "ItemGroupData":
            key = (element.get("ItemGroupOID"), element.get("ItemGroupRepeatKey"))
        elif tag == ODM + "ItemData":
            if event == "start":
                yield tuple(path), element
            continue
        else:
            continue
        if event == "start":
            path.append(key)
        else:
            path.pop()


def _value(element: ET.Element) -> str | None:
    return None if element.get("IsNull") == "Yes" else element.get("Value")


def replay(data: bytes) -> dict[tuple, str | None]:
    """The values left by the Transactional file's Insert / Update / Remove, in order."""
    values: dict[tuple, str | None] = {}
    for path, element in _items(data):
        key = (*path, element.get("ItemOID"))
        transaction = element.get("TransactionType")
        if transaction == "Remove":
            assert key in values, key
            del values[key]
        elif transaction == "Insert":
            assert key not in values, key
            values[key] = _value(element)
        else:
            assert transaction in ("Update", "Upsert"), transaction
            values[key] = _value(element)
    return values


def snapshot_values(data: bytes) -> dict[tuple, str | None]:
    values: dict[tuple, str | None] = {}
    for path, element in _items(data):
        key = (*path, element.get("ItemOID"))
        assert key not in values, key
        values[key] = _value(element)
    return values
