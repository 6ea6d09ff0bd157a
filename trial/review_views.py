"""The audit-trail review page: filters, review flags as queues, keyset pages, and marking
entries reviewed with a comment."""

from __future__ import annotations

from datetime import UTC

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from trial import actions, review, roles, schedule
from trial import crf as crf_registry
from trial.bad_requests import BadParameter
from trial.forms import date_entry
from trial.languages import shown_moment
from trial.readable import record_label


def audit_review(request) -> HttpResponse:
    if not roles.has_any(request.user, review.REVIEWERS):
        raise Http404
    # The changes committed since the last filing are on this page (trial/ledger.py).
    actions.file_review_ledger()
    filters = review.Filters.from_query(request.GET)
    entries = review.entries_for(request.user, filters)
    try:
        after = review.Cursor.parse(request.GET.get("after", ""))
        before = review.Cursor.parse(request.GET.get("before", ""))
    except ValueError:
        raise BadParameter(
            _("This page link is damaged: go back to the first page of the review.")
        ) from None
    page = review.page(entries, after=after, before=before, last=request.GET.get("last") == "1")
    sites = list(review.reviewer_sites(request.user))
    zones = {s.pk: s.time_zone for s in sites}
    base = urlencode(filters.as_params())
    return render(
        request,
        "trial/audit_review.html",
        {
            "filters": filters,
            "date_entry": date_entry(),
            "page": page,
            "rows": mark_safe(
                "".join(
                    _row(line)
                    for line in review.lines(
                        page.entries, zones, {site.pk: site.code for site in sites}
                    )
                )
            ),
            "sites": sites,
            "forms": [
                (review.PARTICIPANT, _("Participant (registration, status, dates, lock)")),
                *sorted(
                    ((code, schedule.form_label(code)) for code in schedule.FORMS),
                    key=lambda pair: pair[1],
                ),
            ],
            "kinds": [(k, label) for k, (label, _l) in review.KINDS.items()],
            "flags": [(k, label) for k, (label, _l) in review.FLAGS.items()],
            "reviewed_choices": list(review.REVIEWED.items()),
            "base": base,
            "here": request.get_full_path(),
            "data_manager": roles.has_any(request.user, roles.ALL_SITES),
        },
        # A filter no page of ours sends: the page, its message beside the filter.
        status=400 if filters.errors else 200,
    )


@require_POST
def audit_review_mark(request) -> HttpResponse:
    if not roles.has_any(request.user, review.REVIEWERS):
        raise Http404
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("audit_review")
    try:
        ids = [int(pk) for pk in request.POST.getlist("entry")]
        count = actions.mark_reviewed(request.user, ids, comment=request.POST.get("comment", ""))
    except ValueError:
        messages.error(request, _("No such audit entry."))
    except actions.ActionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("%(count)s entries marked reviewed.") % {"count": count})
    return redirect(back)


def _value(text: str | None) -> str:
    return "∅" if text is None else Truncator(text).chars(80)


def _group_label(e) -> str:
    """The item group of a form's entry, or the record an entry is about, by its label."""
    if e.kind == "group":
        spec = crf_registry.get(e.form)
        group = next((g for g in spec.groups if g.name == e.grp), None) if spec else None
        return str(group.label or group.name) if group is not None else e.grp
    return record_label(e.grp)


def _kind_label(label: str) -> str:
    """A login-log entry with no item: its kind of event by its label."""
    kind = review.KINDS.get(label)
    return str(kind[0]) if kind is not None else label


def _row(line: review.Line) -> SafeString:
    """One entry as a table row, built in Python: fifty rows of a dozen cells each cost a
    Django template several times what format_html does, and the page must answer in
    150 ms at any depth of the trail."""
    e = line.entry
    site = e.site.code if e.site else "—"
    who = f"{site} · {e.participant.code}" if e.participant else site
    form: str
    if e.form:
        # The visit and the form by their labels; their codes stay in data attributes.
        event = schedule.EVENTS_BY_CODE.get(e.event)
        form = format_html(
            '<span data-event="{}" data-form="{}">{} / {}{}</span>',
            e.event,
            e.form,
            event.label if event is not None else e.event,
            schedule.form_label(e.form),
            f" #{e.repeat}" if e.repeat and e.repeat > 1 else "",
        )
    elif e.kind == review.PARTICIPANT:
        form = _("Participant")
    else:
        form = _("Login log") if e.kind == "auth" else record_label(e.kind)
    group = format_html(
        '<div class="text-muted" data-group="{}" data-key="{}">{}{}</div>',
        e.grp,
        e.grp_key,
        _group_label(e),
        # A record's key is its row id, of no use to a reader; a group row's names it.
        f" [{e.grp_key}]" if e.grp_key and e.kind == "group" else "",
    )
    item = format_html(
        '<span data-item="{}">{}</span>', e.item, line.item_label or _kind_label(e.label)
    )
    old = (
        mark_safe('<span class="text-muted">—</span>')
        if e.label == "insert"
        else _value(line.old_value)
    )
    new = (
        format_html('<span class="badge text-bg-danger">{}</span>', _("deleted"))
        if e.label == "delete"
        else _value(line.new_value)
    )
    reason = format_html(
        "{}{}{}",
        line.reason,
        format_html(
            '<div class="text-muted text-break" data-origin="{}">{}</div>',
            line.origin_code,
            Truncator(line.origin).chars(80),
        )
        if line.origin
        else "",
        format_html(
            '<div class="text-muted font-monospace" title="{}">{}</div>',
            _("Client address"),
            line.address,
        )
        if line.address
        else "",
    )
    flags = format_html_join(
        "", '<span class="badge text-bg-warning me-1">{}</span>', ((f,) for f in line.flags)
    )
    reviews = format_html_join(
        "",
        '<div data-testid="review-mark">✓ {} · {}{}</div>',
        (
            (
                r.reviewer.get_username(),
                shown_moment(r.at, line.local.tzinfo),
                format_html(": <em>{}</em>", r.comment) if r.comment else "",
            )
            for r in line.reviews
        ),
    )
    return format_html(
        '<tr data-entry="{id}" data-label="{label}">'
        '<td><input class="form-check-input" type="checkbox" name="entry" value="{id}" '
        'aria-label="{select} {id}"></td>'
        '<td class="text-nowrap"><time datetime="{utc}" title="{utc_title}">{local}</time>'
        "</td><td>{user}</td><td>{who}</td><td>{form}{group}</td><td>{item}</td>"
        '<td class="font-monospace text-break">{old}</td>'
        '<td class="font-monospace text-break">{new}</td><td>{reason}</td><td>{flags}</td>'
        "<td>{reviews}</td></tr>",
        id=e.id,
        label=e.label,
        select=_("Select entry"),
        utc=e.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        utc_title=e.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),  # as `when` says it
        # Site time, the zone named, in the reader's style ("06/12/2026 14:05 CET").
        local=shown_moment(e.at, line.local.tzinfo),
        user=e.username or _("system"),
        who=who,
        form=form,
        group=group if e.grp and e.kind != review.PARTICIPANT else "",
        item=item,
        old=old,
        new=new,
        reason=reason,
        flags=flags,
        reviews=reviews,
    )
