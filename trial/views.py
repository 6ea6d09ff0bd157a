"""Pages of the trial app: participant list, registration, the journey page, CRF editing, and
the audit pages: history, locks, deletion with a reason, signatures and the system log."""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from trial import (
    actions,
    decision_pages,
    decisions,
    history,
    journey,
    keyset,
    participant_html,
    queries,
    registry,
    roles,
    schedule,
    sdv,
    selectors,
)
from trial import crf as crf_registry
from trial.bad_requests import BadParameter
from trial.forms import (
    DELETE_REASONS,
    LOCK_REASONS,
    UNLOCK_REASONS,
    ErrorEntry,
    ReasonForm,
    RegisterParticipantForm,
    SignDecisionForm,
    field_entry,
)
from trial.models import AuthEvent, FormState, ParticipantStatus, QueryState

PAGE_SIZE = 50


def participant_list(request) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:16]
    status = request.GET.get("status", "")
    if status not in ParticipantStatus.values:
        status = ""
    # Keyset pages by code, never counted: the last page of 5,000 participants costs what
    # the first does, and counting or sorting an aggregate over every form would cost far
    # more than the 50 rows shown.
    # Each participant's events with a form to do and count of open queries come in the
    # page's own query (correlated subqueries, run for the rows of the page only).
    after, before = request.GET.get("after", "")[:16], request.GET.get("before", "")[:16]
    page = selectors.participant_list_page(
        request.user, query=query, status=status, after=after, before=before, size=PAGE_SIZE
    )
    if page is None:
        participants = selectors.participants_for(request.user)
        if query:
            participants = participants.filter(code__icontains=query)
        if status:
            participants = participants.filter(status=status)
        participants = participants.annotate(
            open_events=selectors.open_events_subquery(),
            open_query_count=queries.open_count_subquery(),
        )
        page = keyset.page(participants, "code", size=PAGE_SIZE, after=after, before=before)
    ids = [p.pk for p in page]
    to_redo = selectors.signatures_to_redo(ids)
    today = timezone.localdate()
    rows = [(p, journey.summarise(p, set(p.open_events or ()), today)) for p in page]
    for p in page:
        p.signatures_to_redo = to_redo.get(p.pk, [])
        p.open_queries = p.open_query_count or 0
    can_register = roles.can_enter_data(request.user)
    return render(
        request,
        "trial/participant_list.html",
        {
            "page": page,
            "rows": participant_html.list_rows(rows),
            "query": query,
            "status": status,
            "statuses": ParticipantStatus.choices,
            "filters": urlencode({k: v for k, v in (("q", query), ("status", status)) if v}),
            "can_register": can_register,
            # The site's to-do: queries waiting for its answer.
            "queries_to_answer": queries.to_answer(request.user) if can_register else [],
        },
    )


@require_http_methods(["GET", "POST"])
def participant_register(request) -> HttpResponse:
    if not roles.can_enter_data(request.user):
        raise Http404
    sites = selectors.visible_sites(request.user)
    form = RegisterParticipantForm(request.POST or None, sites=sites)
    if request.method == "POST" and form.is_valid():
        try:
            participant = actions.register_participant(
                request.user, form.cleaned_data["site"], form.cleaned_data["screening_date"]
            )
        except actions.ActionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Participant %(code)s registered.") % {"code": participant})
            return redirect("participant_detail", code=participant.code)
    return render(request, "trial/participant_register.html", {"form": form})


def participant_detail(request, code: str) -> HttpResponse:
    participant = selectors.participant_or_404(request.user, code)
    timezone.activate(participant.site.time_zone)
    rows = list(participant.forms.all())
    today = timezone.localdate()
    events = journey.timeline(participant, rows, today)
    current = selectors.current_signatures(participant)
    to_redo = _signatures_to_redo(request.user, participant, current, rows)
    can_lock = roles.has_any(request.user, roles.LOCK)
    return render(
        request,
        "trial/participant_detail.html",
        {
            "participant": participant,
            "timeline": participant_html.event_cards(participant, events, can_lock=can_lock),
            # A signature that no longer stands comes first: it is the next thing to do.
            "next": None if to_redo else journey.next_action(events),
            "resign": to_redo[0] if to_redo else None,
            "signatures_to_redo": to_redo,
            "logs": journey.log_rows(rows),
            "log_labels": {code: schedule.form_label(code) for code in schedule.LOG_FORMS},
            "today": today,
            "can_enter_data": roles.can_enter_data(request.user),
            "can_lock": can_lock,
            "signature_panels": _signature_panels(request.user, current),
            "app_panels": _app_panels(request, participant),
            "open_queries": queries.open_for_participant(participant, rows),
            "sdv_progress": _sdv_progress(request.user, rows),
        },
    )


def _sdv_progress(user, rows: list) -> sdv.Progress | None:
    """For monitors: the participant's verification progress, from the ledger filed up to
    the last committed change (trial/ledger.py); None for the other roles."""
    if not roles.has_any(user, roles.VERIFY_SOURCE):
        return None
    actions.file_review_ledger()
    return sdv.participant_progress(rows)


def _app_panels(request, participant) -> list[dict]:
    """The cards other apps register for the participant page (trial.registry): each one's
    template and values, rendered by the page ({% panel_card %})."""
    base = {"participant": participant, "can_enter_data": roles.can_enter_data(request.user)}
    return [
        {
            "template": panel.template,
            "context": {**base, **panel.context(participant, request.user)},
        }
        for panel in registry.panels()
    ]


def _signatures_to_redo(user, participant, current: dict, rows: list) -> list[dict]:
    """The current signatures that no longer stand (broken, or failing their seal), each
    verified here; the form chip of a signed row carries its signature's verdict."""
    by_row = {signature.row_id: signature for signature in current.values() if signature.row_id}
    for row in rows:
        if row.pk in by_row:
            row.signature_verdict = by_row[row.pk].verdict
    to_redo = []
    for _key, signature in sorted(current.items()):
        verdict = signature.verdict
        if not verdict.needs_signing:
            continue
        decision = decisions.get(signature.kind)
        if decision is not None:
            url = decision_pages.sign_url(participant, decision, signature.row)
        else:
            url = reverse("participant_detail", args=[participant.code])
        label = (decision.label if decision is not None else "") or signature.kind
        if decision is not None and decision.per_row and signature.row is not None:
            label = f"{label} ({signature.row.label} #{signature.row.repeat})"
        to_redo.append(
            {
                "signature": signature,
                "verdict": verdict,
                "label": label,
                "url": url,
                "can_sign": decision is not None and roles.has_any(user, set(decision.roles)),
            }
        )
    return to_redo


def _signature_panels(user, current: dict) -> list[dict]:
    """Each decision signed from the participant page itself (the casebook), with its current
    signature."""
    return [
        {
            "signable": decision,
            "signature": current.get(decision.kind),
            "can_sign": roles.has_any(user, set(decision.roles)),
        }
        for decision in decisions.signed_per_participant()
    ]


def _crf_slot(request, code: str, event: str, form: str, repeat: int):
    """The participant (in reach of this user), the form's status row and its registry entry;
    404 for anything out of reach or not available. Times show in the participant's site zone."""
    participant, row = selectors.crf_slot_or_404(request.user, code, event, form, repeat)
    timezone.activate(participant.site.time_zone)
    spec = crf_registry.get(form)
    if spec is None:
        raise Http404("This form is not available yet")
    return participant, row, spec


@require_http_methods(["GET", "POST"])
def crf_edit(request, code: str, event: str, form: str, repeat: int = 1) -> HttpResponse:
    participant, row, spec = _crf_slot(request, code, event, form, repeat)
    return _crf_page(request, participant, row, spec)


@require_http_methods(["GET", "POST"])
def crf_add_repeat(request, code: str, form: str) -> HttpResponse:
    """A new entry of a log form (adverse event, medication): nothing exists until it is
    saved, so an abandoned "+ Add" leaves no empty entry behind."""
    participant = selectors.participant_or_404(request.user, code)
    timezone.activate(participant.site.time_zone)
    spec = crf_registry.get(form)
    if spec is None or form not in schedule.LOG_FORMS or not roles.can_enter_data(request.user):
        raise Http404
    return _crf_page(request, participant, actions.next_repeat(participant, form), spec)


def _crf_page(request, participant, row, spec) -> HttpResponse:
    """A CRF's page: the form bound to its row, saved through the one door (save_crf, or
    add_repeat for a new log entry)."""
    can_enter = roles.can_enter_data(request.user)
    deleted = row.status == FormState.DELETED
    editable = can_enter and not (row.is_locked or participant.locked_at or deleted)
    complete = "save_draft" not in request.POST
    initial = spec.form_class.initial_from_query(request.GET) if row.version == 0 else {}
    data_form = crf_registry.bind(
        row, participant, request.POST or None, complete=complete, initial=initial, spec=spec
    )
    # A correction made from a query ("Correct the value on the form") gives its reason by
    # itself: data clarified by that query.
    answering = _query_answered_here(request, row)
    needs_reason = row.version > 0 and answering is None
    reason_form = ReasonForm(request.POST or None, prefix="change") if needs_reason else None
    if request.method == "POST":
        if not can_enter:
            raise Http404
        expected = _int(request.POST.get("version"))
        reason_ok = reason_form is None or reason_form.is_valid()
        # A locked or deleted form goes to the action anyway, which refuses it with a message
        # on the page (whatever the reason says).
        if data_form.is_valid() and (reason_ok or not editable):
            try:
                if row.pk is None:
                    row = actions.add_repeat(
                        request.user, participant, row.form, data_form.crf_data(), complete=complete
                    )
                else:
                    actions.save_crf(
                        request.user,
                        row,
                        data_form.crf_data(),
                        expected_version=expected,
                        reason=reason_form.text if reason_form and reason_ok else "",
                        complete=complete,
                        query=answering,
                    )
            except actions.ActionRefused as refusal:
                data_form.add_error(None, str(refusal))
            else:
                label = (
                    row.label if row.event != schedule.LOG_EVENT else f"{row.label} #{row.repeat}"
                )
                messages.success(request, _("%(form)s saved.") % {"form": label})
                return redirect("participant_detail", code=participant.code)
        version = expected
    else:
        version = row.version
    if not editable:
        for field in data_form.fields.values():
            field.disabled = True
    summary = _error_summary(data_form, reason_form) if request.method == "POST" else []
    row_queries = queries.for_row(row) if row.pk else []
    for view in row_queries:
        if view.query.is_open and view.query.item in data_form.fields:
            data_form.fields[view.query.item].widget.attrs["data-query"] = "open"
    extra = spec.context(participant, row, data_form) if spec.context else {}
    return render(
        request,
        spec.template,
        {
            **extra,
            "participant": participant,
            "row": row,
            "event": schedule.EVENTS_BY_CODE.get(row.event),
            "form": data_form,
            "reason_form": reason_form,
            "version": version,
            "editable": editable,
            "saved": row.pk is not None,
            "can_lock": roles.has_any(request.user, roles.LOCK) and row.pk is not None,
            "can_delete": editable and row.pk is not None and row.form in schedule.LOG_FORMS,
            "row_signature": selectors.row_signature(row) if row.pk else None,
            "row_queries": row_queries,
            "sdv_items": _sdv_items(request.user, row, data_form),
            "answering": answering,
            "can_raise": row.pk is not None and roles.has_any(request.user, roles.RAISE_QUERIES),
            "error_summary": summary,
            "error_fields": sum(1 for entry in summary if entry.target),
        },
        status=200,
    )


def _error_summary(data_form, reason_form) -> list[ErrorEntry]:
    """What a failed save asks to correct: the form's and its groups' errors, then the
    reason for change."""
    entries = data_form.error_summary()
    if reason_form is not None and reason_form.is_bound:
        entries += [ErrorEntry("", "", [str(e)]) for e in reason_form.non_field_errors()]
        entries += [field_entry(bound) for bound in reason_form if bound.errors]
    return entries


def _sdv_items(user, row, data_form) -> list[tuple[str, str, str]]:
    """For monitors: each item of the saved form in form order, its label and its
    verification state (derived values marked not verifiable at source)."""
    if row.pk is None or not roles.has_any(user, roles.VERIFY_SOURCE):
        return []
    actions.file_review_ledger()
    return sdv.form_items(row)


def _query_answered_here(request, row):
    """The open query this page corrects (?query=ID on the row), if any."""
    pk = _int(request.GET.get("query"))
    if row.pk is None or pk < 0:
        return None
    return row.queries.exclude(state=QueryState.CLOSED).filter(pk=pk).first()


# --- Audit pages ----------------------------------------------------------------------------


def crf_history(request, code: str, event: str, form: str, repeat: int = 1) -> HttpResponse:
    """Every value each field of the form ever had: who, when (site time, UTC on hover), why."""
    participant, row, spec = _crf_slot(request, code, event, form, repeat)
    return render(
        request,
        "trial/crf_history.html",
        {
            "participant": participant,
            "row": row,
            "event": schedule.EVENTS_BY_CODE.get(event),
            "fields": history.form_history(
                row, spec.model, {f.name: spec.unit(f.name) for f in spec.item_fields}
            ),
            "groups": history.group_history(row, spec),
            "status_entries": history.status_history(row),
        },
    )


def _reason_page(
    request,
    participant,
    *,
    title: str,
    intro: str,
    button: str,
    choices: list,
    do,
    back: str,
    done: str,
    danger: bool = False,
    version: int | None = None,
) -> HttpResponse:
    """A confirmation page asking for a reason, then calling `do(reason)` (an action).

    `version`: the form version the page shows, posted back in a hidden field so that the
    action can refuse a change made meanwhile (optimistic lock)."""
    form = ReasonForm(request.POST or None, choices=choices, label=_("Reason"), prefix="change")
    if request.method == "POST" and form.is_valid():
        try:
            do(form.text)
        except actions.ActionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, done)
            return redirect(back)
    return render(
        request,
        "trial/reason_action.html",
        {
            "participant": participant,
            "title": title,
            "intro": intro,
            "button": button,
            "form": form,
            "back": back,
            "danger": danger,
            "version": version,
        },
    )


@require_http_methods(["GET", "POST"])
def crf_delete(request, code: str, event: str, form: str, repeat: int) -> HttpResponse:
    participant = selectors.participant_or_404(request.user, code)
    row = selectors.form_status_or_404(participant, event, form, repeat)
    if not roles.can_enter_data(request.user) or row.form not in schedule.LOG_FORMS:
        raise Http404
    label = f"{row.label} #{row.repeat}"
    # The version seen when the page was shown: a delete posted after someone else saved the
    # entry is refused (StaleVersion), and the posted version is kept so it stays refused until
    # the page is reloaded with the entry as it is now.
    seen = _int(request.POST.get("version")) if request.method == "POST" else row.version
    return _reason_page(
        request,
        participant,
        title=_("Delete %(entry)s") % {"entry": label},
        intro=_(
            "The entry is marked deleted, not erased: its data and history stay in the audit trail."
        ),
        button=_("Delete this entry"),
        choices=DELETE_REASONS,
        do=lambda reason: actions.delete_crf(
            request.user, row, reason=reason, expected_version=seen
        ),
        back=reverse("participant_detail", args=[participant.code]),
        done=_("%(entry)s deleted.") % {"entry": label},
        danger=True,
        version=seen,
    )


def _lock_page(request, participant, *, lock: bool, what: str, do, back: str) -> HttpResponse:
    if not roles.has_any(request.user, roles.LOCK):
        raise Http404
    return _reason_page(
        request,
        participant,
        title=(_("Lock %(what)s") if lock else _("Unlock %(what)s")) % {"what": what},
        intro=_("Locked data cannot be changed by anyone until a data manager unlocks it.")
        if lock
        else _("Once unlocked, the data can be changed again, each change with its reason."),
        button=_("Lock") if lock else _("Unlock"),
        choices=LOCK_REASONS if lock else UNLOCK_REASONS,
        do=do,
        back=back,
        done=(_("%(what)s locked.") if lock else _("%(what)s unlocked.")) % {"what": what},
    )


@require_http_methods(["GET", "POST"])
def form_lock(request, code: str, event: str, form: str, repeat: int, lock: bool) -> HttpResponse:
    participant = selectors.participant_or_404(request.user, code)
    row = selectors.form_status_or_404(participant, event, form, repeat)
    action = actions.lock_form if lock else actions.unlock_form
    return _lock_page(
        request,
        participant,
        lock=lock,
        what=_("the form %(form)s") % {"form": row.label},
        do=lambda reason: action(request.user, row, reason=reason),
        back=reverse("crf_edit", args=[code, event, form, repeat]),
    )


@require_http_methods(["GET", "POST"])
def event_lock(request, code: str, event: str, lock: bool) -> HttpResponse:
    participant = selectors.participant_or_404(request.user, code)
    planned = schedule.EVENTS_BY_CODE.get(event)
    if planned is None:
        raise Http404
    action = actions.lock_event if lock else actions.unlock_event
    return _lock_page(
        request,
        participant,
        lock=lock,
        what=_("the event %(event)s") % {"event": planned.label},
        do=lambda reason: action(request.user, participant, event, reason=reason),
        back=reverse("participant_detail", args=[code]),
    )


@require_http_methods(["GET", "POST"])
def casebook_lock(request, code: str, lock: bool) -> HttpResponse:
    participant = selectors.participant_or_404(request.user, code)
    action = actions.lock_casebook if lock else actions.unlock_casebook
    return _lock_page(
        request,
        participant,
        lock=lock,
        what=_("the casebook of %(code)s") % {"code": participant.code},
        do=lambda reason: action(request.user, participant, reason=reason),
        back=reverse("participant_detail", args=[code]),
    )


@require_http_methods(["GET", "POST"])
def signature_sign(request, code: str, kind: str) -> HttpResponse:
    """The one signing page of every decision (trial/decisions.py): what is decided, the
    signature, then the choice and the password. A decision signed per entry (an adverse
    event's causality) names the entry with ?repeat=N."""
    participant = selectors.participant_or_404(request.user, code)
    timezone.activate(participant.site.time_zone)
    decision = decisions.get(kind)
    if decision is None:
        raise Http404
    # A decision with a slot shows what is decided to every reader (as its form slot does);
    # one of the whole participant (the casebook) is a page for its signers only.
    if decision.slot is None and not roles.has_any(request.user, set(decision.roles)):
        raise Http404
    row = decision_pages.decision_row(participant, decision, request.GET.get("repeat"))
    previous = decisions.recorded_choice(decision, participant, row)
    form = SignDecisionForm(request.POST or None, decision=decision, previous=previous)
    if request.method == "POST" and form.is_valid():
        try:
            actions.sign_decision(
                request.user,
                form.cleaned_data["password"],
                participant,
                kind,
                choice=form.cleaned_data.get("decision", ""),
                reason=form.cleaned_data.get("reason", ""),
                row=row if decision.per_row else None,
            )
        except actions.WrongPassword as refusal:
            form.add_error("password", str(refusal))
        except actions.ReasonRequired as refusal:
            form.add_error("reason" if "reason" in form.fields else None, str(refusal))
        except actions.ActionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            done = decision.done or _("Signed: %(what)s of %(code)s.")
            messages.success(request, str(done) % {"what": decision.label, "code": code})
            return redirect("participant_detail", code=participant.code)
    return render(
        request, "trial/sign.html", decision_pages.page_context(decision, participant, row, form)
    )


AUDIT_PAGE_SIZE = 100


def system_audit(request) -> HttpResponse:
    """Logins, failed logins, logouts, signature attempts, locks, and account and role
    changes: for data managers."""
    if not roles.has_any(request.user, roles.SYSTEM_AUDIT):
        raise Http404
    query = request.GET.get("q", "").strip()
    auth_events = AuthEvent.objects.select_related("actor").order_by("-at", "-pk")
    if query:
        auth_events = auth_events.filter(username__icontains=query)
    page = Paginator(auth_events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "trial/system_audit.html",
        {"page": page, "query": query, "changes": history.account_changes()},
    )


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return -1


def not_found(request, exception=None) -> HttpResponse:
    return render(request, "404.html", status=404)


def bad_request(request, exception=None) -> HttpResponse:
    """400: our own refusals say what is wrong; others (a forged header) say no more."""
    message = str(exception) if isinstance(exception, BadParameter) else ""
    return render(request, "400.html", {"message": message}, status=400)


def server_error(request) -> HttpResponse:
    return render(request, "500.html", status=500)


def healthz(request) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


FAVICON = Path(__file__).resolve().parent.parent / "static" / "favicon.svg"


def favicon(request) -> HttpResponse:
    """/favicon.ico, which browsers ask for whatever the page says: the site's icon (SVG),
    cached for a day, open before login like the static files."""
    response = HttpResponse(FAVICON.read_bytes(), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response
