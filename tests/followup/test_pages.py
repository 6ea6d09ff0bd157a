"""The RECIST pages: the participant's table, best response named with its confirmation, the
sum-of-diameters chart; the study's spider plot and waterfall; fixed query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from followup import charts
from tests.followup import helpers as h


@pytest.fixture
def fu(nurse, bdx):
    participant = h.follow_up_participant(nurse, bdx)
    h.save_recist(nurse, participant, "M3", h.visit_day(3), 22, 16, 12)
    h.save_recist(nurse, participant, "M6", h.visit_day(6), 20, 15, 13)
    return participant


def count(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_participant_page_names_the_confirmation(nurse, nurse_client, fu):
    queries, page = count(nurse_client, f"/followup/p/{fu.code}/recist/")
    assert 'data-testid="best-response-value">PR<' in page
    assert "established at M3, confirmed at M6" in page
    assert "<svg" in page and "PD threshold" in page
    # More assessments cost no more queries.
    h.save_recist(nurse, fu, "M9", h.visit_day(9), 28, 20, 12)
    again, page = count(nurse_client, f"/followup/p/{fu.code}/recist/")
    assert again == queries
    assert 'data-testid="overall-M9">PD<' in page


def test_other_site_cannot_see_the_page(tls_nurse, client, fu):
    client.force_login(tls_nurse)
    assert client.get(f"/followup/p/{fu.code}/recist/").status_code == 404


def test_study_pages_run_a_fixed_number_of_queries(nurse, nurse_client, bdx, fu):
    spider_one, page = count(nurse_client, "/followup/spider/")
    assert fu.code in page
    waterfall_one, page = count(nurse_client, "/followup/waterfall/")
    assert fu.code in page
    for _ in range(2):
        other = h.follow_up_participant(nurse, bdx)
        h.save_recist(nurse, other, "M3", h.visit_day(3), 30, 25, 18)
    spider_three, page = count(nurse_client, "/followup/spider/")
    waterfall_three, _page = count(nurse_client, "/followup/waterfall/")
    assert (spider_three, waterfall_three) == (spider_one, waterfall_one)
    assert page.count("<polyline") == 3


def test_charts_are_svg_with_escaped_labels():
    svg = charts.sum_of_diameters_chart([(90.0, 50.0, "M3<", "PR")], 75.0, 50.0)
    assert svg.startswith("<svg") and "M3&lt;" in svg
    assert "PD threshold" in svg and "60.0 mm (+20 %)" in svg
    assert charts.spider_plot([]).startswith("<svg")
    bars = charts.waterfall([("A", -40.0, "PR"), ("B", 25.0, "PD")])
    assert bars.index('data-participant="B"') < bars.index('data-participant="A"')
