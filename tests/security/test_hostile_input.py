"""Hostile input on every CRF: random and extreme values (huge numbers, 1e308, NaN, infinity,
unicode, control characters, SQL and HTML fragments, years 1 and 9999, blanks) posted by a
nurse through the page, one item at a time, into the form or a row of its item groups.

Whatever is posted: never a server error; either the value is stored exactly as the form read
it (the version moves on by one), or the page answers with a message next to the item and
nothing at all is saved (version and every stored value unchanged).
"""

from __future__ import annotations

import math
import os
from datetime import date, datetime
from urllib.parse import quote

import pytest
from django.core.exceptions import ValidationError
from django.forms.models import InlineForeignKeyField
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from tests.conftest import PASSWORD
from tests.security.pages import page_post
from trial import crf as crf_registry
from trial import schedule
from trial.models import FormStatus, Signature

EXTREMES = [
    "",
    " ",
    "0",
    "-0",
    "1e308",
    "-1e308",
    "1e309",
    "1E-400",
    "NaN",
    "nan",
    "sNaN",
    "Infinity",
    "-inf",
    "9" * 400,
    "-" + "9" * 60,
    "0." + "0" * 60 + "1",
    "1,5",
    "１２３",  # full-width digits
    "٣٫٥",  # Arabic-Indic digits
    "²",
    "0x1F",
    "1_000",
    "'; DROP TABLE trial_participant; --",
    "1 OR 1=1",
    '<script>alert("x")</script>',
    "</textarea><img src=x onerror=alert(1)>",
    "{{ 7|add:7 }}",
    "\x00",
    "a\x00b",
    "\u202eevil",
    "😀" * 50,
    "x" * 5000,
    "0001-01-01",
    "9999-12-31",
    "0000-00-00",
    "2026-02-30",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "9999-12-31T23:59:59.999999+14:00",
    "True",
    "False",
    "on",
]

HOSTILE = st.one_of(
    st.sampled_from(EXTREMES),
    st.text(max_size=40),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(
        lambda d: d.strftime("%Y-%m-%dT%H:%M")
    ),
)

FORMS = sorted(crf_registry.REGISTRY)
# The decision slots, whose page is their signing page.
SIGNING_PAGES = {"ELIGSIGN": "eligibility", "GATE": "gate"}
# A modest, repeatable search in the suite; EDC_HOSTILE_EXAMPLES=200 searches deeper, at random.
DEEP = int(os.environ.get("EDC_HOSTILE_EXAMPLES", "0"))
SETTINGS = settings(
    max_examples=DEEP or 8,
    deadline=None,
    derandomize=not DEEP,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def signing_page(code: str, participant, investigator) -> None:
    """Hostile decision, reason and password on a signing page: never a server error, never a
    signature (the participant has no data to sign)."""
    client = Client()
    client.force_login(investigator)
    url = reverse("signature_sign", args=[participant.code, SIGNING_PAGES[code]])
    good = {
        "decision": "eligible" if code == "ELIGSIGN" else "proceed",
        "reason": "",
        "password": PASSWORD,
    }

    # Each post checks a password (slow on purpose): fewer examples.
    @settings(SETTINGS, max_examples=5)
    @given(name=st.sampled_from(sorted(good)), value=HOSTILE)
    def post_one(name, value):
        response = client.post(url, {**good, name: value})
        assert response.status_code == 200
        assert not Signature.objects.filter(participant=participant).exists()

    post_one()


def first_event(form: str) -> str:
    if form in schedule.LOG_FORMS:
        return schedule.LOG_EVENT
    return next(event.code for event in schedule.EVENTS if form in event.forms)


def items(form) -> list[tuple[str, str | None, str]]:
    """Every item of the page: (POST name, group or None, item name)."""
    found = [
        (form[name].html_name, None, name) for name in form.fields if name != "confirm_unusual"
    ]
    for group, formset in form.group_formsets().items():
        child = formset.empty_form
        for name, field in child.fields.items():
            # The link to the parent row and the row id are plumbing, not items.
            if name in ("DELETE", "id") or isinstance(field, InlineForeignKeyField):
                continue
            found.append((f"{formset.prefix}-0-{name}", group, name))
    return found


def stored(row: FormStatus) -> dict:
    return crf_registry.snapshot([row]).get(row.pk, {}) if row.pk else {}


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def field_of(page, group: str | None, name: str):
    return (
        page.fields[name] if group is None else page.group_formsets()[group].empty_form.fields[name]
    )


def refused_alone(field, group: str | None, value: str) -> bool:
    """Whether the item's own field refuses the value, whatever the rest of the form says. A
    blank row of an item group is no row at all (the formset skips it)."""
    if group is not None and not value.strip():
        return False
    try:
        field.clean(value)
    except ValidationError:
        return True
    return False


@pytest.fixture
def slot(participant):
    """A slot of each form for a participant registered through the page's action."""

    def make(form: str) -> FormStatus:
        event = first_event(form)
        if event == schedule.LOG_EVENT:
            return FormStatus(participant=participant, event=event, form=form, repeat=1)
        row, _ = FormStatus.objects.get_or_create(
            participant=participant, event=event, form=form, repeat=1
        )
        return row

    return make


@pytest.mark.req("A11.5")
def test_hostile_values_are_stored_exactly_or_refused_next_to_the_item(slot, nurse, investigator):
    """Every form of the registry, one after the other, on one participant (a new form is
    covered as soon as it is registered)."""
    client = Client()
    client.force_login(nurse)
    assert len(FORMS) >= 20
    for code in FORMS:
        hostile_posts(code, client, slot(code), investigator)


def hostile_posts(code: str, client: Client, start: FormStatus, investigator) -> None:
    participant = start.participant
    log = start.event == schedule.LOG_EVENT
    names = items(crf_registry.bind(start, participant))
    if not names:
        # A decision slot: its page is the signing page, whose fields take the hostile input.
        assert code in SIGNING_PAGES, f"{code} has no item and no signing page"
        return signing_page(code, participant, investigator)

    @SETTINGS
    @given(item=st.sampled_from(names), value=HOSTILE, complete=st.booleans())
    def post_one(item, value, complete):
        note(f"form {code}")
        html_name, group, name = item
        if log:
            row = FormStatus(participant=participant, event=start.event, form=code, repeat=1)
            url = reverse("crf_add_repeat", args=[participant.code, code])
            entries = participant.forms.filter(form=code).count()
        else:
            row = FormStatus.objects.get(pk=start.pk)
            url = reverse("crf_edit", args=[participant.code, row.event, code, row.repeat])
        before = stored(row)
        page = crf_registry.bind(row, participant)
        data = {
            **page_post(page),
            html_name: value,
            "version": str(row.version),
            "change-reason": "transcription error",
            "crf-confirm_unusual": "on",
        }
        if group is not None:
            prefix = html_name.rsplit("-", 2)[0]
            total = int(data.get(f"{prefix}-TOTAL_FORMS") or 0)
            data[f"{prefix}-TOTAL_FORMS"] = str(max(total, 1))
        if not complete:
            data["save_draft"] = "1"
        # What the form makes of the POST, read before the page saves it.
        expected = crf_registry.bind(row, participant, data, complete=complete)
        valid = expected.is_valid()

        response = client.post(url, data)

        assert response.status_code in (200, 302), response.status_code
        if log:
            saved_rows = participant.forms.filter(form=code).order_by("-repeat")
            saved = saved_rows.count() == entries + 1
            assert saved_rows.count() in (entries, entries + 1)
            row = saved_rows.first() if saved else row
        else:
            fresh = FormStatus.objects.get(pk=row.pk)
            saved = fresh.version == row.version + 1
            assert fresh.version in (row.version, row.version + 1)
            row = fresh
        after = stored(row)
        if response.status_code == 302:
            assert saved and valid, expected.errors
            if group is None:
                want = expected.cleaned_data.get(name)
                got = after[name]
            else:
                rows = expected.group_formsets()[group].rows()
                stored_rows = after[group]
                if not rows:
                    return
                key = next(iter(stored_rows))
                want, got = rows[0].get(name), stored_rows[key][name]
            # Stored exactly as the form read it: no rounding, truncation or time shift.
            assert same(got, want), (name, value, got, want)
        else:
            assert not saved, "the page answered with errors but saved"
            assert after == before, "a refused save changed stored values"
            form = response.context["form"]
            shown = response.content.decode()
            errors = dict(form.errors)
            for formset in form.group_formsets().values():
                errors.update(
                    {
                        f"{formset.prefix}-{i}-{field}": messages
                        for i, child in enumerate(formset.forms)
                        for field, messages in child.errors.items()
                    }
                )
                if formset.non_form_errors():
                    errors[f"{formset.prefix}-__all__"] = formset.non_form_errors()
            assert errors, "refused without a message"
            field = field_of(page, group, name)
            if refused_alone(field, group, value):
                key = html_name if group is not None else name
                assert key in errors, (value, errors)
                # The item's own message, rendered beside it (a hidden item, which no one types
                # into, only has to be refused).
                if not field.widget.is_hidden:
                    assert f"id_{html_name}_error" in shown or f"_id_{html_name}" in shown

    post_one()


# --- The other pages' parameters ------------------------------------------------------------

# (URL name, its arguments, the parameter) read from the query string.
QUERY_PARAMETERS = [
    ("participant_list", [], "q"),
    ("participant_list", [], "status"),
    ("participant_list", [], "after"),
    ("participant_list", [], "before"),
    ("system_audit", [], "q"),
    ("system_audit", [], "page"),
    ("reminder_log", [], "q"),
    ("reminder_log", [], "page"),
    ("exports", [], "site"),
    ("exports", [], "participant"),
    ("sdv_site", [], "site"),
    ("crf_edit", ["{code}", "SCR", "DEMOG", 1], "query"),
    ("dosing:ctcae_search", [], "q"),
    ("dosing:ctcae_term", [], "crf-term"),
    ("dosing:ctcae_term", [], "crf-grade"),
]
# Pages whose path carries a participant's code.
PATHS = [
    "/p/{}/",
    "/p/{}/sign/eligibility/",
    "/p/{}/sign/gate/",
    "/p/{}/sign/ae_causality/",
    "/followup/p/{}/recist/",
    "/p/{}/queries/1/",
]


def test_hostile_parameters_of_the_other_pages_never_make_a_server_error(participant, data_manager):
    """Query strings, the participant's code in paths, and the PDF request's fields: a 4xx
    or the page, never a server error."""
    client = Client(raise_request_exception=False)
    client.force_login(data_manager)

    @settings(SETTINGS, max_examples=DEEP or 40)
    @given(
        where=st.sampled_from(
            [("GET", q) for q in QUERY_PARAMETERS]
            + [("PATH", p) for p in PATHS]
            + [("PDF", field) for field in ("code", "event", "form", "repeat")]
        ),
        value=HOSTILE,
    )
    def request_one(where, value):
        how, what = where
        if how == "GET":
            name, args, parameter = what
            url = reverse(name, args=[a.format(code=participant.code) for a in map(str, args)])
            extra = {"format": "csv"} if name == "exports" else {}
            response = client.get(url, {**extra, parameter: value})
        elif how == "PATH":
            response = client.get(what.format(quote(value, safe="")))
        else:
            body = {"code": participant.code, "event": "SCR", "form": "DEMOG", "repeat": "1"}
            response = client.post(reverse("pdf_request", args=["form"]), {**body, what: value})
        assert response.status_code < 500, (how, what, value, response.status_code)

    request_one()
