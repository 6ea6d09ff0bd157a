"""The SDTM package on the exports page: a data manager asks for it, a worker builds it, the
job's page shows the progress (polled with htmx) and then the zip to download."""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from submission import actions
from submission.models import PackageJob, PackageJobStatus
from trial import downloads, jobs, roles
from trial.actions import ActionRefused
from trial.middleware import client_address


class PackageRequestForm(forms.Form):
    site = forms.CharField(max_length=8, required=False)


def _job_or_404(request, pk: int) -> PackageJob:
    if not roles.has_any(request.user, roles.ALL_SITES):
        raise Http404
    job = PackageJob.objects.filter(pk=pk, requested_by=request.user).defer("content").first()
    if job is None:
        raise Http404
    return job


@require_http_methods(["POST"])
def package_request(request) -> HttpResponse:
    if not roles.has_any(request.user, roles.ALL_SITES):
        raise Http404
    asked = PackageRequestForm(request.POST)
    if not asked.is_valid():
        raise Http404  # no page of ours posts this
    try:
        job = actions.request_package(
            request.user, asked.cleaned_data["site"].strip(), client_address=client_address(request)
        )
    except ActionRefused:
        raise Http404 from None
    return redirect("submission:package_job", pk=job.pk)


def package_job(request, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk)
    template = "submission/_package_status.html" if request.htmx else "submission/package_job.html"
    return render(request, template, {"job": job, "delayed": not jobs.broker_ok()})


def package_download(request, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk)
    return downloads.stored_file(PackageJob, job, PackageJobStatus.DONE, "application/zip")


@require_http_methods(["POST"])
def package_retry(request, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk)
    actions.retry_package(request.user, job)
    return redirect("submission:package_job", pk=job.pk)
