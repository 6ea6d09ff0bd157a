"""The repeated parts of the participant list and page, built in Python: a list row per
participant, a chip per form of the timeline.

Fifty rows or chips of a dozen tags each cost a Django template several times what
format_html does (a variable lookup walks the context stack, an {% url %} reverses the
pattern), and these pages must answer in 15 ms; the templates keep everything else. URLs are
reversed once per page, with a placeholder filled in per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from django.template.defaultfilters import date as date_filter
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from trial import crf as crf_registry
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


def list_rows(rows: Iterable[tuple[Participant, Any]]) -> SafeString:
    """The participant list's rows: each participant with its journey summary, open queries,
    signatures to sign again and lock."""
    detail = _pattern("participant_detail", 1)
    overdue_label = _("Overdue")
    # Each status's label translated once per page: get_status_display() rebuilds the
    # field's choices on every call, which cost more than the rest of a row.
    status_labels = {value: str(label) for value, label in ParticipantStatus.choices}
    locked = format_html(
        '<span class="badge text-bg-secondary"><i class="bi bi-lock"></i> {}</span>', _("Locked")
    )
    html = []
    for p, summary in rows:
        flags = []
        if summary.overdue:
            flags.append(format_html('<span class="badge text-bg-danger">{}</span>', overdue_label))
        for signature, verdict in p.signatures_to_redo:
            flags.append(
                format_html(
                    '<span class="badge text-bg-danger" data-testid="signature-flag" '
                    'data-kind="{}" data-state="{}"><i class="bi bi-exclamation-octagon"></i> '
                    "{}</span>",
                    signature.kind,
                    verdict.state,
                    _("Signature invalid") if verdict.is_invalid else _("Signature broken"),
                )
            )
        if p.locked_at:
            flags.append(locked)
        html.append(
            format_html(
                '<tr class="{}"><td><a href="{}" class="fw-semibold">{}</a></td><td>{}</td>'
                '<td>{}</td><td>{}</td><td>{}</td><td data-testid="open-queries">{}</td>'
                "<td>{}</td></tr>",
                "table-danger" if summary.overdue else "",
                _fill(detail, p.code),
                p.code,
                p.site.code,
                status_labels.get(p.status, p.status),
                summary.current,
                date_filter(summary.next_due, "SHORT_DATE_FORMAT") or "—",
                format_html('<span class="badge text-bg-danger">{}</span>', p.open_queries)
                if p.open_queries
                else "—",
                mark_safe(" ".join(flags)),
            )
        )
    return mark_safe("\n".join(html))


def form_chips(participant: Participant, rows: Iterable[FormStatus]) -> SafeString:
    """An event's form chips on the participant page: each form's status, lock and signature
    verdict, a link to the form (or a plain chip for a form not available yet)."""
    words = _chip_words()
    edit = words["edit"]
    html = []
    for row in rows:
        if crf_registry.get(row.form) is None:
            html.append(
                format_html(
                    '<span class="form-chip status-unavailable" data-form="{}" title="{}">{}'
                    "</span>",
                    row.form,
                    words["later"],
                    row.label,
                )
            )
            continue
        verdict = getattr(row, "signature_verdict", None)
        signature = ""
        if verdict:
            if verdict.needs_signing:
                mark = format_html(
                    '<i class="bi bi-exclamation-octagon text-danger"></i> {}',
                    words["invalid"] if verdict.is_invalid else words["broken"],
                )
            else:
                mark = words["signed"]
            signature = format_html(
                ' <span data-testid="chip-signature" data-state="{}">{}</span>', verdict.state, mark
            )
        html.append(
            format_html(
                '<a class="form-chip status-{}{}" data-form="{}" data-status="{}"{} href="{}">'
                "{} · {}{}{}</a>",
                row.status,
                " signature-broken" if verdict and verdict.needs_signing else "",
                row.form,
                row.status,
                format_html(' data-signature="{}"', verdict.state) if verdict else "",
                _fill(edit, participant.code, row.event, row.form, row.repeat),
                row.label,
                words["status"].get(row.status, row.status),
                _LOCK if row.is_locked else "",
                signature,
            )
        )
    return mark_safe("\n".join(html))


_LOCK = mark_safe(' <i class="bi bi-lock"></i>')


def _chip_words() -> dict[str, Any]:
    """What every chip of a page repeats, translated and reversed once for the page (the
    participant page has some sixty chips, its events' calling form_chips in turn)."""
    key = (get_language(), get_script_prefix())
    cached = _CHIP_WORDS.get(key)
    if cached is None:
        cached = _CHIP_WORDS[key] = {
            "edit": _pattern("crf_edit", 4),
            "later": _("This form arrives in a later release"),
            "invalid": _("signature invalid"),
            "broken": _("signature broken"),
            "signed": format_html('<i class="bi bi-pen text-success" title="{}"></i>', _("Signed")),
            # get_status_display() rebuilds the field's choices on every call.
            "status": {value: str(label) for value, label in FormState.choices},
        }
    return cached


# By language and URL prefix: the words are the catalogue's, fixed for the life of the process.
_CHIP_WORDS: dict[tuple[str | None, str], dict[str, Any]] = {}
