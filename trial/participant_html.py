"""The repeated parts of the participant list and page, built in Python: a list row per
participant, a chip per form of the timeline.

Fifty rows or chips of a dozen tags each cost a Django template several times what
format_html does (a variable lookup walks the context stack, an {% url %} reverses the
pattern), and these pages must answer in 15 ms; the templates keep everything else. URLs are
reversed once per page, with a placeholder filled in per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape as _escape
from typing import Any
from urllib.parse import quote

from django.template.defaultfilters import date as date_filter
from django.urls import get_script_prefix, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from trial import crf as crf_registry
from trial.journey import STATE_LABELS, EventView
from trial.models import FormState, FormStatus, Participant, ParticipantStatus

# Stand for path segments in a URL reversed once, replaced per row: codes as the URL
# patterns' code converter accepts them, and a number for the <int:> ones.
_HOLES = ("ZZHOLE0ZZ", "ZZHOLE1ZZ", "ZZHOLE2ZZ", "987654321")


def _pattern(name: str, holes: int) -> str:
    return reverse(name, args=_HOLES[:holes])


def _fill(pattern: str, *values: Any) -> str:
    for hole, value in zip(_HOLES, values, strict=False):
        pattern = pattern.replace(hole, quote(str(value), safe=""), 1)
    return pattern


def _e(value: Any) -> str:
    """conditional_escape's output without its cost per call (a lazy wrapper, a SafeString
    made for each value): these pages escape some seven hundred values each."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return _escape(str(value))


def list_rows(rows: Iterable[tuple[Participant, Any]]) -> SafeString:
    """The participant list's rows: each participant with its journey summary, open queries,
    signatures to sign again and lock."""
    detail = _pattern("participant_detail", 1)
    overdue_flag = f'<span class="badge text-bg-danger">{_e(_("Overdue"))}</span>'
    # Each status's label translated once per page: get_status_display() rebuilds the
    # field's choices on every call, which cost more than the rest of a row.
    status_labels = {value: _e(label) for value, label in ParticipantStatus.choices}
    locked = (
        f'<span class="badge text-bg-secondary"><i class="bi bi-lock"></i> {_e(_("Locked"))}</span>'
    )
    invalid, broken = _e(_("Signature invalid")), _e(_("Signature broken"))
    html = []
    for p, summary in rows:
        flags = []
        if summary.overdue:
            flags.append(overdue_flag)
        for signature, verdict in p.signatures_to_redo:
            flags.append(
                '<span class="badge text-bg-danger" data-testid="signature-flag" '
                f'data-kind="{_e(signature.kind)}" data-state="{_e(verdict.state)}">'
                '<i class="bi bi-exclamation-octagon"></i> '
                f"{invalid if verdict.is_invalid else broken}</span>"
            )
        if p.locked_at:
            flags.append(locked)
        status = status_labels.get(p.status)
        queries = (
            f'<span class="badge text-bg-danger">{_e(p.open_queries)}</span>'
            if p.open_queries
            else "—"
        )
        html.append(
            f'<tr class="{"table-danger" if summary.overdue else ""}">'
            f'<td><a href="{_e(_fill(detail, p.code))}" class="fw-semibold">{_e(p.code)}</a></td>'
            f"<td>{_e(p.site.code)}</td>"
            f"<td>{status if status is not None else _e(p.status)}</td>"
            f"<td>{_e(summary.current)}</td>"
            f"<td>{_e(date_filter(summary.next_due, 'SHORT_DATE_FORMAT') or '—')}</td>"
            f'<td data-testid="open-queries">{queries}</td>'
            f"<td>{' '.join(flags)}</td></tr>"
        )
    return mark_safe("\n".join(html))


def form_chips(participant: Participant, rows: Iterable[FormStatus]) -> SafeString:
    """An event's form chips on the participant page: each form's status, lock and signature
    verdict, a link to the form (or a plain chip for a form not available yet)."""
    return mark_safe("\n".join(_chips(participant, rows, _chip_words())))


def _chips(
    participant: Participant, rows: Iterable[FormStatus], words: dict[str, Any]
) -> list[str]:
    edit, statuses = words["edit"], words["status"]
    html = []
    for row in rows:
        if crf_registry.get(row.form) is None:
            html.append(
                f'<span class="form-chip status-unavailable" data-form="{_e(row.form)}" '
                f'title="{words["later"]}">{_e(row.label)}</span>'
            )
            continue
        verdict = getattr(row, "signature_verdict", None)
        signature = attribute = broken = ""
        if verdict:
            if verdict.needs_signing:
                broken = " signature-broken"
                mark = (
                    '<i class="bi bi-exclamation-octagon text-danger"></i> '
                    f"{words['invalid'] if verdict.is_invalid else words['broken']}"
                )
            else:
                mark = words["signed"]
            state = _e(verdict.state)
            attribute = f' data-signature="{state}"'
            signature = f' <span data-testid="chip-signature" data-state="{state}">{mark}</span>'
        status = _e(row.status)
        label = statuses.get(row.status)
        html.append(
            f'<a class="form-chip status-{status}{broken}" data-form="{_e(row.form)}" '
            f'data-status="{status}"{attribute} '
            f'href="{_e(_fill(edit, participant.code, row.event, row.form, row.repeat))}">'
            f"{_e(row.label)} · {label if label is not None else status}"
            f"{_LOCK if row.is_locked else ''}{signature}</a>"
        )
    return html


_LOCK = mark_safe(' <i class="bi bi-lock"></i>')


def event_cards(
    participant: Participant, events: Iterable[EventView], *, can_lock: bool
) -> SafeString:
    """The participant page's timeline: a card per event (dates, state, lock links, its form
    chips), the markup the page's template wrote before, to the byte. Some twenty cards of a
    dozen lookups and conditions each were most of the page's rendering time."""
    words = _event_words()
    chip_words = _chip_words()
    lock_url, unlock_url = words["lock_url"], words["unlock_url"]
    code = participant.code
    html = []
    for view in events:
        planned = view.planned
        # Each of the view's properties walks its slots: read once per card.
        state = view.state
        overdue = view.overdue
        window = planned.window
        if planned.actual:
            shown = _e(date_filter(planned.actual, "SHORT_DATE_FORMAT"))
            when = f"{words['done_on']} {shown}\n          "
        elif window.opens:
            opens = _e(date_filter(window.opens, "SHORT_DATE_FORMAT"))
            closes = _e(date_filter(window.closes, "SHORT_DATE_FORMAT") or "…")
            when = f"{opens} – {closes}\n          "
        else:
            when = words["unknown"]
        locks = ""
        if can_lock and view.slots:
            lock = unlock = ""
            if not view.all_locked:
                href = _e(_fill(lock_url, code, planned.code))
                lock = (
                    f'<a class="btn btn-sm btn-link py-0" href="{href}" '
                    f'title="{words["lock_title"]}"><i class="bi bi-lock"></i> {words["lock"]}</a>'
                )
            if view.any_locked:
                href = _e(_fill(unlock_url, code, planned.code))
                unlock = (
                    f'<a class="btn btn-sm btn-link py-0" href="{href}" '
                    f'title="{words["unlock_title"]}"><i class="bi bi-unlock"></i> '
                    f"{words['unlock']}</a>"
                )
            locks = f"\n          {lock}\n          {unlock}\n        "
        chips = "\n".join(_chips(participant, (slot.row for slot in view.slots), chip_words))
        event = _e(planned.code)
        when_class = "text-danger fw-semibold" if overdue else "text-muted"
        html.append(
            f'\n  <li class="card mb-2 event-{state}" data-event="{event}" data-state="{state}">\n'
            '    <div class="card-body py-2">\n'
            '      <div class="d-flex align-items-center gap-2">\n'
            '        <span class="event-dot"></span>\n'
            f"        <strong>{_e(planned.event.label)}</strong>\n"
            f'        <span class="text-muted small">{event}</span>\n'
            f'        <span class="small ms-2 {when_class}">\n'
            f"          {when}\n"
            f"          {words['overdue'] if overdue else ''}\n"
            "        </span>\n"
            f'        <span class="ms-auto badge state-badge">{words["states"][state]}</span>\n'
            f"        {locks}\n"
            "      </div>\n"
            '      <div class="d-flex flex-wrap gap-2 mt-2">\n'
            f"      {chips}\n"
            "      </div>\n"
            "    </div>\n"
            "  </li>\n"
        )
    return mark_safe("".join(html))


def _event_words() -> dict[str, Any]:
    """What every event card repeats, translated and reversed once per language."""
    key = (get_language(), get_script_prefix())
    cached = _EVENT_WORDS.get(key)
    if cached is None:
        # As {% translate %} left them: a literal's translation is not escaped.
        cached = _EVENT_WORDS[key] = {
            "lock_url": _pattern("event_lock", 2),
            "unlock_url": _pattern("event_unlock", 2),
            "done_on": _("Done on"),
            "unknown": _("window not yet known"),
            "overdue": "(" + _("overdue") + ")",
            "lock_title": _("Lock every form of this event"),
            "lock": _("Lock event"),
            "unlock_title": _("Unlock every form of this event"),
            "unlock": _("Unlock event"),
            # {{ view.state_label }}: a variable, escaped.
            "states": {state: _e(label) for state, label in STATE_LABELS.items()},
        }
    return cached


_EVENT_WORDS: dict[tuple[str | None, str], dict[str, Any]] = {}


def _chip_words() -> dict[str, Any]:
    """What every chip of a page repeats, translated and reversed once for the page (the
    participant page has some sixty chips, its events' calling form_chips in turn)."""
    key = (get_language(), get_script_prefix())
    cached = _CHIP_WORDS.get(key)
    if cached is None:
        cached = _CHIP_WORDS[key] = {
            "edit": _pattern("crf_edit", 4),
            # Escaped once here, written as they are into each chip.
            "later": _e(_("This form arrives in a later release")),
            "invalid": _e(_("signature invalid")),
            "broken": _e(_("signature broken")),
            "signed": f'<i class="bi bi-pen text-success" title="{_e(_("Signed"))}"></i>',
            # get_status_display() rebuilds the field's choices on every call.
            "status": {value: _e(label) for value, label in FormState.choices},
        }
    return cached


# By language and URL prefix: the words are the catalogue's, fixed for the life of the process.
_CHIP_WORDS: dict[tuple[str | None, str], dict[str, Any]] = {}
