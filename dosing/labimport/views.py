"""Pages of the lab import: the upload, a participant's approval queue, and the sites' CSV
columns. Thin: access, a form, an action; refusals shown on the page with what was typed."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from dosing.labimport import actions, history, queue, report
from dosing.labimport.csv import Columns
from dosing.labimport.forms import CsvColumnsForm, IdentifierForm, ReasonForm, UploadForm
from dosing.labimport.models import SiteCsvColumns
from dosing.labimport.words import FLAG_LABELS
from trial import roles, selectors
from trial.actions import ActionRefused


def _can_import(user: Any) -> bool:
    return roles.has_any(user, actions.IMPORT_ROLES)


@require_http_methods(["GET", "POST"])
def lab_upload(request) -> HttpResponse:
    """Upload a lab file: its results queued for approval, or every problem listed."""
    if not _can_import(request.user):
        raise Http404
    sites = selectors.visible_sites(request.user)
    form = UploadForm(request.POST or None, request.FILES or None, sites=sites)
    outcome = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            outcome = actions.import_file(
                request.user,
                upload.name,
                upload.read(),
                site=form.cleaned_data["site"],
                dry_run=form.cleaned_data["dry_run"],
            )
        except ActionRefused as refusal:
            form.add_error(None, str(refusal))
    return render(
        request,
        "dosing/labimport/upload.html",
        {
            "form": form,
            "outcome": outcome,
            "summary": report.summary(outcome) if outcome else "",
            "flag_labels": FLAG_LABELS,
        },
    )


def _ids(values: list[str]) -> list[int]:
    """Value ids as posted; a token that is not one is an id no queue has."""
    ids = []
    for value in values:
        ids.append(int(value) if value.isascii() and value.isdigit() and len(value) < 12 else -1)
    return ids


def _versions(post: Any) -> dict[int, int]:
    versions = {}
    for key, value in post.items():
        if key.startswith("version-"):
            row, version = _ids([key.removeprefix("version-"), value])
            versions[row] = version
    return versions


@require_http_methods(["GET", "POST"])
def lab_queue(request, code: str) -> HttpResponse:
    """A participant's imported lab values: approve (one, or a panel), reject with a reason,
    choose the panel; and the participant's hospital identifiers."""
    participant = selectors.participant_or_404(request.user, code)
    timezone.activate(participant.site.time_zone)
    can_decide = roles.can_enter_data(request.user) and participant.locked_at is None
    can_link = roles.has_any(request.user, actions.LINK_ROLES)
    failed: dict[str, Any] = {}
    if request.method == "POST":
        what = request.POST.get("action", "")
        if what in ("approve", "reject", "choose") and not roles.can_enter_data(request.user):
            raise Http404
        if what in ("link", "unlink") and not can_link:
            raise Http404
        try:
            done = _act(request, participant, what, failed)
        except ActionRefused as refusal:
            failed.setdefault("key", request.POST.get("key", ""))
            failed["error"] = str(refusal)
            failed["needs_confirmation"] = isinstance(refusal, actions.NeedsConfirmation)
        else:
            if done:
                messages.success(request, done)
                return redirect("dosing:lab_queue", code=participant.code)
    found = queue.participant_queue(participant)
    identifier_form = IdentifierForm(
        request.POST if failed.get("key") == "link" else None, prefix="link"
    )
    return render(
        request,
        "dosing/labimport/queue.html",
        {
            "participant": participant,
            "queue": found,
            "can_decide": can_decide,
            "can_link": can_link,
            "failed": failed,
            "posted": request.POST if failed else {},
            "flag_labels": FLAG_LABELS,
            "identifiers": list(participant.hospital_identifiers.order_by("system", "value")),
            "identifier_form": identifier_form,
            "history": history.participant_history(participant),
        },
        status=200,
    )


def _act(request, participant, what: str, failed: dict) -> str:
    """Run the posted action; the message to show once done ("" when nothing was asked)."""
    post = request.POST
    user = request.user
    ids = _ids(post.getlist("value"))
    if what == "approve":
        rows = actions.approve(
            user,
            participant,
            ids,
            confirmed=bool(post.get("confirm")),
            versions=_versions(post),
        )
        return ngettext(
            "%(count)s value approved into %(panels)s.",
            "%(count)s values approved into %(panels)s.",
            len(ids),
        ) % {"count": len(ids), "panels": ", ".join(_panel_label(row) for row in rows)}
    if what == "reject":
        form = ReasonForm(post)
        if not form.is_valid():
            raise ActionRefused(_("Give a reason for rejecting."))
        count = actions.reject(user, participant, ids, reason=form.cleaned_data["reason"])
        return ngettext("%(count)s value rejected.", "%(count)s values rejected.", count) % {
            "count": count
        }
    if what == "choose":
        row_id = _ids([post.get("row", "")])[0] if post.get("row") else None
        row = None
        if row_id is not None:
            row = next((r for r in queue.lab_rows(participant) if r.pk == row_id), None)
            if row is None:
                raise ActionRefused(_("Choose one of this participant's lab panels."))
        actions.choose_panel(user, participant, ids, row)
        if row is None:
            return _("The panel is again the one of the sample date's window.")
        return _("Panel chosen: %(panel)s") % {"panel": _panel_label(row)}
    if what == "link":
        failed["key"] = "link"
        link = IdentifierForm(post, prefix="link")
        if not link.is_valid():
            raise ActionRefused(_("Give the identifier system and the identifier."))
        actions.add_identifier(
            user, participant, link.cleaned_data["system"], link.cleaned_data["value"]
        )
        return _("Hospital identifier added")
    if what == "unlink":
        form = ReasonForm(post)
        if not form.is_valid():
            raise ActionRefused(_("Give a reason for removing the identifier."))
        actions.remove_identifier(
            user,
            participant,
            _ids([post.get("identifier", "")])[0],
            reason=form.cleaned_data["reason"],
        )
        return _("Hospital identifier removed")
    raise ActionRefused(_("Nothing was asked."))


def _panel_label(row) -> str:
    return queue.row_label(row)


@require_GET
def lab_waiting(request, code: str) -> HttpResponse:
    """How many values wait in the participant's queue (the participant page's card, htmx)."""
    participant = selectors.participant_or_404(request.user, code)
    count = queue.pending_counts([participant.pk]).get(participant.pk, 0)
    return render(request, "dosing/labimport/_waiting.html", {"lab_pending": count})


@require_http_methods(["GET", "POST"])
def lab_settings(request) -> HttpResponse:
    """Each site's CSV columns (data managers)."""
    if not roles.has_any(request.user, {roles.DATA_MANAGER}):
        raise Http404
    sites = list(selectors.visible_sites(request.user))
    code = request.GET.get("site", "")
    site = next((s for s in sites if s.code == code), None)
    if code and site is None:
        raise Http404
    form = None
    if site is not None:
        instance = SiteCsvColumns.objects.filter(site=site).first()
        initial = {} if instance else _default_columns()
        form = CsvColumnsForm(request.POST or None, instance=instance, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                values = {name: form.cleaned_data[name] for name in actions.CSV_FIELDS}
                actions.save_csv_columns(request.user, site, values)
            except ActionRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, _("CSV columns of %(site)s saved.") % {"site": site.code})
                return redirect(f"{reverse('dosing:lab_settings')}?site={site.code}")
    columns = {c.site_id: c for c in SiteCsvColumns.objects.filter(site__in=sites)}
    return render(
        request,
        "dosing/labimport/settings.html",
        {
            "sites": [(s, columns.get(s.pk)) for s in sites],
            "site": site,
            "form": form,
            "default": _default_columns(),
        },
    )


def _default_columns() -> dict[str, str]:
    default = Columns()
    return {name: getattr(default, name) for name in actions.CSV_FIELDS if hasattr(default, name)}
