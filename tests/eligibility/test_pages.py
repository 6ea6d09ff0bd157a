"""The criteria page (ELIGSIGN slot and sign-off page) and the live derived values."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.eligibility import helpers as h
from trial import actions
from trial.models import FormState

pytestmark = pytest.mark.django_db


def signoff_url(participant):
    return reverse("signature_sign", args=[participant.code, "eligibility"])


def rows_of(page: str) -> dict[str, tuple[str, str]]:
    """{criterion code: (status, tone)} as the page shows them."""
    found = re.findall(r'data-criterion="(\w+)" data-status="([\w ]+)" data-tone="(\w+)"', page)
    return {code: (status, tone) for code, status, tone in found}


def test_an_eligible_participant_shows_every_criterion_green(nurse_client, eligible):
    page = nurse_client.get(signoff_url(eligible)).content.decode()
    rows = rows_of(page)
    assert len(rows) == 23
    assert {tone for _status, tone in rows.values()} == {"pass"}
    assert rows["I1"] == ("met", "pass") and rows["E1"] == ("not met", "pass")
    assert 'data-result="eligible"' in page
    assert "Clearance 68.3 mL/min &gt;= 50" in page  # the detail computed from the data


def test_failing_criteria_are_red(nurse, nurse_client, eligible):
    h.save(nurse, eligible, "ELIG", "VITALS", {**h.vitals_data(), "ecog": "3"})
    h.save(nurse, eligible, "SCR", "IMAGING", {**h.imaging_data(), "complete_response": "True"})
    page = nurse_client.get(signoff_url(eligible)).content.decode()
    rows = rows_of(page)
    assert rows["I5"] == ("not met", "fail")
    assert rows["E1"] == ("met", "fail")  # an exclusion that applies fails
    assert 'data-result="not eligible"' in page


def test_criteria_that_cannot_be_assessed_link_to_the_missing_items(nurse, nurse_client, bdx):
    participant = actions.register_participant(nurse, bdx, h.CONSENT_DAY)
    h.save(nurse, participant, "SCR", "CONSENT", h.consent_data())
    page = nurse_client.get(signoff_url(participant)).content.decode()
    rows = rows_of(page)
    assert rows["I5"] == ("cannot be assessed", "unknown")
    assert 'data-result="incomplete"' in page
    vitals = reverse("crf_edit", args=[participant.code, "ELIG", "VITALS", 1])
    lab = reverse("crf_edit", args=[participant.code, "ELIG", "LAB", 1])
    cycle = reverse("crf_edit", args=[participant.code, "C4", "CYCLE", 1])
    assert re.search(
        rf'data-missing="VITALS.ecog"><a href="{vitals}">Vital signs and ECOG \(eligibility\): '
        r"ECOG performance status</a>",
        page,
    )
    assert f'data-missing="LAB.platelets_mm3"><a href="{lab}">' in page
    assert f'data-missing="C4.administered"><a href="{cycle}">' in page
    # A criterion decided by what is entered lists nothing missing.
    assert 'data-missing="CONSENT.consent_datetime"' not in page


def test_the_eligsign_slot_opens_the_signoff_page(nurse_client, eligible):
    url = reverse("crf_edit", args=[eligible.code, "ELIG", "ELIGSIGN", 1])
    page = nurse_client.get(url).content.decode()
    assert len(rows_of(page)) == 23
    assert "Only an investigator signs eligibility." in page
    assert 'data-testid="sign-form"' not in page


def test_saving_the_eligsign_slot_as_a_form_is_refused(nurse_client, eligible):
    url = reverse("crf_edit", args=[eligible.code, "ELIG", "ELIGSIGN", 1])
    response = nurse_client.post(url, {"version": "0", "save_complete": ""})
    assert response.status_code == 200
    assert eligible.forms.get(form="ELIGSIGN").status == FormState.NOT_STARTED


def test_the_investigator_sees_the_sign_buttons_enabled_as_the_result_allows(
    client, investigator, nurse, eligible
):
    client.force_login(investigator)
    page = client.get(signoff_url(eligible)).content.decode()
    assert 'data-testid="sign-form"' in page
    assert re.search(r'value="eligible"\s*>', page)  # enabled
    assert re.search(r'value="screen_failure" disabled', page)
    h.save(nurse, eligible, "ELIG", "VITALS", {**h.vitals_data(), "ecog": ""}, complete=False)
    page = client.get(signoff_url(eligible)).content.decode()
    assert re.search(r'value="eligible" disabled', page)
    assert "I5 cannot be assessed yet" in page


def test_the_signoff_page_costs_the_same_queries_with_or_without_data(
    nurse, nurse_client, bdx, eligible
):
    empty = actions.register_participant(nurse, bdx, h.CONSENT_DAY)
    counts = []
    for participant in (empty, eligible):
        with CaptureQueriesContext(connection) as queries:
            assert nurse_client.get(signoff_url(participant)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[0] <= 15


def test_other_sites_do_not_see_the_page(client, tls_nurse, eligible):
    client.force_login(tls_nurse)
    assert client.get(signoff_url(eligible)).status_code == 404


# --- Derived values, live --------------------------------------------------------------------
def derived(client, participant, event, form, data):
    url = reverse("eligibility:derived", args=[participant.code, event, form])
    response = client.post(url, {f"crf-{k}": str(v) for k, v in data.items()})
    assert response.status_code == 200
    return response.content.decode()


def test_child_pugh_is_computed_from_what_is_typed(nurse_client, screened):
    data = {
        **h.iahci_data(),
        "bilirubin_entered": "40",
        "albumin_g_l": "30",
        "inr": "1.5",
        "ascites": "mild",
    }
    # 2 + 2 + 1 + 2 + 1 = 8: class B, which excludes.
    page = derived(nurse_client, screened, "SCR", "IAHCI", data)
    assert '"derived-child_pugh">8 points, class B<' in page
    assert 'data-ok="no"' in page
    page = derived(nurse_client, screened, "SCR", "IAHCI", {**data, "ascites": ""})
    assert "Needs bilirubin, albumin, INR, ascites and encephalopathy." in page


def test_bilirubin_in_mg_dl_counts_in_umol_l(nurse_client, screened):
    data = {**h.iahci_data(), "bilirubin_entered": "3.5", "bilirubin_unit": "mg/dL"}
    # 3.5 mg/dL = 59.9 µmol/L: 3 points, so 7 (B).
    page = derived(nurse_client, screened, "SCR", "IAHCI", data)
    assert '"derived-child_pugh">7 points, class B<' in page


def test_age_at_consent_is_computed_while_typing(nurse, nurse_client, screened):
    page = derived(nurse_client, screened, "SCR", "CONSENT", h.consent_data())
    assert "Needs the date of birth (Demographics)." in page
    h.save(nurse, screened, "SCR", "DEMOG", h.demographics_data())
    page = derived(nurse_client, screened, "SCR", "CONSENT", h.consent_data())
    age = h.CONSENT_DAY.year - h.BIRTH.year - ((h.CONSENT_DAY.month, h.CONSENT_DAY.day) < (5, 15))
    assert f'"derived-age">{age} years<' in page


def test_clearance_and_transaminases_on_the_eligibility_page(nurse_client, eligible):
    page = derived(nurse_client, eligible, "ELIG", "VITALS", {**h.vitals_data(), "weight_kg": "68"})
    # (140 - 63) x 68 / (72 x 80 / 88.4) x 0.85 = 68.3 mL/min; ALT 30/40; AST 28/35.
    assert '"derived-clearance">68.3 mL/min<' in page
    assert '"derived-alt">0.75 × ULN<' in page
    assert '"derived-ast">0.80 × ULN<' in page
    page = derived(nurse_client, eligible, "ELIG", "VITALS", {**h.vitals_data(), "weight_kg": "40"})
    assert '"derived-clearance">40.2 mL/min<' in page


def test_the_form_page_shows_derived_values_and_their_htmx_source(nurse, nurse_client, eligible):
    url = reverse("crf_edit", args=[eligible.code, "SCR", "IAHCI", 1])
    page = nurse_client.get(url).content.decode()
    derived_url = reverse("eligibility:derived", args=[eligible.code, "SCR", "IAHCI"])
    assert f'hx-post="{derived_url}"' in page
    assert 'hx-trigger="input delay:300ms from:form.crf-form' in page
    assert '"derived-child_pugh">5 points, class A<' in page


def test_forms_without_derived_values_have_no_endpoint(nurse_client, eligible):
    url = reverse("eligibility:derived", args=[eligible.code, "SCR", "REPRO"])
    assert nurse_client.post(url, {}).status_code == 404
