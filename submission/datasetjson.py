"""CDISC Dataset-JSON 1.1: one dataset as a JSON document (columns, then rows of values).

Pure Python, no Django import. A missing value is JSON null (XPT, which has no null, writes
a blank or a missing number instead: submission/xpt.py). Numbers are JSON numbers (integers,
or doubles as Python writes them, the shortest text that reads back to the same double).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from submission.metadata import Domain, group_oid, item_oid, text_length

VERSION = "1.1.0"


@dataclass(frozen=True)
class Header:
    """What every dataset of one package shares."""

    study_oid: str
    metadata_version_oid: str
    created: datetime
    last_modified: datetime | None
    originator: str
    system: str
    system_version: str
    define_file: str = "define.xml"


def _stamp(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def columns(domain: Domain, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    result = []
    for variable in domain.variables:
        column: dict[str, Any] = {
            "itemOID": item_oid(domain.code, variable.name),
            "name": variable.name,
            "label": variable.label,
            "dataType": variable.json_type,
        }
        if not variable.numeric:
            column["length"] = text_length(records, variable.name)
        if domain.key_sequence(variable.name):
            column["keySequence"] = domain.key_sequence(variable.name)
        result.append(column)
    return result


def document(domain: Domain, records: list[dict[str, Any]], header: Header) -> dict[str, Any]:
    names = domain.names
    document: dict[str, Any] = {
        "datasetJSONCreationDateTime": _stamp(header.created),
        "datasetJSONVersion": VERSION,
        "fileOID": f"{header.study_oid}.{domain.code}.{header.created:%Y%m%dT%H%M%S}",
        "originator": header.originator,
        "sourceSystem": {"name": header.system, "version": header.system_version},
        "studyOID": header.study_oid,
        "metaDataVersionOID": header.metadata_version_oid,
        "metaDataRef": header.define_file,
        "itemGroupOID": group_oid(domain.code),
        "records": len(records),
        "name": domain.code,
        "label": domain.label,
        "columns": columns(domain, records),
        "rows": [[record.get(name) for name in names] for record in records],
    }
    if header.last_modified is not None:
        document["dbLastModifiedDateTime"] = _stamp(header.last_modified)
    return document


def write(path: Path, content: dict[str, Any]) -> None:
    # One row per line: a reviewer can read and diff it, and it stays valid JSON.
    rows = content["rows"]
    head = {k: v for k, v in content.items() if k != "rows"}
    text = json.dumps(head, ensure_ascii=False, indent=1)[:-2]
    lines = ",\n".join("  " + json.dumps(row, ensure_ascii=False) for row in rows)
    text += ',\n "rows": [\n' + lines + ("\n" if rows else "") + " ]\n}\n"
    path.write_text(text, encoding="utf-8")


def read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def records_of(content: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows back as records keyed by column name."""
    names = [column["name"] for column in content["columns"]]
    return [dict(zip(names, row, strict=True)) for row in content["rows"]]
