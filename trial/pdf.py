"""PDFs rendered with WeasyPrint from HTML templates with print CSS (templates/pdf/).

- `form_pdf(row)`: one filled form: participant code, event, every item with its unit, the
  status, item groups as tables, and the signature manifestations of 21 CFR 11.50 (printed
  name, date and time, meaning) with each signature's verification (trial.signatures.verify).
- `casebook_pdf(participant)`: cover page, table of contents with page numbers (CSS
  target-counter), PDF bookmarks (bookmark-level), every form in journey order, the charts
  the other apps provide (trial.registry "pdf_sections"), the signatures, and an appendix
  with the audit trail (trial.history). Archived as PDF/A-3b with the participant's data
  attached: the snapshot as JSON, and the participant's ODM 1.3.2 Transactional file.
- `blank_book_pdf()`: every registered form empty, for paper back-up during an outage.

Every page: A4, a header with the trial number and the participant code, a footer with
"page n of N" and the generation time; DejaVu fonts (French accents).

`run_job(job_id)` renders a PdfJob for the Celery task trial.tasks.render_pdf.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import OperationalError
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from trial import actions, history, languages, registry, schedule, selectors, signatures
from trial import crf as crf_registry
from trial.exports import odm
from trial.exports.common import resolve_scope
from trial.models import (
    FormState,
    FormStatus,
    Participant,
    PdfJob,
    PdfKind,
    Signature,
)

log = logging.getLogger(__name__)

Progress = Callable[[int], None]


def _no_progress(percent: int) -> None:
    return None


@dataclass(frozen=True)
class Section:
    """What an app adds to the casebook (a chart): a title and trusted HTML or inline SVG."""

    title: str
    html: str


@dataclass(frozen=True)
class Rendered:
    content: bytes
    pages: int
    filename: str


@dataclass
class Item:
    label: str
    value: str
    unit: str = ""
    empty: bool = False
    choices: list[str] = field(default_factory=list)


@dataclass
class GroupTable:
    label: str
    columns: list[tuple[str, str]]  # (label, unit)
    rows: list[tuple[str, list[str]]]  # (repeat key, values)


@dataclass
class SignatureLine:
    kind: str
    name: str
    at: str
    meaning: str
    state: str
    verification: str


@dataclass
class FormBlock:
    anchor: str
    event_code: str
    event_label: str
    form_code: str
    form_label: str
    repeat: int
    status: str
    entered: bool
    locked: bool = False
    sdv: bool = False
    items: list[Item] = field(default_factory=list)
    groups: list[GroupTable] = field(default_factory=list)
    signatures: list[SignatureLine] = field(default_factory=list)


# --- Building blocks ------------------------------------------------------------------


def _zone(participant: Participant | None) -> ZoneInfo:
    return ZoneInfo(participant.site.time_zone if participant else settings.TIME_ZONE)


def _local(value: datetime, zone: ZoneInfo) -> str:
    return languages.shown_moment(value, zone)


def _text(model_field: Any, value: Any, zone: ZoneInfo) -> tuple[str, bool]:
    if isinstance(value, datetime):
        return _local(value, zone), False
    if isinstance(value, date):
        return languages.shown_date(value), False
    text, empty = history.display(model_field, value)
    return ("—" if empty else text), empty


def _units(spec: crf_registry.Crf) -> dict[str, str]:
    """The unit of each of the form's own items, entered or derived."""
    return {f.name: spec.unit(f.name) for f in spec.item_fields if spec.unit(f.name)}


def _group_table(group: crf_registry.ItemGroup, participant: Any, rows: list) -> GroupTable:
    """A group's table: its rows and items named as on the form (L1 (segment II), Left
    kidney, 4 h), each column with its unit."""
    naming = group.naming(participant)
    return GroupTable(
        str(group.label or group.name),
        [(naming.bare_item(f.name), str(group.units.get(f.name, ""))) for f in group.item_fields],
        [(naming.row(key), values) for key, values in rows],
    )


def _label(model_field: Any) -> str:
    label = str(model_field.verbose_name)
    return label[:1].upper() + label[1:]


def _change_kind(kind: str) -> str:
    """A row change of an item group (trial.history: added, removed, changed), as printed."""
    return {"added": _("added"), "removed": _("removed"), "changed": _("changed")}.get(kind, kind)


def _event_label(code: str) -> str:
    event = schedule.EVENTS_BY_CODE.get(code)
    return event.label if event else _("Log") if code == schedule.LOG_EVENT else code


def signature_lines(found: list[Signature], zone: ZoneInfo) -> list[SignatureLine]:
    """The 21 CFR 11.50 manifestation of each signature, with its verification now."""
    lines = []
    for signature in found:
        verdict = signatures.verify(signature)
        if verdict.is_valid:
            verification = _("Verified: seal and signed content intact")
        elif verdict.is_broken:
            changed = ", ".join(sorted(verdict.changes or {})) or "—"
            verification = _("Broken on %(at)s: the signed data changed (%(what)s)") % {
                "at": _local(verdict.broken_at, zone) if verdict.broken_at else "—",
                "what": changed,
            }
        else:
            verification = _("INVALID: %(fault)s") % {"fault": verdict.fault}
        signable = signatures.get(signature.kind)
        lines.append(
            SignatureLine(
                kind=str(signable.label) if signable and signable.label else signature.kind,
                name=signature.signer_name,
                at=_local(signature.signed_at, zone),
                meaning=signature.meaning,
                state=verdict.state,
                verification=verification,
            )
        )
    return lines


def _covering(
    row: FormStatus, current: dict[str, Signature], *, casebook: bool = True
) -> list[Signature]:
    """The current signatures that vouch for this form (the casebook's too, unless the
    casebook prints it once in its own section)."""
    found = []
    for signature in current.values():
        signable = signatures.get(signature.kind)
        if signature.row_id == row.pk or (
            signable is not None
            and not signable.per_row
            and signature.kind != signatures.CASEBOOK
            and signable.covers(row)
        ):
            found.append(signature)
    return sorted(found, key=lambda s: s.signed_at)


def form_block(
    row: FormStatus,
    values: dict[str, Any] | None,
    zone: ZoneInfo,
    found: Sequence[Signature] = (),
) -> FormBlock:
    spec = crf_registry.get(row.form)
    block = FormBlock(
        anchor=f"f-{row.event}-{row.form}-{row.repeat}".replace("_", "-"),
        event_code=row.event,
        event_label=_event_label(row.event),
        form_code=row.form,
        form_label=schedule.form_label(row.form),
        repeat=row.repeat,
        status=str(FormState(row.status).label),
        entered=values is not None,
        locked=row.locked_at is not None,
        sdv=row.sdv_at is not None,
        signatures=signature_lines(list(found), zone),
    )
    if spec is None or values is None:
        return block
    units = _units(spec)
    for model_field in spec.item_fields:
        text, empty = _text(model_field, values.get(model_field.name), zone)
        block.items.append(Item(_label(model_field), text, units.get(model_field.name, ""), empty))
    for group in spec.groups:
        fields = group.item_fields
        rows = []
        for key, items in sorted(
            values.get(group.name, {}).items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 0
        ):
            rows.append((key, [_text(f, items.get(f.name), zone)[0] for f in fields]))
        block.groups.append(_group_table(group, row.participant, rows))
    return block


def journey_order(participant: Participant, rows: list[FormStatus]) -> list[FormStatus]:
    """The rows in the order of the participant's journey, then the logs (AE, CM)."""
    events = [p.code for p in participant.plan()]
    rank = {code: i for i, code in enumerate(events)}
    form_rank = {(e.code, form): i for e in schedule.EVENTS for i, form in enumerate(e.forms)}
    log_rank = {form: i for i, form in enumerate(schedule.LOG_FORMS)}
    visible = [r for r in rows if r.status != FormState.DELETED]

    def key(row: FormStatus) -> tuple:
        if row.event == schedule.LOG_EVENT:
            return (len(rank) + 1, log_rank.get(row.form, 99), row.repeat)
        return (
            rank.get(row.event, len(rank)),
            form_rank.get((row.event, row.form), 99),
            row.repeat,
        )

    return sorted(visible, key=key)


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _page_context(code: str, zone: ZoneInfo, now: datetime) -> dict[str, Any]:
    return {
        "trial": settings.TRIAL_NUMBER,
        "code": code,
        "LANGUAGE_CODE": translation.get_language() or settings.LANGUAGE_CODE,
        "header": _css_string(f"{settings.TRIAL_NUMBER} · {code}"),
        "generated": _css_string(_("Generated %(at)s") % {"at": _local(now, zone)}),
        "page_of": (_css_string(_("Page")), _css_string(_("of"))),
        "generated_at": _local(now, zone),
    }


def _write(html: str, **options: Any) -> tuple[bytes, int]:
    # WeasyPrint loads Pango and its fonts (about half a second): only where a PDF is made.
    from weasyprint import HTML

    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render()
    return document.write_pdf(**options), len(document.pages)


def document(html: str):
    """The laid-out WeasyPrint document (tests read its text when no PDF reader is installed)."""
    # WeasyPrint loads Pango and its fonts (about half a second): only where a PDF is made.
    from weasyprint import HTML

    return HTML(string=html, base_url=str(settings.BASE_DIR)).render()


# --- The three PDFs -------------------------------------------------------------------


def form_html(row: FormStatus, *, now: datetime | None = None) -> str:
    participant = row.participant
    zone = _zone(participant)
    now = now or timezone.now()
    entered = row.status != FormState.NOT_STARTED
    values = crf_registry.snapshot([row]).get(row.pk) if entered else None
    current = selectors.current_signatures(participant)
    block = form_block(row, values if entered else None, zone, _covering(row, current))
    return render_to_string(
        "pdf/form.html",
        {**_page_context(participant.code, zone, now), "participant": participant, "b": block},
    )


def form_pdf(row: FormStatus, *, progress: Progress = _no_progress) -> Rendered:
    html = form_html(row)
    progress(40)
    content, pages = _write(html)
    name = f"{row.participant.code}_{row.event}_{row.form}_{row.repeat}.pdf"
    return Rendered(content, pages, name)


def snapshot_payload(participant: Participant, rows: list[FormStatus], now: datetime) -> dict:
    """The participant's data as attached to the archive copy (JSON)."""
    values = crf_registry.snapshot([r for r in rows if r.status != FormState.NOT_STARTED])
    return signatures.normalise(
        {
            "format": "edc-casebook-snapshot/1",
            "trial": settings.TRIAL_NUMBER,
            "participant": participant.code,
            "site": participant.site.code,
            "status": participant.status,
            "generated_at": now,
            "forms": [
                {
                    "event": r.event,
                    "form": r.form,
                    "repeat": r.repeat,
                    "status": r.status,
                    "values": values.get(r.pk),
                }
                for r in rows
            ],
        }
    )


def odm_transactional(participant: Participant) -> bytes:
    """The participant's ODM 1.3.2 Transactional file (trial.exports): the archive copy
    carries its own machine-readable audit trail."""
    return b"".join(odm.transactional(resolve_scope(participant=participant.code)))


def audit_appendix(rows: list[FormStatus], zone: ZoneInfo) -> list[dict[str, Any]]:
    """Each entered form's audit trail: status changes, then item values, then group rows."""
    appendix = []
    for row in rows:
        if row.status == FormState.NOT_STARTED:
            continue
        spec = crf_registry.get(row.form)
        entries = [
            (_local(e.at, zone), _("Form"), e.value, e.who, e.reason)
            for e in history.status_history(row)
        ]
        if spec is not None:
            unchanged: dict[tuple[str, str], int] = {}
            for item in history.form_history(row, spec.model, _units(spec)):
                if len(item.entries) == 1 and item.entries[0].current:
                    # Entered once and never changed: its value is the one printed in the form
                    # section; one line per save says who entered those items, and when.
                    e = item.entries[0]
                    key = (_local(e.at, zone), e.who)
                    unchanged[key] = unchanged.get(key, 0) + 1
                    continue
                for e in item.entries:
                    entries.append((_local(e.at, zone), item.label, e.value, e.who, e.reason))
            for (at, who), count in unchanged.items():
                entries.append(
                    (
                        at,
                        ngettext("%(n)d item", "%(n)d items", count) % {"n": count},
                        _("entered, unchanged since (values as in the form)"),
                        who,
                        "",
                    )
                )
            for group in history.group_history(row, spec):
                for change in group.entries:
                    text = "; ".join(
                        f"{label}: {old} → {new}" for label, old, new in change.changes
                    )
                    entries.append(
                        (
                            _local(change.at, zone),
                            f"{group.label} · {change.name} {_change_kind(change.kind)}",
                            text,
                            change.who,
                            change.reason,
                        )
                    )
        entries.sort(key=lambda e: e[0])
        appendix.append(
            {
                "title": f"{_event_label(row.event)} · {schedule.form_label(row.form)}"
                + (f" #{row.repeat}" if row.event == schedule.LOG_EVENT else ""),
                "entries": entries,
            }
        )
    return appendix


def casebook_html(
    participant: Participant, *, now: datetime | None = None, progress: Progress = _no_progress
) -> tuple[str, dict, list[FormStatus]]:
    zone = _zone(participant)
    now = now or timezone.now()
    rows = journey_order(participant, list(participant.forms.all()))
    entered = [r for r in rows if r.status != FormState.NOT_STARTED]
    values = crf_registry.snapshot(entered)
    current = selectors.current_signatures(participant)
    blocks = [
        form_block(
            r,
            values.get(r.pk, {}) if r.status != FormState.NOT_STARTED else None,
            zone,
            _covering(r, current, casebook=False),
        )
        for r in rows
    ]
    progress(20)
    charts: list[Section] = []
    for provider in registry.pdf_section_providers():
        charts += list(provider(participant, rows))
    appendix = audit_appendix(rows, zone)
    progress(35)
    html = render_to_string(
        "pdf/casebook.html",
        {
            **_page_context(participant.code, zone, now),
            "participant": participant,
            "blocks": blocks,
            "charts": charts,
            "signatures": signature_lines(
                sorted(current.values(), key=lambda s: s.signed_at), zone
            ),
            "appendix": appendix,
        },
    )
    return html, snapshot_payload(participant, rows, now), rows


def casebook_pdf(participant: Participant, *, progress: Progress = _no_progress) -> Rendered:
    # WeasyPrint loads Pango and its fonts (about half a second): only where a PDF is made.
    from weasyprint import HTML, Attachment

    html, payload, _rows = casebook_html(participant, progress=progress)
    code = participant.code
    attachments = [
        Attachment(
            string=json.dumps(payload, ensure_ascii=False, indent=1),
            name=f"{code}_casebook-data.json",
            description=_("Participant data of the casebook (JSON snapshot)"),
            relationship="Data",
        )
    ]
    transactional = odm_transactional(participant)
    if transactional is not None:
        attachments.append(
            Attachment(
                string=transactional.decode("utf-8"),
                name=f"{code}_odm-transactional.xml",
                description=_("CDISC ODM 1.3.2 Transactional file"),
                relationship="Data",
            )
        )
    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render()
    progress(80)
    content = document.write_pdf(pdf_variant="pdf/a-3b", attachments=attachments)
    return Rendered(content, len(document.pages), f"{code}_casebook.pdf")


def blank_html(*, now: datetime | None = None) -> str:
    zone = ZoneInfo(settings.TIME_ZONE)
    now = now or timezone.now()
    forms = []
    for code in schedule.FORMS:
        spec = crf_registry.get(code)
        if spec is None:
            continue
        units = _units(spec)
        items = []
        for f in spec.item_fields:
            choices = [str(c[1]) for c in f.flatchoices] if f.choices else []
            if not choices and f.get_internal_type() == "BooleanField":
                choices = [_("Yes"), _("No")]
            items.append(Item(_label(f), "", units.get(f.name, ""), True, choices))
        groups = [
            _group_table(
                g,
                None,
                [(str(n), ["" for _f in g.item_fields]) for n in range(1, (g.max_rows or 5) + 1)][
                    : max(g.min_rows, 5)
                ],
            )
            for g in spec.groups
        ]
        events = [e.label for e in schedule.EVENTS if code in e.forms] or [_("Log")]
        forms.append(
            {
                "code": code,
                "label": schedule.form_label(code),
                "events": events,
                "items": items,
                "groups": groups,
                "anchor": f"f-{code}".replace("_", "-"),
            }
        )
    return render_to_string(
        "pdf/blank.html", {**_page_context("_______", zone, now), "forms": forms}
    )


def blank_book_pdf(*, progress: Progress = _no_progress) -> Rendered:
    html = blank_html()
    progress(30)
    content, pages = _write(html)
    return Rendered(content, pages, f"{settings.TRIAL_NUMBER}_blank-CRF-book.pdf")


# --- The job ----------------------------------------------------------------------------


def render_for(job: PdfJob, progress: Progress) -> Rendered:
    if job.kind == PdfKind.FORM:
        assert job.row_id is not None  # a form job names its form
        row = FormStatus.objects.select_related("participant__site").get(pk=job.row_id)
        return form_pdf(row, progress=progress)
    if job.kind == PdfKind.CASEBOOK:
        assert job.participant_id is not None  # a casebook job names its participant
        participant = Participant.objects.select_related("site").get(pk=job.participant_id)
        return casebook_pdf(participant, progress=progress)
    return blank_book_pdf(progress=progress)


def run_job(job_id: int) -> str:
    """Render the job once. A finished job is left alone (a redelivered task does nothing);
    a failure is recorded on the job for the page to show, and it may be asked again."""
    job = actions.start_pdf_job(job_id)
    if job is None:
        return "nothing to do"

    def progress(percent: int) -> None:
        actions.pdf_progress(job_id, percent)

    started = time.perf_counter()
    try:
        # In the language of the person who asked for it (trial/languages.py).
        with translation.override(languages.language_for_id(job.requested_by_id)):
            rendered = render_for(job, progress)
    except OperationalError:
        # The database went away: let the task retry with back-off.
        actions.pdf_requeued(job_id)
        raise
    except Exception as exc:  # noqa: BLE001 - shown to the user, who may ask again
        log.exception("PDF job %s failed", job_id)
        actions.pdf_failed(job_id, f"{type(exc).__name__}: {exc}")
        return "failed"
    actions.pdf_done(
        job_id, content=rendered.content, filename=rendered.filename, pages=rendered.pages
    )
    log.info(
        "PDF job %s: %d pages in %.1f s", job_id, rendered.pages, time.perf_counter() - started
    )
    return "done"


# --- The roles-over-time report (trial/roles_report.py) ----------------------------------


def roles_pdf(rows: list[Any], *, sites: str, now: datetime | None = None) -> bytes:
    """The roles-over-time report as a PDF for an inspection: per site, who held which role
    when, who assigned it and why."""
    zone = ZoneInfo(settings.TIME_ZONE)
    now = now or timezone.now()
    title = _("Roles over time")
    html = render_to_string(
        "pdf/roles.html",
        {**_page_context(title, zone, now), "rows": rows, "sites": sites, "title": title},
    )
    content, _pages = _write(html)
    return content
