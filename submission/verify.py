"""Checking an archive written by submission.archive, file by file. Each failure is one line.

1. MANIFEST.sha256: every line well-formed, every file listed present with its SHA-256,
   no file present but unlisted, and the files every archive has (the ODM Snapshot and
   Transactional files, the audit CSV, define.xml) listed.
2. ODM (odm/*.xml): valid against the CDISC ODM 1.3.2 XSD with the EDC's extension.
3. SDTM (sdtm/): each Dataset-JSON valid against CDISC's Dataset-JSON 1.1 schema (and
   consistent: record count, one value per column, value types), each XPT equal to its
   JSON value for value, define.xml valid against the Define-XML 2.1 XSD.
4. Casebooks (casebooks/*.pdf): the PDF/A conformance claim, as far as it can be read
   without a full PDF/A validator (veraPDF would parse every object): a PDF header and
   end-of-file marker; an XMP metadata packet that parses as XML and claims pdfaid:part 3
   and pdfaid:conformance B (what the casebook is written as); the catalog's /Metadata,
   an /OutputIntents with /GTS_PDFA1; embedded files, if any, each with /AFRelationship.

Pure Python with the validators of submission.validation (production dependencies).
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path
from xml.etree import ElementTree

from submission import compare, datasetjson, validation, xpt
from submission.archive import (
    AUDIT,
    AUDIT_FILE,
    MANIFEST,
    ODM,
    SDTM,
    SNAPSHOT_FILE,
    TRANSACTIONAL_FILE,
    files_of,
    sha256,
)

REQUIRED = (
    f"{ODM}/{SNAPSHOT_FILE}",
    f"{ODM}/{TRANSACTIONAL_FILE}",
    f"{AUDIT}/{AUDIT_FILE}",
    f"{SDTM}/define.xml",
)
_LINE = re.compile(r"^([0-9a-f]{64})  (\S(?:.*\S)?)$")
PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"
CLAIM = {"part": "3", "conformance": "B"}
MAX_PER_FILE = 5


def manifest_failures(directory: Path) -> tuple[list[str], list[str]]:
    """(failures, the files the manifest lists and that match their hash)."""
    manifest = directory / MANIFEST
    if not manifest.is_file():
        return [f"MISSING {MANIFEST}"], []
    failures, listed, good = [], set(), []
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), start=1):
        match = _LINE.match(line)
        if match is None:
            failures.append(f"MALFORMED {MANIFEST} line {number}: {line[:80]!r}")
            continue
        digest, name = match.groups()
        path = Path(name)
        if path.is_absolute() or ".." in path.parts:
            failures.append(f"OUTSIDE THE ARCHIVE {MANIFEST} line {number}: {name}")
            continue
        listed.add(name)
        if not (directory / name).is_file():
            failures.append(f"MISSING {name}")
        elif sha256(directory / name) != digest:
            failures.append(f"HASH MISMATCH {name}")
        else:
            good.append(name)
    for name in files_of(directory):
        if name not in listed:
            failures.append(f"NOT IN MANIFEST {name}")
    for name in REQUIRED:
        if name not in listed:
            failures.append(f"MISSING REQUIRED FILE {name}")
    return failures, good


def _capped(prefix: str, name: str, errors: list[str]) -> list[str]:
    lines = [f"{prefix} {name}: {error}" for error in errors[:MAX_PER_FILE]]
    if len(errors) > MAX_PER_FILE:
        lines.append(f"{prefix} {name}: {len(errors) - MAX_PER_FILE} more errors")
    return lines


def inflated(content: bytes) -> bytes:
    """The PDF's bytes, then every Flate stream inflated (object streams hold the catalog).

    A stream's data runs to its `endstream`, end of line included: the data itself may end
    with a carriage return (one compressed stream in 256 does), which a pattern that strips
    an optional CR before the end of line would cut off, leaving the stream unreadable and
    a sound casebook failing its check. The inflater stops where the compressed data ends
    and leaves the end of line aside."""
    parts = [content]
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", content, re.S):
        try:
            parts.append(zlib.decompressobj().decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)


def pdfa_failures(content: bytes) -> list[str]:
    """What is wrong with a casebook's PDF/A-3b claim (see the module's docstring)."""
    if not content.startswith(b"%PDF-"):
        return ["not a PDF (no %PDF- header)"]
    failures = []
    if b"%%EOF" not in content[-1024:]:
        failures.append("no %%EOF at the end (truncated?)")
    raw = inflated(content)
    start, end = raw.find(b"<x:xmpmeta"), raw.find(b"</x:xmpmeta>")
    if start < 0 or end < start:
        return [*failures, "no XMP metadata packet"]
    try:
        xmp = ElementTree.fromstring(raw[start : end + len(b"</x:xmpmeta>")])
    except ElementTree.ParseError as error:
        return [*failures, f"XMP metadata is not well-formed XML: {error}"]
    claims: dict[str, str] = {}
    for element in xmp.iter():
        for key in CLAIM:
            value = element.get(PDFAID + key)
            if value is None and element.tag == PDFAID + key:
                value = (element.text or "").strip()
            if value is not None:
                claims[key] = value
    for key, wanted in CLAIM.items():
        if key not in claims:
            failures.append(f"no pdfaid:{key} in the XMP metadata")
        elif claims[key] != wanted:
            failures.append(f"pdfaid:{key} is {claims[key]!r}, not {wanted!r}")
    if not re.search(rb"/Metadata\s+\d+\s+\d+\s+R", raw):
        failures.append("the catalog has no /Metadata stream")
    if not re.search(rb"/OutputIntents", raw) or not re.search(rb"/GTS_PDFA1", raw):
        failures.append("no PDF/A output intent (/OutputIntents with /GTS_PDFA1)")
    embedded = len(re.findall(rb"/Type\s*/EmbeddedFile\b", raw))
    related = len(re.findall(rb"/AFRelationship\s*/\w+", raw))
    if embedded and related < embedded:
        failures.append(f"{embedded} embedded files, {related} with /AFRelationship")
    return failures


def content_failures(directory: Path, names: list[str]) -> list[str]:
    failures = []
    for name in names:
        path = directory / name
        folder = Path(name).parts[0] if len(Path(name).parts) > 1 else ""
        if folder == ODM and name.endswith(".xml"):
            failures += _capped("INVALID ODM", name, validation.odm_errors(path.read_bytes()))
        elif folder == SDTM and name.endswith("define.xml"):
            errors = validation.define_errors(path.read_bytes())
            failures += _capped("INVALID DEFINE-XML", name, errors)
        elif folder == SDTM and name.endswith(".json"):
            try:
                content = datasetjson.read(path)
            except ValueError as error:
                failures.append(f"INVALID DATASET-JSON {name}: not JSON ({error})")
                continue
            failures += _capped(
                "INVALID DATASET-JSON", name, validation.dataset_json_errors(content)
            )
            transport = path.with_suffix(".xpt")
            if not transport.is_file():
                failures.append(f"MISSING {Path(name).with_suffix('.xpt').as_posix()}")
                continue
            try:
                info, rows = xpt.read(transport)
            except Exception as error:  # noqa: BLE001 - any unreadable transport file
                failures.append(f"UNREADABLE XPT {transport.name}: {error}")
                continue
            differences = compare.differences(content, info, rows)
            failures += _capped("XPT DIFFERS FROM JSON", name, differences)
        elif name.endswith(".pdf") and folder != SDTM:
            failures += _capped("PDF/A CLAIM", name, pdfa_failures(path.read_bytes()))
    return failures


def verify(directory: Path) -> list[str]:
    """Every failure of the archive in `directory`, one line each; empty when it is sound."""
    if not directory.is_dir():
        return [f"NOT A DIRECTORY {directory}"]
    failures, good = manifest_failures(directory)
    # Only files whose hash matches are read further: a changed file is already a failure,
    # and its content is not the archive's.
    return failures + content_failures(directory, good)
