"""The export page: monitors export their sites' audit trail, data managers every site's, and
the current data as an ODM Snapshot. Downloads are streamed; each export is logged first."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from typing import Any

from django.core.cache import caches
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone

from trial import roles, selectors
from trial.addresses import client_address
from trial.exports import audit_csv, odm
from trial.exports.actions import finish_export, record_export
from trial.exports.common import ExportError, resolve_scope
from trial.models import AuditEntry, ExportKind

EXPORTERS = {roles.MONITOR, roles.DATA_MANAGER}


# The page names its download with a random token, then polls its progress by that token.
TOKEN = re.compile(r"^[A-Za-z0-9]{8,40}$")
PROGRESS_EVERY_S = 0.5


def _progress_key(user: Any, token: str) -> str:
    return f"export-progress:{user.pk}:{token}"


def _set_progress(key: str, value: dict) -> None:
    # Progress is best effort: the download goes on without Redis.
    with contextlib.suppress(Exception):
        caches["progress"].set(key, value)


def _logged(
    chunks: Iterator, log, counter: list[int], progress: tuple[str, int | None]
) -> Iterator:
    key, total = progress
    last = time.monotonic()
    for chunk in chunks:
        yield chunk
        if key and time.monotonic() - last > PROGRESS_EVERY_S:
            last = time.monotonic()
            _set_progress(key, {"rows": counter[0], "total": total, "done": False})
    finish_export(log, counter[0])
    if key:
        _set_progress(key, {"rows": counter[0], "total": total, "done": True})


def _estimate(scope, what: str) -> int | None:
    """About how many rows the download will have: the audit trail's changed items (the
    ledger counts them), or None for the Snapshot."""
    if what == "snapshot":
        return None
    entries = AuditEntry.objects.exclude(kind="auth")
    if scope.participant_ids is not None:
        entries = entries.filter(participant__in=scope.participant_ids)
    return entries.count()


def export_progress(request, token: str) -> HttpResponse:
    """How far the user's download named `token` has got: rows written, of about how many."""
    if not roles.has_any(request.user, EXPORTERS) or not TOKEN.match(token):
        raise Http404
    try:
        value = caches["progress"].get(_progress_key(request.user, token))
    except Exception:  # noqa: BLE001
        value = None
    if value is None:
        raise Http404
    return JsonResponse(value)


def exports(request) -> HttpResponseBase:
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
    token = request.GET.get("token", "")
    progress: tuple[str, int | None] = ("", None)
    if TOKEN.match(token):
        progress = (_progress_key(request.user, token), _estimate(scope, what))
        _set_progress(progress[0], {"rows": 0, "total": progress[1], "done": False})
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    chunks: Iterator[Any]
    if what == "csv":
        chunks, content_type, name = audit_csv.chunks(scope, counter), "text/csv", "audit"
    elif what == "odm":
        chunks, content_type, name = odm.transactional(scope, counter), "application/xml", "audit"
    else:
        chunks, content_type, name = odm.snapshot(scope, counter), "application/xml", "data"
    suffix = "csv" if what == "csv" else "odm.xml"
    response = StreamingHttpResponse(
        _logged(chunks, log, counter, progress), content_type=content_type
    )
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.{suffix}"'
    return response
