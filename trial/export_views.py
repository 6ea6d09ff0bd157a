"""The export page: monitors export their sites' audit trail, data managers every site's, and
the current data as an ODM Snapshot. Downloads are streamed; each export is logged first."""

from __future__ import annotations

from collections.abc import Iterator

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from trial import roles, selectors
from trial.exports import audit_csv, odm
from trial.exports.actions import finish_export, record_export
from trial.exports.common import ExportError, resolve_scope
from trial.middleware import client_address
from trial.models import ExportKind

EXPORTERS = {roles.MONITOR, roles.DATA_MANAGER}


def _logged(chunks: Iterator, log, counter: list[int]) -> Iterator:
    yield from chunks
    finish_export(log, counter[0])


def exports(request) -> HttpResponse:
    if not roles.has_any(request.user, EXPORTERS):
        raise Http404
    what = request.GET.get("format", "")
    if not what:
        return render(
            request,
            "trial/exports.html",
            {
                "sites": selectors.visible_sites(request.user),
                "data_manager": roles.has_any(request.user, roles.ALL_SITES),
            },
        )
    if what not in ("csv", "odm", "snapshot"):
        raise Http404
    if what == "snapshot" and not roles.has_any(request.user, roles.ALL_SITES):
        raise Http404
    try:
        scope = resolve_scope(
            request.user,
            site=request.GET.get("site", "").strip(),
            participant=request.GET.get("participant", "").strip(),
        )
    except ExportError:
        # Unknown, or out of reach: the same answer, so reach does not leak.
        raise Http404("No such site or participant") from None
    kind = {
        "csv": ExportKind.AUDIT_CSV,
        "odm": ExportKind.AUDIT_ODM,
        "snapshot": ExportKind.DATA_ODM,
    }[what]
    log = record_export(
        scope, kind, origin=request.get_full_path(), client_address=client_address(request)
    )
    counter = [0]
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    if what == "csv":
        chunks, content_type, name = audit_csv.chunks(scope, counter), "text/csv", "audit"
    elif what == "odm":
        chunks, content_type, name = odm.transactional(scope, counter), "application/xml", "audit"
    else:
        chunks, content_type, name = odm.snapshot(scope, counter), "application/xml", "data"
    suffix = "csv" if what == "csv" else "odm.xml"
    response = StreamingHttpResponse(_logged(chunks, log, counter), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.{suffix}"'
    return response
