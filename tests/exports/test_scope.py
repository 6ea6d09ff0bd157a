"""Bad input and reach: unknown sites and participants are errors, a monitor gets nothing of
a site not assigned (an error on the command line, a 404 on the web)."""

from __future__ import annotations

import csv
import io
import secrets

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from trial.models import ExportLog


@pytest.mark.parametrize(
    "args",
    [
        ["--site", "NOPE"],
        ["--participant", "BDX-999"],
        ["--site", "TLS", "--participant", "BDX-001"],
        ["--user", "nobody"],
    ],
)
def test_unknown_filters_are_errors_not_empty_files(story, tmp_path, args):
    path = tmp_path / "out.csv"
    with pytest.raises(CommandError):
        call_command("export_audit", "--output", str(path), *args)
    assert not path.exists()
    assert not ExportLog.objects.exists()


def test_a_monitor_cannot_export_a_site_not_assigned(story, monitor, tmp_path):
    path = tmp_path / "out.csv"
    with pytest.raises(CommandError, match="No such site"):
        call_command("export_audit", "--output", str(path), "--site", "TLS", "--user", "mona")
    with pytest.raises(CommandError, match="No such participant"):
        call_command(
            "export_audit", "--output", str(path), "--participant", "TLS-001", "--user", "mona"
        )


def test_a_monitor_exports_their_sites_only(story, monitor, tmp_path):
    path = tmp_path / "out.csv"
    call_command("export_audit", "--output", str(path), "--user", "mona")
    rows = list(csv.DictReader(path.open()))
    assert rows and {r["site"] for r in rows} == {"BDX"}


def test_a_nurse_may_not_export(story, nurse, tmp_path):
    with pytest.raises(CommandError):
        call_command("export_audit", "--output", str(tmp_path / "x.csv"), "--user", "alice")


def test_the_web_export_streams_and_is_logged(story, client, monitor):
    client.force_login(monitor)
    page = client.get(reverse("exports"))
    assert page.status_code == 200 and b"TLS" not in page.content
    response = client.get(reverse("exports"), {"format": "csv", "site": "BDX"})
    assert response.status_code == 200 and response.streaming
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows and {r["site"] for r in rows} == {"BDX"}
    log = ExportLog.objects.get()
    assert (log.username, log.kind, log.filters, log.row_count) == (
        "mona",
        "audit_csv",
        {"site": "BDX"},
        len(rows),
    )
    assert log.events.count() == 2  # started, finished: itself audited


@pytest.mark.parametrize(
    "query",
    [
        {"format": "csv", "site": "TLS"},
        {"format": "odm", "participant": "TLS-001"},
        {"format": "csv", "site": "NOPE"},
        {"format": "snapshot"},
    ],
)
def test_the_web_export_refuses_what_is_out_of_reach(story, client, monitor, query):
    client.force_login(monitor)
    assert client.get(reverse("exports"), query).status_code == 404
    assert not ExportLog.objects.exists()


def test_a_nurse_has_no_export_page(story, nurse_client):
    assert nurse_client.get(reverse("exports")).status_code == 404


def test_a_data_manager_downloads_every_site_and_the_snapshot(story, client, data_manager):
    client.force_login(data_manager)
    response = client.get(reverse("exports"), {"format": "odm"})
    body = b"".join(response.streaming_content)
    assert b"BDX-001" in body and b"TLS-001" in body
    response = client.get(reverse("exports"), {"format": "snapshot"})
    assert b'FileType="Snapshot"' in b"".join(response.streaming_content)
    assert ExportLog.objects.filter(finished_at__isnull=False).count() == 2


def test_the_export_log_is_append_only(story, client, data_manager):
    from django.db import transaction

    client.force_login(data_manager)
    b"".join(client.get(reverse("exports"), {"format": "csv"}).streaming_content)
    log = ExportLog.objects.get()
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017
        ExportLog.objects.filter(pk=log.pk).update(row_count=0)
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017
        ExportLog.objects.filter(pk=log.pk).delete()


def test_a_named_web_export_reports_its_progress_to_its_owner_only(
    story, client, monitor, data_manager, monkeypatch
):
    from trial import export_views

    monkeypatch.setattr(export_views, "PROGRESS_EVERY_S", 0)  # report at every chunk
    client.force_login(monitor)
    # A fresh token: the progress outlives the test in Redis (an hour), and a fixed token
    # would find the previous run's.
    token = secrets.token_hex(8)
    progress = reverse("export_progress", args=[token])
    assert client.get(progress).status_code == 404  # nothing started yet
    response = client.get(reverse("exports"), {"format": "csv", "site": "BDX", "token": token})
    started = client.get(progress).json()
    assert started["done"] is False and started["rows"] == 0
    # About how many: the ledger's entries of the site (the CSV also writes the empty items
    # of a first entry, which the ledger leaves out).
    lines = b"".join(response.streaming_content).decode().splitlines()
    finished = client.get(progress).json()
    assert finished["done"] is True and finished["rows"] == len(lines) - 1
    assert finished["total"] == started["total"] > 0 and finished["rows"] > 0
    client.force_login(data_manager)
    assert client.get(progress).status_code == 404  # another user's download
    assert client.get(reverse("export_progress", args=["bad token!"])).status_code == 404
