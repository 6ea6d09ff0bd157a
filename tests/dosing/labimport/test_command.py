"""manage.py import_labs: one line per result, a summary; exit 1 on a refused file; --dry-run
writes nothing; the same file twice queues nothing and says so."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from dosing.labimport.models import ImportedLabValue, LabImportFile
from tests.dosing.labimport.conftest import DATA

ROOT = Path(__file__).resolve().parents[3]


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("import_labs", *args, stdout=out, stderr=err)
    return out.getvalue().splitlines(), err.getvalue().splitlines()


def test_the_command_prints_each_result_then_a_summary(c1, second, bdx):
    lines, _ = run(str(DATA / "bundle_two_participants.json"), "--site", "BDX")
    assert lines[0] == "BDX-001\t2025-12-26\tHaemoglobin\t13.1\tg/dL\t-"
    assert lines[1] == "BDX-001\t2025-12-26\tNeutrophils\t2.9\tG/L\t-"
    assert lines[4] == "BDX-001\t2025-12-26\tCreatinine\t0.95\tmg/dL\t-"
    assert lines[8] == "BDX-001\t2025-12-26\tAlbumin\t41\tg/L\t-"  # 4.1 g/dL
    assert lines[10] == "BDX-001\t2025-12-26\tINR\t1.05\t-\t-"
    assert lines[11] == "BDX-002\t2025-12-29\tHaemoglobin\t13.2\tg/dL\t-"  # 132 g/L
    assert lines[13] == "BDX-002\t2025-12-29\tNeutrophils\t3400\t/mm³\t-"
    assert lines[14].startswith("bundle_two_participants.json imported (sha256 ")
    assert lines[14].endswith(": 14 results of 2 participants queued for approval, 0 flagged.")
    assert len(lines) == 15 and ImportedLabValue.objects.count() == 14
    file = LabImportFile.objects.get()
    assert file.imported_by is None and file.site == bdx

    again, _ = run(str(DATA / "bundle_two_participants.json"))
    assert again == [
        # The day in the trial's time zone, as the command says it (the UTC date differs
        # between midnight in Paris and midnight UTC).
        f"bundle_two_participants.json was already imported on "
        f"{timezone.localdate(file.imported_at)} "
        f"(sha256 {file.sha256}): nothing new queued."
    ]
    assert ImportedLabValue.objects.count() == 14


def test_flags_are_printed_with_their_result(nurse, c1, bdx):
    lines, _ = run(str(DATA / "tenfold.csv"), "--user", nurse.username)
    assert lines[0] == "BDX-001\t2025-12-26\tPlatelets\t21\tG/L\ttenfold"
    assert lines[-1].endswith("2 results of 1 participants queued for approval, 1 flagged.")
    assert LabImportFile.objects.get().imported_by == nurse


def test_a_dry_run_writes_nothing(c1, second):
    lines, _ = run(str(DATA / "panel_bdx.csv"), "--dry-run")
    assert lines[-1] == (
        "Dry run of panel_bdx.csv: 13 results of 2 participants would be queued, 0 flagged; "
        "nothing written."
    )
    assert not ImportedLabValue.objects.exists() and not LabImportFile.objects.exists()


def test_a_refused_file_lists_every_problem(c1):
    with pytest.raises(CommandError, match=r"bad_number.csv refused: 3 problems, nothing queued"):
        run(str(DATA / "bad_number.csv"))
    assert not ImportedLabValue.objects.exists()


def test_unknown_sites_users_and_files_are_errors(c1, tmp_path):
    with pytest.raises(CommandError, match="No such site: XYZ"):
        run(str(DATA / "tenfold.csv"), "--site", "XYZ")
    with pytest.raises(CommandError, match="No such user: nobody"):
        run(str(DATA / "tenfold.csv"), "--user", "nobody")
    with pytest.raises(CommandError, match="Cannot read"):
        run(str(tmp_path / "missing.json"))


def _database_url() -> str:
    """The test database, for a command run in another process: the same server's URL with
    the test database's name."""
    name = settings.DATABASES["default"]["NAME"]
    if os.environ.get("DATABASE_URL"):
        return urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}"))
    host = settings.DATABASES["default"]["OPTIONS"]["host"]  # the private server's socket
    return f"postgres://{settings.DATABASES['default']['USER']}@/{name}?host={host}"


@pytest.mark.django_db(transaction=True)
def test_the_command_exits_1_on_a_refused_file_and_0_otherwise(c1):
    env = {**os.environ, "DATABASE_URL": _database_url()}
    command = [sys.executable, "manage.py", "import_labs"]

    def run_process(*args):
        return subprocess.run(
            [*command, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
        )

    refused = run_process(str(DATA / "unreadable.json"))
    assert refused.returncode == 1, refused.stderr
    assert "line 3, column 1: The file is not readable JSON." in refused.stderr
    assert "unreadable.json refused: 1 problem, nothing queued." in refused.stderr
    dry = run_process(str(DATA / "tenfold.csv"), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "BDX-001\t2025-12-26\tPlatelets\t21\tG/L\ttenfold" in dry.stdout
    assert not ImportedLabValue.objects.exists()
