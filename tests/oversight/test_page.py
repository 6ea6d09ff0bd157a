"""The study oversight page on the test demo (`seed_demo --participants 18 --seed 7`): who
sees it and which sites, the figures equal to a count made independently of the page's
code, the participants behind a figure, the number of queries, and the cut-off's input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from dosing.models import AdverseEvent
from oversight import report, risk
from oversight.models import ReportJob
from trial import jobs
from trial.models import FormState, Participant, Query


@pytest.fixture(autouse=True)
def no_broker():
    """A report job is run by the test itself: nothing is sent to a worker."""
    jobs.mark_down()
    yield
    jobs._state.update(ok=True, checked=0.0)


def _as(client, username: str):
    client.force_login(User.objects.get(username=username))
    return client


def _figures(content: bytes, key: str) -> str:
    start = content.index(f'data-indicator="{key}"'.encode())
    return content[start : content.index(b"</tr>", start)].decode()


def test_the_data_manager_sees_every_site_and_the_study(client, demo):
    page = _as(client, "datamanager").get(reverse("oversight:page"))
    assert page.status_code == 200
    text = page.content.decode()
    for site in ("BDX", "TLS"):
        assert f'data-site="{site}"' in text
    assert 'data-site="study"' in text
    for key in risk.SPECS_BY_KEY:
        assert f'data-indicator="{key}"' in text
    for section in ("funnel", "ratios", "responses", "pfs", "sae-listing", "lab-shifts"):
        assert f'data-testid="{section}"' in text
    assert f"{Participant.objects.count()} participants screened" in text
    assert text.count("<svg") >= 3 * len(risk.SPECS) + 4  # a trend per cell, four charts


def test_a_monitor_sees_only_their_sites(client, demo):
    page = _as(client, "monitor").get(reverse("oversight:page"))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-site="BDX"' in text and 'data-site="TLS"' not in text
    bdx = Participant.objects.filter(site__code="BDX").count()
    assert f"{bdx} participants screened" in text
    assert "TLS-" not in text


@pytest.mark.parametrize("username", ["nurse", "investigator", "admin"])
def test_nobody_else_sees_it(client, demo, username):
    assert _as(client, username).get(reverse("oversight:page")).status_code == 404
    assert _as(client, username).post(reverse("oversight:report_request")).status_code == 404


def test_the_figures_equal_an_independent_count(client, demo):
    """Adverse events and open queries counted here with the ORM, not with the page's code."""
    scope = report.scope_for(User.objects.get(username="datamanager"))
    context = report.context(scope, timezone.localdate())
    rows = {row.key: row for row in context["rows"]}
    aes = AdverseEvent.objects.exclude(form_status__status=FormState.DELETED).exclude(
        onset_date=None
    )
    assert aes.exists()
    for cell in rows["ae_rate"].cells:
        mine = aes.filter(form_status__participant__site__code=cell.site) if cell.site else aes
        assert cell.figure.count == mine.count()
    month_ago = timezone.now() - timedelta(days=31)
    old = Query.objects.filter(Q(closed_at=None), opened_at__lt=month_ago)
    assert rows["old_queries"].cells[-1].figure.value == old.count()
    screened = Participant.objects.count()
    assert context["funnel"][0].count == screened


def test_the_participants_behind_a_figure(client, demo):
    scope = report.scope_for(User.objects.get(username="datamanager"))
    context = report.context(scope, timezone.localdate())
    row = next(r for r in context["rows"] if r.key == "ae_rate")
    codes = row.cells[-1].figure.participants
    assert codes
    page = _as(client, "datamanager").get(reverse("oversight:behind") + "?indicator=ae_rate")
    assert page.status_code == 200
    for code in codes:
        assert reverse("participant_detail", args=[code]) in page.content.decode()
    step = client.get(reverse("oversight:behind") + "?step=screened")
    assert step.content.decode().count("/p/") >= Participant.objects.count()
    for wrong in ("?indicator=nothing", "?step=nothing", "?indicator=ae_rate&site=XXX", ""):
        assert client.get(reverse("oversight:behind") + wrong).status_code == 404


def test_a_monitor_cannot_look_behind_another_site(client, demo):
    page = _as(client, "monitor").get(reverse("oversight:behind") + "?indicator=ae_rate&site=TLS")
    assert page.status_code == 404


# The page's queries: the session, the user with their roles (2), the review ledger's filing
# (1), then the read (12), none per participant, site or indicator. (Outside a test's
# transaction one more: the snapshot that keys oversight.memo, and the read's SET
# TRANSACTION.)
PAGE_QUERIES = 15


def test_the_page_runs_a_fixed_number_of_queries(client, demo, django_assert_num_queries):
    _as(client, "datamanager")
    with django_assert_num_queries(PAGE_QUERIES):
        assert client.get(reverse("oversight:page")).status_code == 200
    _as(client, "monitor")
    with django_assert_num_queries(PAGE_QUERIES):
        assert client.get(reverse("oversight:page")).status_code == 200


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("not a date", "Enter a date, such as 2026-06-30."),
        ("", "This field is required."),
        ("2999-01-01", "The data cut-off cannot be in the future."),
    ],
)
def test_a_wrong_cutoff_is_refused_beside_the_box_and_kept(client, demo, typed, message):
    page = _as(client, "datamanager").post(reverse("oversight:report_request"), {"cutoff": typed})
    assert page.status_code == 400
    text = page.content.decode()
    assert message in text
    assert 'data-testid="cutoff-error"' in text
    assert f'value="{typed}"' in text or not typed
    assert not ReportJob.objects.exists()
