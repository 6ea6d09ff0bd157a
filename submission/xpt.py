"""SAS XPORT version 5 (the FDA's transport format), written and read back with pyreadstat.

pyreadstat wraps ReadStat (C): it writes version 5 transport files and reads them back, so
the package's own check (each XPT equals its JSON) uses a second, independent reader of the
bytes rather than our own code. It works on pandas data frames.

XPT has no null: a missing text is blank and a missing number is SAS's missing value (.).
Reading back turns both into None, so a record compares equal to its Dataset-JSON row.
Text is written as UTF-8 bytes (the French sites' free text keeps its accents; the lengths
are in bytes, as in Define-XML).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from submission.metadata import Domain


def write(path: Path, domain: Domain, records: list[dict[str, Any]]) -> None:
    # pandas and pyreadstat take about a second to load: only when a transport file is made.
    import pandas as pd
    import pyreadstat

    data: dict[str, Any] = {}
    for variable in domain.variables:
        values = [record.get(variable.name) for record in records]
        if variable.numeric:
            data[variable.name] = pd.Series(
                [math.nan if v is None else float(v) for v in values], dtype="float64"
            )
        else:
            data[variable.name] = pd.Series(
                ["" if v is None else str(v) for v in values], dtype="object"
            )
    frame = pd.DataFrame(data, columns=domain.names)
    pyreadstat.write_xport(
        frame,
        str(path),
        file_label=domain.label,
        column_labels=[v.label for v in domain.variables],
        table_name=domain.code,
        file_format_version=5,
    )


def read(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(metadata, records) of a transport file: the dataset's name and label, the variables'
    names, labels and widths, and every record with None for a missing value."""
    # pyreadstat (and pandas under it) takes about a second to load: only when a file is read.
    import pyreadstat

    frame, meta = pyreadstat.read_xport(str(path))
    numeric = {name for name, kind in meta.readstat_variable_types.items() if kind == "double"}
    records = []
    for row in frame.itertuples(index=False, name=None):
        record: dict[str, Any] = {}
        for name, value in zip(meta.column_names, row, strict=True):
            if name in numeric:
                record[name] = None if value is None or math.isnan(value) else float(value)
            else:
                record[name] = value if value not in (None, "") else None
        records.append(record)
    info = {
        "name": meta.table_name,
        "label": meta.file_label,
        "columns": meta.column_names,
        "labels": meta.column_names_to_labels,
        "widths": meta.variable_storage_width,
        "numeric": numeric,
    }
    return info, records
