"""The participant list: keyset pages by code (every participant once, forwards and back), a
search by code or by status, and bad input answered without a 500."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse

from trial import actions, views
from trial.models import Participant, ParticipantStatus

CODE = re.compile(r'class="fw-semibold">([A-Z0-9_-]+)</a>')


@pytest.fixture
def eight(nurse, bdx) -> list[str]:
    for day in range(1, 9):
        actions.register_participant(nurse, bdx, date(2026, 1, day))
    return sorted(Participant.objects.values_list("code", flat=True))


def codes(response) -> list[str]:
    assert response.status_code == 200
    return CODE.findall(response.content.decode())


def link(response, testid: str) -> str | None:
    found = re.search(rf'data-testid="{testid}" href="([^"]+)"', response.content.decode())
    return found.group(1).replace("&amp;", "&") if found else None


def test_keyset_pages_show_every_participant_once_forwards_and_back(
    nurse_client, eight, monkeypatch
):
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    url = reverse("participant_list")
    response = nurse_client.get(url)
    seen, pages = codes(response), 1
    assert link(response, "previous-page") is None
    while (after := link(response, "next-page")) is not None:
        response = nurse_client.get(url + after)
        seen += codes(response)
        pages += 1
    assert seen == eight and pages == 3
    back = codes(response)
    while (before := link(response, "previous-page")) is not None:
        response = nurse_client.get(url + before)
        back = codes(response) + back
    assert back == eight
    assert "?before=" not in response.content.decode()  # the first page again: no Previous


def test_search_by_code_or_status_keeps_the_filter_across_pages(
    nurse_client, nurse, eight, monkeypatch
):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    url = reverse("participant_list")
    assert codes(nurse_client.get(url, {"q": eight[4].lower()})) == [eight[4]]
    enrolled = Participant.objects.filter(code__in=eight[1:6])
    enrolled.update(status=ParticipantStatus.ENROLLED)
    response = nurse_client.get(url, {"status": "enrolled"})
    assert codes(response) == eight[1:3]
    after = link(response, "next-page")
    assert "status=enrolled" in after
    assert codes(nurse_client.get(url + after)) == eight[3:5]
    page = nurse_client.get(url, {"status": "enrolled", "q": "zzz"}).content.decode()
    assert "No participant matches." in page and "selected>Enrolled" in page


def test_bad_search_input_is_ignored_not_a_500(nurse_client, eight):
    url = reverse("participant_list")
    assert codes(nurse_client.get(url, {"status": "<script>"})) == eight
    # A cursor no page made is a page of whatever sorts after (or before) it, never a 500.
    for cursor in ("after", "before"):
        for value in ("'; DROP TABLE x; --" * 5, "0<b>é'", "ZZZZ"):
            shown = codes(nurse_client.get(url, {cursor: value}))
            assert set(shown) <= set(eight) and shown == sorted(shown)
    assert codes(nurse_client.get(url, {"after": "ZZZZ"})) == []
    assert codes(nurse_client.get(url, {"before": "ZZZZ"})) == eight


@pytest.mark.parametrize("username", ["nurse", "nurse2", "monitor", "datamanager", "admin"])
def test_the_written_out_page_is_the_querysets_page(demo, username):
    """The list's page read by its own SQL: the participants, sites, events to do and open
    queries of the queryset's page, for every filter, cursor and role (a code search with
    LIKE's wildcards matching them as characters)."""
    from django.contrib.auth.models import User

    from trial import keyset, queries, selectors
    from trial.accounts import LockoutBackend

    user = LockoutBackend().get_user(User.objects.get(username=username).pk)
    middle = Participant.objects.order_by("code")[7].code
    cases = [
        {},
        {"status": ParticipantStatus.FOLLOW_UP},
        {"query": "00"},
        {"query": "_"},
        {"query": "%"},
        {"query": "bdx-0", "status": ParticipantStatus.ENROLLED},
        {"after": middle},
        {"before": middle},
        {"before": "ZZZ"},
        {"after": middle, "status": ParticipantStatus.SCREENING},
    ]
    for case in cases:
        written = selectors.participant_list_page(user, size=5, **case)
        scope = selectors.participants_for(user)
        if case.get("query"):
            scope = scope.filter(code__icontains=case["query"])
        if case.get("status"):
            scope = scope.filter(status=case["status"])
        scope = scope.annotate(
            open_events=selectors.open_events_subquery(),
            open_query_count=queries.open_count_subquery(),
        )
        expected = keyset.page(
            scope, "code", size=5, after=case.get("after", ""), before=case.get("before", "")
        )

        def shown(page):
            return [
                (
                    p.pk,
                    p.code,
                    p.status,
                    p.dates,
                    p.locked_at,
                    p.site.code,
                    p.site.time_zone,
                    sorted(p.open_events or ()),
                    p.open_query_count,
                )
                for p in page
            ]

        assert shown(written) == shown(expected), case
        assert (written.next_after, written.previous_before) == (
            expected.next_after,
            expected.previous_before,
        ), case
    if username == "admin":
        assert not written.items
