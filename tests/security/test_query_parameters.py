"""Bad query parameters answer 400 with a message, never a server error.

Every query parameter of every page is found in the source of the URLconf's views (the view
and the functions of its module it calls, `request.GET.get("x")`, `request.GET["x"]`, and
the readers handed the whole query string), so a parameter added later is covered without
a line here. Hypothesis sends hostile values to each, as a data manager, who reaches every
list, review and export page.
"""

from __future__ import annotations

import ast
import inspect
import sys
import textwrap
from collections.abc import Iterator
from functools import cache

import pytest
from django.contrib.auth.models import User
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import get_resolver, reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from dosing.forms import AePrefillForm
from tests.security.test_access_matrix import Pattern, fill, walk
from tests.security.test_hostile_input import HOSTILE, SETTINGS
from trial import review
from trial.models import Participant

# Readers handed the whole query string (`request.GET`), and the parameters each reads.
WHOLE_QUERY_READERS: dict[str, tuple[str, ...]] = {
    "from_query": review.Filters.NAMES,
    "initial_from_query": tuple(AePrefillForm.base_fields),
}


def _is_query(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "GET"
        and isinstance(node.value, ast.Name)
        and node.value.id == "request"
    )


def _reads(tree: ast.AST, module: object, seen: set[str]) -> Iterator[str]:
    """The query parameters read in `tree`, and in the functions of `module` it calls."""
    for node in ast.walk(tree):
        subscript = isinstance(node, ast.Subscript) and _is_query(node.value)
        if subscript and isinstance(node.slice, ast.Constant):
            yield node.slice.value
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        getter = isinstance(func, ast.Attribute) and func.attr in ("get", "getlist")
        named = bool(node.args) and isinstance(node.args[0], ast.Constant)
        if getter and _is_query(func.value) and named:
            yield node.args[0].value
        if any(_is_query(arg) for arg in node.args):
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("get", "getlist"):
                continue
            assert name in WHOLE_QUERY_READERS, f"{name} reads the query string: say what"
            yield from WHOLE_QUERY_READERS[name]
        if isinstance(func, ast.Name) and func.id not in seen:
            helper = getattr(module, func.id, None)
            if inspect.isfunction(helper) and helper.__module__ == module.__name__:
                seen.add(func.id)
                yield from _reads(_tree(helper), module, seen)


def _tree(function) -> ast.AST:
    return ast.parse(textwrap.dedent(inspect.getsource(function)))


@cache
def parameters() -> dict[Pattern, tuple[str, ...]]:
    """Each URL pattern whose view reads the query string, with the parameters it reads."""
    callbacks = {}

    def collect(patterns, prefix=""):
        for entry in patterns:
            if hasattr(entry, "url_patterns"):
                collect(entry.url_patterns, prefix + str(entry.pattern))
            else:
                callbacks[prefix + str(entry.pattern)] = entry.callback

    collect(get_resolver().url_patterns)
    found = {}
    for pattern in walk():
        view = inspect.unwrap(callbacks[pattern.route])
        if not inspect.isfunction(view):
            continue  # Django's own class-based views (login, logout)
        module = sys.modules[view.__module__]
        names = tuple(sorted(set(_reads(_tree(view), module, {view.__name__}))))
        if names:
            found[pattern] = names
    return found


def test_the_parameters_are_found_in_the_views():
    """The scan finds what the pages read: the review's filters and pages, the exports'."""
    by_name = {p.name: names for p, names in parameters().items()}
    assert set(by_name["audit_review"]) == {*review.Filters.NAMES, "after", "before", "last"}
    assert {"format", "site", "participant", "token"} <= set(by_name["exports"])
    assert {"q", "page"} <= set(by_name["participant_list"])
    assert "site" in by_name["sdv_site"]


def test_a_date_beyond_the_calendar_is_a_400_with_its_message(demo, client):
    """/review/?end=9999-12-31 answered a server error."""
    client.force_login(User.objects.get(username="datamanager"))
    for query in ({"end": "9999-12-31"}, {"start": "0001-01-01"}):
        response = client.get(reverse("audit_review"), query)
        assert response.status_code == 400
        page = response.content.decode()
        assert "is-invalid" in page and "Enter a date between" in page
        # The filter as typed stays in its box.
        assert f'value="{next(iter(query.values()))}"' in page


@pytest.mark.parametrize(
    "query",
    [
        {"after": "not-a-cursor"},
        {"before": "9999-12-31T23:59:59+14:00~1"},
        {"after": "2026-01-01T00:00:00~1"},  # no time zone
        {"after": "2026-01-01T00:00:00+00:00~" + "9" * 30},
        {"kind": "nonsense"},
        {"reviewed": "maybe"},
    ],
)
def test_a_bad_review_parameter_is_a_400_with_a_message(demo, client, query):
    client.force_login(User.objects.get(username="datamanager"))
    response = client.get(reverse("audit_review"), query)
    assert response.status_code == 400
    page = response.content.decode()
    assert "invalid-feedback" in page or 'data-testid="bad-request"' in page


def test_hostile_values_of_every_query_parameter_never_make_a_server_error(demo):
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.get(username="datamanager"))
    participant = Participant.objects.filter(site__code="BDX").order_by("code").first()
    cases = []
    for pattern, names in parameters().items():
        kwargs = fill(pattern, participant)
        assert kwargs is not None, f"{pattern.name}: teach fill() its path parameters"
        url = reverse(pattern.name, kwargs=kwargs)
        cases += [(pattern.name, url, name) for name in names]

    @settings(SETTINGS, max_examples=max(SETTINGS.max_examples, 120))
    @given(case=st.sampled_from(cases), value=HOSTILE)
    def request_one(case, value):
        name, url, parameter = case
        # The exports' format picks the file; any other value of theirs goes with a CSV.
        extra = {"format": "csv"} if name == "exports" and parameter != "format" else {}
        response = client.get(url, {**extra, parameter: value})
        if isinstance(response, StreamingHttpResponse):
            b"".join(response.streaming_content)
        assert response.status_code < 500, (name, parameter, value, response.status_code)
        if response.status_code == 400:
            assert response.content.strip(), (name, parameter, value)

    request_one()
