"""Audit-trail review: the ledger the triggers keep (every changed item, old beside new), its
review flags, keyset paging, scope, filters, and the audited "reviewed" marks."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.urls import reverse

from eligibility.models import Demographics
from tests.audit.conftest import save_demographics
from tests.conftest import PASSWORD
from trial import actions, review
from trial.history import event_model_for
from trial.ledger import install_ledger
from trial.models import AuditEntry, AuditReview, AuthEvent

PARIS = ZoneInfo("Europe/Paris")


def entries(**lookup):
    """Ledger entries, oldest first; those of CRF items unless the lookup says otherwise.
    The queue is filed first, as every reader of the ledger does."""
    actions.file_review_ledger()
    if not {"kind", "row", "deletion", "site__code"} & set(lookup):
        lookup["kind"] = "item"
    return AuditEntry.objects.filter(**lookup).order_by("at", "id")


def append_update(row, at: datetime, **values) -> None:
    """Append a Demographics update event at a chosen time, as the database owner (the way
    the benchmark's loader does): the trigger files it like any other event."""
    events = event_model_for(Demographics)
    table = events._meta.db_table
    columns = [f.column for f in events._meta.concrete_fields if f.column != "pgh_id"]
    select, params = [], []
    for column in columns:
        if column == "pgh_created_at" or column in values:
            select.append("%s")
            params.append(at if column == "pgh_created_at" else values[column])
        else:
            select.append("'update'" if column == "pgh_label" else f"e.{column}")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(select)} FROM "
            f"(SELECT * FROM {table} WHERE form_status_id = %s ORDER BY pgh_id DESC LIMIT 1) e",
            [*params, row.pk],
        )


def test_a_save_files_each_changed_item_with_its_old_and_new_value(demog, nurse):
    first = entries(form="DEMOG", label="insert")
    assert {e.item: e.new_value for e in first}.items() >= {"weight_kg": "61.5", "sex": "F"}.items()
    assert all(e.old_value is None and e.username == "alice" for e in first)
    assert {e.site.code for e in first} == {"BDX"} and {e.participant_id for e in first} == {
        demog.participant_id
    }
    save_demographics(nurse, demog, reason="typo on the scale", weight_kg="62.5")
    (change,) = entries(form="DEMOG", label="update")
    assert (change.item, change.old_value, change.new_value) == ("weight_kg", "61.5", "62.5")
    assert change.kind == "item" and change.event == "SCR" and change.repeat == 1
    line = review.lines([change], {})[0]
    assert line.reason == "typo on the scale"
    assert line.item_label.lower().startswith("weight")


def test_deletions_and_failed_logins_are_their_own_queues(participant, nurse, client):
    row = actions.add_repeat(nurse, participant, "AE", {}, complete=False)
    actions.delete_crf(nurse, row, reason="entered on the wrong patient")
    (deleted,) = entries(deletion=True)
    assert (deleted.kind, deleted.item, deleted.new_value) == ("FormStatus", "status", "deleted")
    assert deleted.row_id == row.pk
    client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    (failed,) = entries(kind="auth")
    assert (failed.label, failed.username, failed.site_id) == ("login_failed", "alice", None)
    assert AuthEvent.objects.filter(kind="login_failed").count() == 1
    queue = AuditEntry.objects.filter(**review.FLAGS["deletion"][1])
    assert review.page(queue).entries == [deleted]


def test_site_time_flags_off_hours_and_weekends(demog):
    # Paris: Saturday 28 November 2026 at 21:30 (off hours, weekend), Monday 30 at 07:59
    # (off hours), Monday at 08:00 and 19:59 (neither), Monday at 20:00 (off hours).
    cases = [
        (datetime(2026, 11, 28, 21, 30, tzinfo=PARIS), True, True),
        (datetime(2026, 11, 30, 7, 59, tzinfo=PARIS), True, False),
        (datetime(2026, 11, 30, 8, 0, tzinfo=PARIS), False, False),
        (datetime(2026, 11, 30, 19, 59, tzinfo=PARIS), False, False),
        (datetime(2026, 11, 30, 20, 0, tzinfo=PARIS), True, False),
    ]
    for n, (at, _off, _weekend) in enumerate(cases):
        append_update(demog, at, weight_kg=Decimal("70.0") + n)
    got = [(e.at, e.off_hours, e.weekend) for e in entries(form="DEMOG", label="update")]
    assert got == [(at, off, weekend) for at, off, weekend in cases]


def test_a_tokyo_site_is_judged_in_its_own_time(demog, bdx):
    bdx.time_zone = "Asia/Tokyo"
    bdx.save()
    # 10:00 in Tokyo is 02:00 in Paris: a working hour there.
    append_update(demog, datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo")), weight_kg=80)
    (entry,) = entries(form="DEMOG", label="update")
    assert not entry.off_hours and not entry.weekend


@pytest.mark.req("E6.4.2.3")
def test_edits_after_sdv_are_flagged_item_by_item(demog, nurse, monitor):
    actions.verify_items(monitor, demog, ["weight_kg"])
    save_demographics(nurse, demog, reason="rescaled", weight_kg="63.0", height_cm="164")
    changes = {e.item: e.after_sdv for e in entries(form="DEMOG", label="update")}
    assert changes == {"weight_kg": True, "height_cm": False}


def test_edits_after_a_covering_signature_are_flagged(demog, nurse, investigator, test_kind):
    install_ledger(connection)  # the test-only kind registered after migrate: cover it too
    save_demographics(nurse, demog, reason="before signing", height_cm="165")
    actions.sign(investigator, PASSWORD, demog.participant, kind=test_kind, meaning="I confirm")
    save_demographics(nurse, demog, reason="after signing", height_cm="165", weight_kg="64.0")
    flags = {e.item: e.after_signature for e in entries(form="DEMOG", label="update")}
    assert flags == {"height_cm": False, "weight_kg": True}


def test_an_item_corrected_three_times_flags_all_its_entries(demog, nurse):
    height = "163"
    for n, weight in enumerate(["62", "63", "64"], start=1):
        save_demographics(
            nurse, demog, reason=f"correction {n}", weight_kg=weight, height_cm=height
        )
        if n < 3:
            height = str(170 + n)
            save_demographics(nurse, demog, reason="height", weight_kg=weight, height_cm=height)
    weight = entries(form="DEMOG", item="weight_kg")
    assert [e.corrections for e in weight] == [0, 1, 2, 3]
    assert all(e.often_changed for e in weight)
    height = entries(form="DEMOG", item="height_cm")
    assert [e.corrections for e in height] == [0, 1, 2]
    assert not any(e.often_changed for e in height)


def test_keyset_pages_visit_every_entry_once_forwards_and_backwards(demog):
    for n in range(23):
        append_update(demog, datetime(2026, 11, 30, 9, n % 7, tzinfo=PARIS), weight_kg=100 + n)
    actions.file_review_ledger()
    everything = list(AuditEntry.objects.order_by("at", "id"))
    seen, cursor = [], None
    while True:
        page = review.page(AuditEntry.objects.all(), after=cursor, size=5)
        seen += page.entries
        if page.last:
            break
        cursor = review.Cursor.parse(page.next_cursor)
    assert seen == everything
    back, page = [], review.page(AuditEntry.objects.all(), last=True, size=5)
    back = page.entries + back
    while not page.first:
        page = review.page(
            AuditEntry.objects.all(), before=review.Cursor.parse(page.previous_cursor), size=5
        )
        back = page.entries + back
    assert back == everything


def test_monitors_review_their_sites_only(demog, tls_participant, tls_nurse, monitor, data_manager):
    save_demographics(tls_nurse, tls_participant.forms.get(form="DEMOG"))
    actions.file_review_ledger()
    mine = review.entries_for(monitor, review.Filters())
    assert {e.site.code for e in mine} == {"BDX"}
    assert {e.site.code for e in review.entries_for(data_manager, review.Filters())} == {
        "BDX",
        "TLS",
    }
    filters = review.Filters(site="TLS")
    assert not review.entries_for(monitor, filters).exists()
    assert filters.errors == {"site": "No such site."}
    filters = review.Filters(participant=tls_participant.code, kind="nonsense", start="30/11")
    review.entries_for(monitor, filters)
    assert set(filters.errors) == {"participant", "kind", "start"}


@pytest.mark.req("E6.4.2.3")
def test_the_page_filters_pages_and_marks_entries_reviewed(demog, nurse, monitor, client):
    save_demographics(nurse, demog, reason="<b>bold</b> reason", weight_kg="66")
    client.force_login(monitor)
    url = reverse("audit_review")
    page = client.get(
        url, {"form": "DEMOG", "item": "weight_kg", "kind": "update"}
    ).content.decode()
    assert page.count("data-entry=") == 1
    assert "&lt;b&gt;bold&lt;/b&gt; reason" in page and "<b>bold</b>" not in page
    (change,) = entries(form="DEMOG", label="update")
    response = client.post(
        reverse("audit_review_mark"),
        {"entry": [change.id], "comment": "checked against the scale log", "next": url},
    )
    assert response.status_code == 302 and response.url == url
    mark = AuditReview.objects.get(entry=change)
    assert mark.reviewer == monitor
    event = mark.events.get()
    assert event.edc_context["reason"] == "checked against the scale log"
    unreviewed = client.get(url, {"form": "DEMOG", "reviewed": "no"}).content.decode()
    assert f'data-entry="{change.id}"' not in unreviewed
    reviewed = client.get(url, {"form": "DEMOG", "reviewed": "yes"}).content.decode()
    assert f'data-entry="{change.id}"' in reviewed and "checked against the scale log" in reviewed
    bad = client.get(url, {"site": "XYZ", "end": "tomorrow"}).content.decode()
    assert "No such site." in bad and "Enter a date as YYYY-MM-DD." in bad


def test_nurses_cannot_review_and_monitors_cannot_mark_other_sites(
    demog, tls_participant, tls_nurse, nurse, monitor, client
):
    save_demographics(tls_nurse, tls_participant.forms.get(form="DEMOG"))
    client.force_login(nurse)
    assert client.get(reverse("audit_review")).status_code == 404
    foreign = entries(site__code="TLS").first()
    with pytest.raises(actions.ActionRefused):
        actions.mark_reviewed(monitor, [foreign.id], comment="")
    with pytest.raises(actions.ActionRefused):
        actions.mark_reviewed(nurse, [entries().first().id], comment="")
    assert not AuditReview.objects.exists()


def test_a_page_costs_the_same_queries_whatever_it_shows(
    demog, nurse, monitor, client, django_assert_num_queries
):
    from django.test.utils import CaptureQueriesContext

    client.force_login(monitor)
    url = reverse("audit_review")
    client.get(url)  # warm the session and the permission caches
    with CaptureQueriesContext(connection) as small:
        client.get(url, {"last": "1"})
    assert len(small.captured_queries) <= 9
    for n in range(30):
        save_demographics(nurse, demog, reason=f"r{n}", weight_kg=str(60 + n))
    entry = entries().last()
    actions.mark_reviewed(monitor, [entry.id], comment="seen")
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(url, {"last": "1"})
