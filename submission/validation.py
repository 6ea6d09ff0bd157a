"""Validation against CDISC's own schemas, copied into submission/schemas/ (see its README).

- Dataset-JSON 1.1: CDISC's JSON schema (draft 2019-09) through jsonschema, plus what a
  schema cannot say: the record count, one value per column in each row, the value types.
- Define-XML 2.1 and ODM 1.3.2: CDISC's XSDs through lxml (libxml2). The ODM exports carry
  this EDC's records in the ODM's extension slots (trial/exports/edc-odm-extension.xsd);
  they are validated with the ODM schema so extended, as a reader knowing the extension would.

These run in the export command (a package with an error is refused) and in verify_archive,
so they are production code: no test library involved.

Each function returns a list of messages, empty when the document is valid.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from trial.exports.odm import EDC_NS, EXTENDED_SCHEMA, EXTENSION_XSD

SCHEMAS = Path(__file__).resolve().parent / "schemas"
DATASET_JSON_SCHEMA = SCHEMAS / "dataset-json" / "1.1" / "dataset.schema.json"
DEFINE_XSD = SCHEMAS / "define" / "2.1" / "define2-1-0.xsd"
ODM_DIR = SCHEMAS / "odm" / "1.3.2"
ODM_XSD = ODM_DIR / "ODM1-3-2.xsd"

MAX_MESSAGES = 50

_JSON_TYPES = {
    "integer": (int,),
    "double": (int, float),
    "float": (int, float),
    "decimal": (str,),
    "string": (str,),
    "date": (str,),
    "datetime": (str,),
    "time": (str,),
    "URI": (str,),
    "boolean": (bool,),
}


@cache
def _dataset_validator() -> Any:
    # jsonschema is loaded only when a package is checked, never by a page.
    from jsonschema import Draft201909Validator

    schema = json.loads(DATASET_JSON_SCHEMA.read_text(encoding="utf-8"))
    Draft201909Validator.check_schema(schema)
    return Draft201909Validator(schema)


def dataset_json_errors(content: Any) -> list[str]:
    """Schema errors of a Dataset-JSON document, then its own consistency."""
    errors = [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(document)'}: {error.message}"
        for error in _dataset_validator().iter_errors(content)
    ][:MAX_MESSAGES]
    if errors or not isinstance(content, dict):
        return errors
    columns = content.get("columns", [])
    rows = content.get("rows", [])
    if content.get("records") != len(rows):
        errors.append(f"records says {content.get('records')}, the file has {len(rows)} rows")
    for number, row in enumerate(rows, start=1):
        if len(row) != len(columns):
            errors.append(f"row {number}: {len(row)} values for {len(columns)} columns")
            continue
        for column, value in zip(columns, row, strict=True):
            wanted = _JSON_TYPES.get(column["dataType"], (object,))
            if value is not None and (
                not isinstance(value, wanted) or (isinstance(value, bool) and bool not in wanted)
            ):
                errors.append(
                    f"row {number}: {column['name']} is {value!r}, not a {column['dataType']}"
                )
            elif isinstance(value, str) and len(value.encode()) > column.get("length", 10**9):
                errors.append(f"row {number}: {column['name']} is longer than its length")
        if len(errors) >= MAX_MESSAGES:
            break
    return errors[:MAX_MESSAGES]


def _xml_errors(schema: Any, data: bytes) -> list[str]:
    # lxml's schema support is loaded only when a package is checked, never by a page.
    from lxml import etree

    try:
        document = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as error:
        return [f"not well-formed XML: {error}"]
    if schema.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log][:MAX_MESSAGES]


@cache
def _define_schema() -> Any:
    # lxml's schema support is loaded only when a package is checked, never by a page.
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(DEFINE_XSD)))


def define_errors(data: bytes) -> list[str]:
    """XSD errors of a define.xml (Define-XML 2.1.0)."""
    return _xml_errors(_define_schema(), data)


@cache
def _odm_schema() -> Any:
    # lxml's schema support is loaded only when a package is checked, never by a page.
    from lxml import etree

    wrapper = EXTENDED_SCHEMA.format(
        edc=EDC_NS, odm=ODM_DIR.as_uri(), ext=Path(EXTENSION_XSD).resolve().as_uri()
    )
    return etree.XMLSchema(etree.fromstring(wrapper.encode(), base_url=ODM_DIR.as_uri() + "/"))


def odm_errors(data: bytes) -> list[str]:
    """XSD errors of an ODM 1.3.2 file of this EDC (Snapshot or Transactional)."""
    return _xml_errors(_odm_schema(), data)
