"""A story entered through the real forms and actions: an eligible BDX participant whose
imaging lesions are corrected (a row changed, a row removed), signed off by the
investigator, queried and source-verified by the monitor; and a TLS participant the BDX
monitor must never see."""

from __future__ import annotations

import pytest

from eligibility import actions as eligibility_actions
from tests.conftest import PASSWORD
from tests.eligibility import helpers as h
from trial import actions
from trial.models import FormStatus


@pytest.fixture
def story(nurse, investigator, monitor, bdx, tls_nurse, tls):
    participant = h.eligible_participant(nurse, bdx)
    # Lesion 1 resized, lesion 3 removed: an Update and a Remove of item-group rows.
    h.save(
        nurse,
        participant,
        "SCR",
        "IMAGING",
        h.imaging_data(targets=[("liver", "30"), ("liver", "25")]),
    )
    eligibility_actions.sign_eligibility(investigator, PASSWORD, participant, decision="eligible")
    demog = FormStatus.objects.get(participant=participant, form="DEMOG")
    query = actions.open_query(monitor, demog, item="weight_kg", text="Weight <b>unreadable</b>?")
    actions.answer_query(nurse, query, text="Checked against the source.")
    actions.verify_items(monitor, demog)
    h.save(nurse, participant, "SCR", "DEMOG", {**h.demographics_data(), "weight_kg": "71"})
    other = actions.register_participant(tls_nurse, tls, h.CONSENT_DAY)
    h.save(tls_nurse, other, "SCR", "DEMOG", h.demographics_data())
    participant.refresh_from_db()
    return participant, other
