"""The oversight page's memory (oversight.memo) follows every write: outside a transaction (as
a page is served), a second read with nothing written in between comes from memory, and a
save makes the next read see it, with the audit ledger's counts brought up to date equal to a
fresh count."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from oversight import memo, report, study
from trial import actions
from trial import crf as crf_registry
from trial.models import FormStatus

pytestmark = pytest.mark.django_db(transaction=True)


def _add_ae(nurse, participant, term: str) -> None:
    ae = crf_registry.bind(
        FormStatus(participant=participant, event="LOG", form="AE", repeat=1),
        participant,
        crf_registry.post_data({"term": term, "grade": "1", "onset_date": date(2026, 3, 3)}),
        complete=False,
    )
    assert ae.is_valid(), ae.errors
    actions.add_repeat(nurse, participant, "AE", ae.crf_data(), complete=False)


def test_a_read_is_kept_until_a_write_and_the_ledger_counts_stay_exact(
    nurse, data_manager, participant
):
    memo.clear()
    scope = report.scope_for(data_manager)
    today = timezone.localdate()
    # The memory is keyed on PostgreSQL's snapshot, which is the whole server's: a write by
    # another test worker on the same server moves it too (and so does filing the review
    # queue). Two reads in a row with nothing written anywhere between share one result; a
    # few tries find such a pair while the other workers write.
    for _ in range(20):
        first = report.context(scope, today)["study"]
        again = report.context(scope, today)["study"]
        if again.people is first.people:
            break
    assert again.people is first.people  # from memory: nothing was written
    assert first.aes == []

    _add_ae(nurse, participant, "Nausea")
    after = report.context(scope, today)["study"]
    assert after.people is not first.people  # the snapshot moved: read again
    assert [ae.term for ae in after.aes] == ["Nausea"]
    fresh = study._count_changes(scope.participants, study._end_of(today))
    assert after.changes == fresh and fresh  # the ledger's counts, added to, equal a recount

    _add_ae(nurse, participant, "Fatigue")
    last = report.context(scope, today)["study"]
    assert sorted(ae.term for ae in last.aes) == ["Fatigue", "Nausea"]
    assert last.changes == study._count_changes(scope.participants, study._end_of(today))
    assert last.changes != after.changes


def _shown(context) -> dict:
    """Everything the page shows, as plain values (the SAE delays, which move with time,
    aside: none is pending here)."""
    return {
        "rows": [
            (
                row.key,
                [
                    (c.site, c.text, c.figure.status, c.figure.count, c.figure.flagged)
                    + (c.figure.participants, c.trend)
                    for c in row.cells
                ],
            )
            for row in context["rows"]
        ],
        **{
            name: context[name]
            for name in ("funnel", "ratios", "responses", "pfs_text", "ae_tables", "saes")
        },
        "shifts": context["shifts"],
        "participants": context["participant_count"],
    }


def _afresh(scope, today) -> dict:
    """The page counted afresh twice over: from nothing kept, participant by participant;
    and read whole, as inside a transaction (no part kept, no tally)."""
    memo.clear()
    by_parts = _shown(report.context(scope, today))
    memo.clear()
    with transaction.atomic():
        whole = study.read(scope.participants, scope.sites, today)
    assert not whole.parts
    assert _shown(report.build(whole, scope.label)) == by_parts
    return by_parts


def test_what_is_kept_up_to_date_after_each_write_equals_a_count_afresh(
    nurse, tls_nurse, monitor, data_manager, participant, tls_participant, bdx
):
    """The participants' parts, the figures' tallies and the lab shifts kept from one read to
    the next, brought up to date by the participants changed only, give the page a count
    afresh gives, after each kind of write: an adverse event at each site, a query raised
    and answered, an entry deleted, a participant registered."""
    scope = report.scope_for(data_manager)
    today = timezone.localdate()
    memo.clear()
    report.context(scope, today)  # what is kept from here on

    def kept_equals_afresh() -> dict:
        kept = _shown(report.context(scope, today))
        assert kept == _afresh(scope, today)
        report.context(scope, today)  # kept again, for the next write
        return kept

    _add_ae(nurse, participant, "Nausea")
    kept_equals_afresh()
    _add_ae(tls_nurse, tls_participant, "Fatigue")
    _add_ae(nurse, participant, "Headache")
    kept = kept_equals_afresh()
    assert [len(t.rows) > 0 for t in kept["ae_tables"]] == [True, False]

    row = participant.forms.filter(form="AE").order_by("pk").first()
    query = actions.open_query(monitor, row, item="", text="Please check the source.")
    kept_equals_afresh()
    actions.answer_query(nurse, query, text="Checked: as in the source.")
    kept_equals_afresh()
    actions.delete_crf(nurse, row, reason="entered in error")
    kept = kept_equals_afresh()
    assert kept["rows"][0][1][-1][3] == 2  # the study's adverse events: one of three deleted
    actions.register_participant(nurse, bdx, today - timedelta(days=2))
    assert kept_equals_afresh()["participants"] == 3


def test_after_a_write_the_page_reads_again_with_a_fixed_number_of_queries(
    client, nurse, tls_nurse, data_manager, participant, tls_participant, django_assert_num_queries
):
    """Outside a transaction, as a page is served: the session, the user with its roles (2), the
    ledger's filing (1), the snapshot (1); after a write, the read's transaction (BEGIN, SET,
    COMMIT), the change marks (1), the changed participants' read (10), the sites (1), the
    ledger's newest entry and the entries after the last counted (2), the IAH slots (1):
    21 whatever the number of participants changed."""
    client.force_login(data_manager)
    memo.clear()
    assert client.get(reverse("oversight:page")).status_code == 200
    for changed in ([participant], [participant, tls_participant]):
        for person in changed:
            _add_ae(nurse if person == participant else tls_nurse, person, "Nausea")
        with django_assert_num_queries(AFTER_A_WRITE):
            assert client.get(reverse("oversight:page")).status_code == 200
    # Nothing written since: from memory. The snapshot is the whole server's, so another test
    # worker's write can move it between two requests; a few tries find a quiet moment.
    counts = []
    for _ in range(20):
        with CaptureQueriesContext(connection) as read:
            assert client.get(reverse("oversight:page")).status_code == 200
        counts.append(len(read))
        if counts[-1] == 4:
            break
    assert counts[-1] == 4, counts


AFTER_A_WRITE = 21
