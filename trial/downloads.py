"""A finished background job's stored file, answered as a download (the casebook PDFs, the
SDTM package, the DSMB report): one place for reading the bytes and naming the file."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import Http404, HttpResponse


def stored_file(model: type[models.Model], job: Any, done: str, content_type: str) -> HttpResponse:
    """The job's `content` as an attachment named `job.filename`; 404 until its status is
    `done`. The bytes are read only here: the job's pages load it with `content` deferred."""
    if job.status != done:
        raise Http404
    content = model._default_manager.values_list("content", flat=True).get(pk=job.pk)
    response = HttpResponse(bytes(content or b""), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{job.filename}"'
    return response
