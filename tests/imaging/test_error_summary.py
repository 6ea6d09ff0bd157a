"""Issue 21: after a failed save, a summary at the top of the form says how many fields need
attention and links to each, row errors included (named by their row), while each error also
stands beside its input and nothing typed is lost."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.imaging import helpers as h
from trial import crf as crf_registry

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesions_entered(nurse, enrolled):
    h.save(nurse, enrolled, "PET-IAH", "PETLES", *h.lesions_data())
    enrolled.refresh_from_db()
    return enrolled


def _post(values: dict, groups: dict) -> dict:
    return {"version": "0", "save_complete": "", **crf_registry.post_data(values, groups)}


def test_row_errors_are_in_the_summary_named_by_their_row_and_beside_their_input(
    client, nurse, lesions_entered
):
    values, groups = h.pet_data(h.IAH_INJECTION)
    groups["lesion_suvs"][1] = {"suv_max": "5", "suv_mean": "16"}  # L2: max below mean
    groups["organ_suvs"][2] = {"suv_mean": "huit"}  # spleen: not a number
    values["weight_kg"] = "300"
    client.force_login(nurse)
    url = reverse("crf_edit", args=[lesions_entered.code, "PET-IAH", "PET_IAH", 1])
    page = client.post(url, _post(values, groups))
    assert page.status_code == 200
    summary = page.context["error_summary"]
    targets = {entry.target: entry for entry in summary}
    assert page.context["error_fields"] == 3
    assert targets["id_crf-weight_kg"].label == "Weight"
    l2 = targets["id_crf-lesion_suvs-1-suv_max"]
    # L2 is in segment IV (helpers.lesions_data).
    assert l2.label == "Index lesion SUVs · L2 (segment IV) · SUVmax"
    assert "cannot be below SUVmean" in l2.messages[0]
    assert targets["id_crf-organ_suvs-2-suv_mean"].label == "Organ SUVmean · Spleen · SUVmean"

    html = page.content.decode()
    top = html.index('data-testid="error-summary"')
    assert top < html.index('name="crf-radiopharmaceutical"')
    assert 'data-count="3"' in html and "3 fields need attention" in html
    for target in targets:
        assert f'href="#{target}"' in html and f'id="{target}"' in html
    # Beside its input: the row's error sits in the input's own cell, the input marked.
    at = html.index('name="crf-lesion_suvs-1-suv_max"')
    cell = html[html.rindex("<td>", 0, at) : html.index("</td>", at)]
    assert "cannot be below SUVmean" in cell
    assert 'aria-invalid="true"' in cell and "is-invalid" in cell
    # Nothing typed is lost.
    assert 'name="crf-lesion_suvs-1-suv_max" value="5"' in html
    assert 'value="huit"' in html and 'value="300"' in html


def test_a_correction_without_its_reason_is_in_the_summary(client, nurse, lesions_entered):
    values, groups = h.lesions_data()
    client.force_login(nurse)
    url = reverse("crf_edit", args=[lesions_entered.code, "PET-IAH", "PETLES", 1])
    page = client.post(url, {**_post(values, groups), "version": "1"})
    assert page.status_code == 200
    assert [e.target for e in page.context["error_summary"]] == ["id_change-reason"]


def test_form_level_errors_head_the_summary_without_counting_as_fields(
    client, nurse, lesions_entered
):
    values, groups = h.pet_data(h.IAH_INJECTION)
    groups["lesion_suvs"] = groups["lesion_suvs"][:3]  # L4 and L5 missing: not complete
    client.force_login(nurse)
    url = reverse("crf_edit", args=[lesions_entered.code, "PET-IAH", "PET_IAH", 1])
    page = client.post(url, _post(values, groups))
    first = page.context["error_summary"][0]
    assert (
        first.target == "" and "missing: L4 (segment VII), L5 (segment VIII)" in first.messages[0]
    )
    assert page.context["error_fields"] == 0
    assert "Not saved:" in page.content.decode()


def test_a_wrong_signing_password_shows_the_summary_on_the_gate_page(client, investigator, scanned):
    client.force_login(investigator)
    url = reverse("signature_sign", args=[scanned.code, "gate"])
    page = client.post(url, {"decision": "proceed", "password": PASSWORD + "x"})
    assert page.status_code == 200
    targets = [e.target for e in page.context["error_summary"]]
    assert targets == ["id_password"]
    assert 'data-testid="error-summary"' in page.content.decode()
