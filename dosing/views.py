"""Pages and htmx fragments of the dosing app: live lab grades, the CTCAE term picker, and
opening an adverse event pre-filled from a lab finding. Thin: access, a form, an action."""

from __future__ import annotations

from typing import cast
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dosing import ctcae
from dosing.crf import lab_context
from dosing.forms import AeForm, AePrefillForm, LabForm, find_term, french_active
from trial import crf as crf_registry
from trial import roles, selectors

SEARCH_LIMIT = 15
# The longest CTCAE v5 term is under 100 characters; a longer query is not a search.
MAX_QUERY_LENGTH = 200
GRADES = range(1, 6)


class BadParameter(ValueError):
    """A query parameter no page of ours sends: answered with 400, never a server error."""


def _query(request) -> str:
    query = request.GET.get("crf-term") or request.GET.get("q") or ""
    if len(query) > MAX_QUERY_LENGTH:
        raise BadParameter(_("The term is too long."))
    return query


def _grade(request) -> int | None:
    raw = request.GET.get("crf-grade", "").strip()
    if not raw:
        return None
    # str.isdigit() accepts "²" and int() refuses 5000 digits: only plain ASCII grades 1-5.
    if not (raw.isascii() and raw.isdigit() and len(raw) == 1 and int(raw) in GRADES):
        raise BadParameter(_("The grade must be a whole number from 1 to 5."))
    return int(raw)


def _bad_request(refusal: BadParameter) -> HttpResponse:
    return HttpResponseBadRequest(str(refusal), content_type="text/plain; charset=utf-8")


@require_POST
def lab_grades(request, code: str, event: str) -> HttpResponse:
    """The CTCAE grades of the values typed so far (htmx, while the nurse types)."""
    participant = selectors.participant_or_404(request.user, code)
    timezone.activate(participant.site.time_zone)
    row = selectors.form_status_or_404(participant, event, "LAB", 1)
    form = crf_registry.bind(row, participant, request.POST, complete=False)
    form.is_valid()  # grades come from the values that are valid; errors show on save
    context = {
        "participant": participant,
        "row": row,
        "form": form,
        "editable": roles.can_enter_data(request.user),
        **lab_context(participant, row, cast(LabForm, form)),  # the LAB form's own class
    }
    return render(request, "dosing/_lab_live.html", context)


@require_GET
def ctcae_search(request) -> HttpResponse:
    """CTCAE v5 terms matching what is typed in the term field (htmx)."""
    try:
        query, initial = _query(request), _term_initial(request)
    except BadParameter as refusal:
        return _bad_request(refusal)
    terms = ctcae.search(query, limit=SEARCH_LIMIT, french=french_active())
    # Typed in full: show that term's SOC and grades at once, without a click on the list.
    exact = find_term(query.strip())
    form = AeForm(prefix="crf", initial=initial) if exact else None
    return render(
        request,
        "dosing/_ctcae_results.html",
        {"terms": terms, "query": query.strip(), "form": form, "editable": True},
    )


def _term_initial(request) -> dict:
    """The term and grade of the query; BadParameter when either is not one we send."""
    initial: dict = {"term": _query(request).strip()}
    grade = _grade(request)
    if grade is not None:
        initial["grade"] = grade
    return initial


@require_GET
def ctcae_term(request) -> HttpResponse:
    """The term block of the AE form for the chosen term: its SOC and its grades (htmx)."""
    try:
        initial = _term_initial(request)
    except BadParameter as refusal:
        return _bad_request(refusal)
    form = AeForm(prefix="crf", initial=initial)
    return render(request, "dosing/_ae_term_block.html", {"form": form, "editable": True})


@require_POST
def ae_from_finding(request, code: str) -> HttpResponse:
    """Open a new adverse event for a lab finding, pre-filled with term and grade. Nothing is
    recorded until the nurse saves it."""
    participant = selectors.participant_or_404(request.user, code)
    finding = AePrefillForm(request.POST)
    if not finding.is_valid():
        messages.error(request, finding.errors.as_text())
        return redirect("participant_detail", code=participant.code)
    if not roles.can_enter_data(request.user):
        messages.error(request, _("Your role does not allow you to enter data."))
        return redirect("participant_detail", code=participant.code)
    query = {"term": finding.cleaned_data["term"], "grade": finding.cleaned_data["grade"]}
    if finding.cleaned_data.get("onset"):
        query["onset"] = finding.cleaned_data["onset"].isoformat()
    url = reverse("crf_add_repeat", args=[participant.code, "AE"])
    return redirect(f"{url}?{urlencode(query)}")
