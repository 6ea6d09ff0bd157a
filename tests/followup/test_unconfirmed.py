"""Issue 21: a CR or PR that no later assessment confirms is labelled "unconfirmed", where the
best overall response (with confirmation) is still SD."""

from __future__ import annotations

import pytest
from django.urls import reverse

from followup import calculations as calc
from followup import selectors
from tests.followup import helpers as h

CR, PR, SD, PD, NE = calc.CR, calc.PR, calc.SD, calc.PD, calc.NE


@pytest.mark.parametrize(
    ("assessments", "unconfirmed"),
    [
        ([(90, SD), (180, SD), (270, PR)], {270}),  # the M9: awaiting confirmation
        ([(90, PR), (180, PR)], {180}),  # the first confirmed by the second; the second waits
        ([(90, PR), (110, PR)], {90, 110}),  # 20 days apart: too soon to confirm
        ([(90, PR), (118, PR)], {118}),  # exactly 28 days: confirmed
        ([(90, PR), (150, SD), (200, PR)], {90, 200}),  # SD in between breaks it
        ([(90, PR), (150, NE), (200, CR)], {200}),  # NE in between does not
        ([(90, CR), (150, PR)], {90, 150}),  # a CR is confirmed by a CR only
        ([(90, CR), (150, CR)], {150}),
        ([(90, PR), (150, PD), (240, PR)], {90}),  # nothing after the first PD counts
        ([(90, SD), (180, PD)], set()),
        ([], set()),
    ],
)
def test_unconfirmed_responses(assessments, unconfirmed):
    assert calc.unconfirmed_responses(assessments) == unconfirmed


def test_unconfirmed_matches_the_best_overall_response():
    # Wherever the best response is a confirmed CR or PR, its first assessment is confirmed.
    for sequence in ([(90, PR), (180, PR), (270, PR)], [(60, CR), (100, CR)]):
        best = calc.best_overall_response_detail(sequence)
        assert best.established_day not in calc.unconfirmed_responses(sequence)


@pytest.mark.django_db
def test_the_recist_page_labels_the_m9_pr_unconfirmed_beside_a_best_sd(client, nurse, bdx):
    fu = h.follow_up_participant(nurse, bdx)
    h.save_recist(nurse, fu, "M3", h.visit_day(3), 30, 24, 16)  # 70 mm: SD
    h.save_recist(nurse, fu, "M6", h.visit_day(6), 30, 22, 16)  # 68 mm: SD
    h.save_recist(nurse, fu, "M9", h.visit_day(9), 22, 16, 12)  # 50 mm: PR, not yet confirmed
    recist = selectors.participant_recist(fu)
    assert recist.best.response == SD
    assert [a.event for a in recist.unconfirmed] == ["M9"]

    client.force_login(nurse)
    html = client.get(reverse("followup:participant_recist", args=[fu.code])).content.decode()
    assert 'data-testid="unconfirmed-M9"' in html and 'data-testid="unconfirmed-M6"' not in html
    assert 'data-testid="unconfirmed-response" data-event="M9"' in html
    form = client.get(reverse("crf_edit", args=[fu.code, "M9", "RECIST", 1])).content.decode()
    assert 'data-testid="unconfirmed"' in form
    m6 = client.get(reverse("crf_edit", args=[fu.code, "M6", "RECIST", 1])).content.decode()
    assert 'data-testid="unconfirmed"' not in m6
