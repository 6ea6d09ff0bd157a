"""Whether an XPT file holds what its Dataset-JSON file holds: the same dataset name and
label, the same variables (names, labels, order, numeric or text) and the same rows, value
for value. XPT has no null: a blank text and a missing number both read back as None.

Pure Python, no Django import: used by the export, by verify_archive and by the tests.
"""

from __future__ import annotations

from typing import Any

NUMERIC = {"integer", "double", "float", "decimal"}
MAX_MESSAGES = 20


def _same(value: Any, read: Any, numeric: bool) -> bool:
    if value is None or value == "":
        return read is None
    if numeric:
        return read is not None and float(value) == read
    return value == read


def differences(content: dict[str, Any], info: dict[str, Any], rows: list[dict]) -> list[str]:
    """What differs between a Dataset-JSON document and an XPT read back (xpt.read)."""
    found = []
    if info["name"] != content["name"]:
        found.append(f"dataset name {info['name']!r} is not {content['name']!r}")
    if info["label"] != content["label"]:
        found.append(f"dataset label {info['label']!r} is not {content['label']!r}")
    columns = content["columns"]
    names = [c["name"] for c in columns]
    if list(info["columns"]) != names:
        return [*found, f"variables {list(info['columns'])} are not {names}"]
    for column in columns:
        name = column["name"]
        if info["labels"].get(name) != column["label"]:
            found.append(f"{name}: label {info['labels'].get(name)!r} is not {column['label']!r}")
        numeric = column["dataType"] in NUMERIC
        if (name in info["numeric"]) != numeric:
            found.append(f"{name}: {'numeric' if numeric else 'text'} in JSON, not in XPT")
    if len(rows) != len(content["rows"]):
        return [*found, f"{len(rows)} rows in XPT, {len(content['rows'])} in JSON"]
    for number, (row, read) in enumerate(zip(content["rows"], rows, strict=True), start=1):
        for column, value in zip(columns, row, strict=True):
            name = column["name"]
            if not _same(value, read[name], column["dataType"] in NUMERIC):
                found.append(f"row {number}: {name} is {read[name]!r} in XPT, {value!r} in JSON")
                if len(found) >= MAX_MESSAGES:
                    return found
    return found
