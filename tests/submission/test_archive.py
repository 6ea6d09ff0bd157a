"""The 25-year archive: a fresh archive of a demo participant verifies; a changed byte, a
missing or added file, or a file changed with its manifest line rewritten, does not."""

from __future__ import annotations

import io
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from submission import archive
from submission.verify import pdfa_failures, verify
from tests.conftest import _connected_to
from trial import roles_report
from trial.models import ExportLog, Participant


@pytest.fixture(scope="module")
def written(demo_database, django_db_blocker, tmp_path_factory) -> tuple[Path, str, int, bytes]:
    """`manage.py archive` of one demo participant after an IAH dose, and the roles-over-time
    report of its site as the administration page gives it."""
    directory = tmp_path_factory.mktemp("archive") / "trial"
    with django_db_blocker.unblock(), _connected_to(demo_database), transaction.atomic():
        participant = (
            Participant.objects.filter(gate_decision="proceed", status="follow_up")
            .order_by("code")
            .first()
        )
        call_command(
            "archive",
            "--output",
            str(directory),
            "--participant",
            participant.code,
            stderr=io.StringIO(),
        )
        logged = ExportLog.objects.filter(kind="archive", finished_at__isnull=False).count()
        roles = roles_report.csv_bytes(roles_report.held([participant.site_id]))
        transaction.set_rollback(True)
    return directory, participant.code, logged, roles


def _verify(directory: Path) -> tuple[int, list[str]]:
    out = io.StringIO()
    try:
        call_command("verify_archive", str(directory), stdout=out, stderr=io.StringIO())
    except SystemExit as stop:
        return int(stop.code), out.getvalue().splitlines()
    return 0, out.getvalue().splitlines()


@pytest.fixture
def copy(written, tmp_path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(written[0], target)
    return target


@pytest.mark.req("P11.10c", "A11.17", "E6.4.2.7")
def test_a_fresh_archive_holds_everything_and_verifies(written):
    directory, code, logged, roles = written
    assert logged == 1
    names = archive.files_of(directory)
    assert f"casebooks/{code}_casebook.pdf" in names
    for name in (
        "odm/snapshot.odm.xml",
        "odm/transactional.odm.xml",
        "audit/audit-trail.csv",
        "sdtm/define.xml",
        "sdtm/dm.json",
        "sdtm/dm.xpt",
        "sdtm/xd.json",
        "sdtm/blankcrf.pdf",
        "reports/roles-over-time.csv",
        "README.txt",
        "schemas/edc-odm-extension.xsd",
        "schemas/dataset-json/1.1/dataset.schema.json",
        "schemas/define/2.1/define2-1-0.xsd",
    ):
        assert name in names, name
    report = (directory / "reports" / "roles-over-time.csv").read_bytes()
    # The site's staff, each with the role assigned at seeding, who assigned it and why.
    assert report == roles and len(report.splitlines()) > 2 and b",study start-up," in report
    manifest = (directory / "MANIFEST.sha256").read_text().splitlines()
    assert [line.split("  ", 1)[1] for line in manifest] == names
    assert _verify(directory) == (0, [])


def test_the_manifest_is_checked_by_sha256sum_too(written):
    if shutil.which("sha256sum") is None:
        pytest.fail("sha256sum (coreutils) is missing")
    checked = subprocess.run(
        ["sha256sum", "--check", "--quiet", "MANIFEST.sha256"],
        cwd=written[0],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize(
    "name",
    ["sdtm/dm.xpt", "odm/transactional.odm.xml", "audit/audit-trail.csv", "casebooks"],
)
@pytest.mark.req("A11.17", "E6.4.2.7")
def test_one_changed_byte_fails_verification(copy, written, name):
    if name == "casebooks":
        name = f"casebooks/{written[1]}_casebook.pdf"
    path = copy / name
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 0x01
    path.write_bytes(bytes(content))
    status, lines = _verify(copy)
    assert status == 1
    assert lines == [f"HASH MISMATCH {name}"]


def test_a_missing_or_an_added_file_fails(copy):
    (copy / "sdtm" / "ae.json").unlink()
    (copy / "casebooks" / "intruder.pdf").write_bytes(b"%PDF-1.7\n")
    status, lines = _verify(copy)
    assert status == 1
    assert "MISSING sdtm/ae.json" in lines
    assert "NOT IN MANIFEST casebooks/intruder.pdf" in lines


def _rewrite_manifest(directory: Path) -> None:
    archive.write_manifest(directory)


def test_a_changed_file_with_its_manifest_rewritten_fails_its_validation(copy):
    snapshot = copy / "odm" / "snapshot.odm.xml"
    snapshot.write_bytes(snapshot.read_bytes().replace(b'FileType="Snapshot"', b'FileType="Snap"'))
    dm = copy / "sdtm" / "dm.json"
    dm.write_text(
        dm.read_text().replace('"datasetJSONVersion": "1.1.0"', '"datasetJSONVersion": "1.0.0"')
    )
    define = copy / "sdtm" / "define.xml"
    define.write_bytes(define.read_bytes().replace(b' def:Context="Submission"', b""))
    vs = copy / "sdtm" / "vs.json"
    vs.write_text(vs.read_text().replace('"kg"', '"lb"', 1))
    _rewrite_manifest(copy)
    status, lines = _verify(copy)
    assert status == 1
    assert any(line.startswith("INVALID ODM odm/snapshot.odm.xml: ") for line in lines)
    assert any(line.startswith("INVALID DATASET-JSON sdtm/dm.json: ") for line in lines)
    assert any(line.startswith("INVALID DEFINE-XML sdtm/define.xml: ") for line in lines)
    assert any(line.startswith("XPT DIFFERS FROM JSON sdtm/vs.json: ") for line in lines)


def test_a_required_file_missing_with_its_manifest_line(copy):
    (copy / "audit" / "audit-trail.csv").unlink()
    _rewrite_manifest(copy)
    assert _verify(copy) == (1, ["MISSING REQUIRED FILE audit/audit-trail.csv"])
    (copy / "MANIFEST.sha256").write_text("not a manifest line\n")
    status, lines = _verify(copy)
    assert status == 1 and lines[0].startswith("MALFORMED MANIFEST.sha256 line 1")


def test_the_casebook_claims_pdf_a_3b(written):
    content = (written[0] / "casebooks" / f"{written[1]}_casebook.pdf").read_bytes()
    assert pdfa_failures(content) == []


XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    b'xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"><rdf:Description rdf:about="" '
    b'pdfaid:part="%s" pdfaid:conformance="%s"/></rdf:RDF></x:xmpmeta>'
)


def _pdf(xmp: bytes, extra: bytes = b"/Metadata 3 0 R /OutputIntents [4 0 R] /GTS_PDFA1") -> bytes:
    return b"%PDF-1.7\n" + extra + b"\nstream\n" + xmp + b"\nendstream\n%%EOF\n"


def test_what_the_pdf_a_check_refuses():
    assert pdfa_failures(_pdf(XMP % (b"3", b"B"))) == []
    assert pdfa_failures(_pdf(XMP % (b"2", b"B"))) == ["pdfaid:part is '2', not '3'"]
    assert pdfa_failures(_pdf(XMP % (b"3", b"U"))) == ["pdfaid:conformance is 'U', not 'B'"]
    assert pdfa_failures(_pdf(b"")) == ["no XMP metadata packet"]
    assert pdfa_failures(_pdf(XMP % (b"3", b"B"), extra=b"/Metadata 3 0 R")) == [
        "no PDF/A output intent (/OutputIntents with /GTS_PDFA1)"
    ]
    assert pdfa_failures(b"GIF89a") == ["not a PDF (no %PDF- header)"]
    assert "no %%EOF at the end (truncated?)" in pdfa_failures(_pdf(XMP % (b"3", b"B"))[:-7])


def _compressed_ending_in_cr(text: bytes) -> bytes:
    """`text`, padded until its compressed form ends with a carriage return (the last byte
    of the zlib checksum, so about one padding in 256)."""
    for padding in range(20_000):
        data = zlib.compress(text + b" " * padding)
        if data.endswith(b"\r"):
            return data
    raise AssertionError("no padding gave compressed data ending with a carriage return")


@pytest.mark.parametrize("eol", [b"\n", b"\r\n"])
@pytest.mark.parametrize("ends_in_cr", [True, False])
def test_a_compressed_catalog_is_read_whatever_its_last_byte(eol, ends_in_cr):
    # A demo casebook failed its check on the day its catalog's compressed stream ended with
    # a carriage return: the end of line before endstream was taken to include it.
    catalog = b"<< /Type /Catalog /Metadata 3 0 R /OutputIntents [4 0 R] >> << /S /GTS_PDFA1 >>"
    data = _compressed_ending_in_cr(catalog) if ends_in_cr else zlib.compress(catalog)
    assert data.endswith(b"\r") == ends_in_cr
    content = (
        b"%PDF-1.7\n1 0 obj\n<< /Type /ObjStm /Filter /FlateDecode >>\nstream\n"
        + data
        + eol
        + b"endstream\nendobj\n3 0 obj\n<< /Type /Metadata >>\nstream\n"
        + XMP % (b"3", b"B")
        + b"\nendstream\nendobj\n%%EOF\n"
    )
    assert pdfa_failures(content) == []


def test_the_archive_is_written_into_a_new_or_empty_directory_only(tmp_path, db):
    (tmp_path / "old.txt").write_text("an earlier archive")
    with pytest.raises(CommandError, match="not an empty directory"):
        call_command("archive", "--output", str(tmp_path))
    assert not ExportLog.objects.exists()
    assert verify(tmp_path / "nowhere") == [f"NOT A DIRECTORY {tmp_path / 'nowhere'}"]
