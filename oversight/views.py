"""The study oversight page (monitors: their sites; data managers: every site), the
participants behind each figure, and the DSMB report job (asked for here, rendered by a
worker, its progress polled with htmx, then downloaded)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from oversight import actions, endpoints, report, risk
from oversight.models import ReportJob, ReportJobStatus
from trial import downloads, jobs
from trial.actions import ActionRefused
from trial.addresses import client_address
from trial.forms import DateInput
from trial.languages import shown_date


class CutoffForm(forms.Form):
    cutoff = forms.DateField(
        label=gettext_lazy("Data cut-off"),
        widget=DateInput(attrs={"class": "form-control form-control-sm"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The example in the reader's style: 2026-06-30 in English, 30/06/2026 in French.
        self.fields["cutoff"].error_messages["invalid"] = _(
            "Enter a date, such as %(example)s."
        ) % {"example": shown_date(date(2026, 6, 30))}

    def clean_cutoff(self):
        day = self.cleaned_data["cutoff"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The data cut-off cannot be in the future."))
        return day


def _oversee_or_404(request) -> report.Scope:
    if not report.may_oversee(request.user):
        raise Http404
    return report.scope_for(request.user)


def page(request) -> HttpResponse:
    scope = _oversee_or_404(request)
    return _page(request, scope, CutoffForm(initial={"cutoff": timezone.localdate()}))


def _page(request, scope: report.Scope, form: CutoffForm, status: int = 200) -> HttpResponse:
    context = report.context(scope, timezone.localdate())
    context["cutoff_form"] = form
    return render(request, "oversight/page.html", context, status=status)


def behind(request) -> HttpResponse:
    """The participants behind one figure: ?indicator=<key>&site=<code>, or ?step=<key> of
    the screening funnel."""
    scope = _oversee_or_404(request)
    key = request.GET.get("indicator", "")
    step = request.GET.get("step", "")
    site = request.GET.get("site", "")
    if key and key not in risk.SPECS_BY_KEY or step and step not in endpoints.FUNNEL_LABELS:
        raise Http404
    if not key and not step:
        raise Http404
    context = report.context(scope, timezone.localdate())
    if site and site not in context["sites"]:
        raise Http404
    if key:
        title = risk.LABELS[key]
        codes = risk.behind(context["study"], key, site, context["limits"])
    else:
        title = endpoints.FUNNEL_LABELS[step]
        codes = next(s.participants for s in context["funnel"] if s.key == step)
    return render(
        request,
        "oversight/behind.html",
        {"title": title, "site": site or context["scope_label"], "codes": codes},
    )


@require_http_methods(["POST"])
def report_request(request) -> HttpResponse:
    scope = _oversee_or_404(request)
    form = CutoffForm(request.POST)
    if not form.is_valid():
        # The page again, with the date as typed and the reason beside it.
        return _page(request, scope, form, status=400)
    try:
        job = actions.request_report(
            request.user, form.cleaned_data["cutoff"], client_address=client_address(request)
        )
    except ActionRefused as refused:
        form.add_error("cutoff", str(refused))
        return _page(request, scope, form, status=400)
    return redirect("oversight:report_job", pk=job.pk)


def _job_or_404(request, pk: int) -> ReportJob:
    _oversee_or_404(request)
    job = ReportJob.objects.filter(pk=pk, requested_by=request.user).defer("content").first()
    if job is None:
        raise Http404
    return job


def report_job(request, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk)
    template = "oversight/_report_status.html" if request.htmx else "oversight/report_job.html"
    return render(request, template, {"job": job, "delayed": not jobs.broker_ok()})


def report_download(request, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk)
    return downloads.stored_file(ReportJob, job, ReportJobStatus.DONE, "application/pdf")


@require_http_methods(["POST"])
def report_retry(request, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk)
    actions.retry_report(request.user, job)
    return redirect("oversight:report_job", pk=job.pk)
