"""The oversight page's memory (oversight.memo) follows every write: outside a transaction (as
a page is served), a second read with nothing written in between comes from memory, and a
save makes the next read see it, with the audit ledger's counts brought up to date equal to a
fresh count."""

from __future__ import annotations

from datetime import date

import pytest
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
