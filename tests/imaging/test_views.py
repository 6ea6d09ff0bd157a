"""The study view (investigators and data managers only) and the fixed number of queries of
the gate page, the dosimetry page and the study view."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from imaging.models import LesionSuv, OrganSuv, PetScan
from tests.imaging import helpers as h
from trial import actions
from trial.models import FormStatus, UserPreference

STUDY = reverse("imaging:study")


def pets_of(participant, lesions: dict[str, list], organs: dict[str, dict[int, str]]):
    """PET rows written directly (the study view only reads them; the forms are
    tested elsewhere), each PET's lesion SUVmax and organ SUVmean as given."""
    for form, event in (("PET_IAH", "PET-IAH"), ("PET_IV", "PET-IV")):
        row = FormStatus.objects.create(participant=participant, event=event, form=form)
        pet = PetScan.objects.create(form_status=row)
        for n, suv in enumerate(lesions.get(form, []), start=1):
            LesionSuv.objects.create(pet=pet, number=n, suv_max=Decimal(suv), suv_mean=1)
        for organ, suv in organs.get(form, {}).items():
            OrganSuv.objects.create(pet=pet, organ=organ, suv_mean=Decimal(suv))


def quick_participant(user, site, ratio: float):
    """A participant whose five lesions all have the enhancement ratio `ratio`, every organ
    4.5 in both PETs."""
    participant = actions.register_participant(user, site, date(2026, 3, 2))
    organs = {n: "4.5" for n in range(1, 6)}
    pets_of(
        participant,
        {"PET_IAH": [5 * ratio] * 5, "PET_IV": [5] * 5},
        {"PET_IAH": organs, "PET_IV": organs},
    )
    return participant


@pytest.mark.parametrize("who", ["nurse", "monitor", "administrator"])
def test_the_study_view_is_not_for_others(client, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(STUDY).status_code == 404


def test_the_study_view_plots_every_ratio(client, nurse, data_manager, bdx):
    quick_participant(nurse, bdx, 4)
    quick_participant(nurse, bdx, 2)
    client.force_login(data_manager)
    page = client.get(STUDY)
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count("<circle") == 2
    assert 'data-ratio="4.00"' in html and 'data-ratio="2.00"' in html
    assert "3.75" in html and "0 doses given, 0 proceeds pending, 10 left of 10" in html


def study_table(html: str) -> dict[str, list[str]]:
    """Each row of the study table: the participant's code -> its cells' text, in page order."""
    table = {}
    for code, cells in re.findall(r'<tr data-participant="([^"]+)">(.*?)</tr>', html, re.S):
        table[code] = [
            re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", cells)
        ]
    return table


def test_the_study_table_shows_each_ratio_from_the_values_entered(
    client, nurse, investigator, bdx, tls_nurse, tls
):
    """The patient ratio from five lesions in each PET, and each organ's SUVmean IAH / IV
    when both are entered and non-zero; a participant without SUVs, or of another site, is
    not listed."""
    second = actions.register_participant(nurse, bdx, date(2026, 3, 2))
    first = actions.register_participant(nurse, bdx, date(2026, 3, 2))
    pets_of(  # registered second, listed second: the table is in code order
        second,
        {"PET_IAH": ["6", "8", "10", "12", "14"], "PET_IV": ["2", "2", "4", "4", "5"]},
        {
            "PET_IAH": {1: "6.0", 2: "3.3", 3: "5.0", 4: "2.0", 5: "1.0"},
            "PET_IV": {1: "2.0", 2: "1.1", 3: "0", 4: "4.0"},
        },
    )
    pets_of(  # four lesions in the IV PET: no patient ratio, the organs all the same
        first,
        {"PET_IAH": ["6", "8", "10", "12", "14"], "PET_IV": ["2", "2", "4", "4"]},
        {"PET_IAH": {o: "9.0" for o in range(1, 6)}, "PET_IV": {o: "3.0" for o in range(1, 6)}},
    )
    pets_of(actions.register_participant(nurse, bdx, date(2026, 3, 2)), {}, {})
    pets_of(
        actions.register_participant(tls_nurse, tls, date(2026, 3, 2)),
        {"PET_IAH": ["9"] * 5, "PET_IV": ["3"] * 5},
        {},
    )
    client.force_login(investigator)
    table = study_table(client.get(STUDY).content.decode())
    assert list(table) == sorted([first.code, second.code])
    # (3 + 4 + 2.5 + 3 + 2.8) / 5 = 3.06; organ 3's IV is zero and organ 5's is missing.
    assert table[second.code] == ["3.06", "3.00", "3.00", "—", "0.50", "—"]
    assert table[first.code] == ["cannot be computed", "3.00", "3.00", "3.00", "3.00", "3.00"]
    # In French, every number of the table and the plot with a decimal comma (the page reads
    # the separator once for all of them).
    UserPreference.objects.update_or_create(user=investigator, defaults={"language": "fr"})
    client.force_login(investigator)
    html = client.get(STUDY).content.decode()
    assert study_table(html)[second.code] == ["3,06", "3,00", "3,00", "—", "0,50", "—"]
    assert f"<title>{second.code}: 3,06</title>" in html


def test_the_study_view_runs_a_fixed_number_of_queries(client, nurse, investigator, bdx):
    quick_participant(nurse, bdx, 4)
    client.force_login(investigator)
    client.get(STUDY)
    with CaptureQueriesContext(connection) as one:
        client.get(STUDY)
    for ratio in (2, 3, 5, 3.5, 1.5):
        quick_participant(nurse, bdx, ratio)
    with CaptureQueriesContext(connection) as six:
        page = client.get(STUDY)
    assert page.content.decode().count("<circle") == 6
    assert len(six) == len(one), [q["sql"] for q in six.captured_queries]


def test_the_gate_page_runs_a_fixed_number_of_queries(
    client, investigator, scanned, django_assert_max_num_queries
):
    client.force_login(investigator)
    url = reverse("signature_sign", args=[scanned.code, "gate"])
    with django_assert_max_num_queries(GATE_PAGE_QUERIES):
        assert client.get(url).status_code == 200


def test_the_dosimetry_page_runs_a_fixed_number_of_queries(
    client, nurse, investigator, scanned, django_assert_max_num_queries
):
    from imaging import actions as imaging_actions
    from tests.conftest import PASSWORD

    imaging_actions.sign_gate(investigator, PASSWORD, scanned, "proceed")
    h.enter_iah_and_dosimetry(nurse, scanned)
    client.force_login(nurse)
    url = reverse("crf_edit", args=[scanned.code, "DOSI", "DOSI", 1])
    with django_assert_max_num_queries(DOSI_PAGE_QUERIES):
        page = client.get(url)
    assert page.content.decode().count('data-part="trapezoids"') == 10


# The lesions' Couinaud segments, which name them (L2 (segment IV)); then the IAH slots, the
# gate's signatures in order (the first decision beside the corrections) and the decision
# last signed (a change is a correction).
GATE_PAGE_QUERIES = 14
# The generic CRF page, with its queries panel (one query), plus the dosimetry tables (the time
# points and the VOI volumes), plus the lesions' segments naming the lesion volumes.
DOSI_PAGE_QUERIES = 11
