"""Pages of the background jobs: the To do list, the profile (reminder e-mails), the reminder
log, and the PDFs (asked for, rendered by a worker, polled with htmx, downloaded)."""

from __future__ import annotations

from typing import cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from trial import actions, downloads, jobs, languages, reminders, roles, selectors
from trial.accounts import has_second_factor
from trial.models import PdfJob, PdfJobStatus, PdfKind, ReminderSent, UserPreference

LOG_PAGE_SIZE = 100


def todo(request) -> HttpResponse:
    """The home page's To do list (loaded by htmx, so the list itself stays fast)."""
    grouped = reminders.todo_for(request.user, selectors.participants_for(request.user))
    return render(request, "trial/_todo.html", {"todo": sorted(grouped.items())})


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm w-auto"}),
    )

    def __init__(self, *args, site_language: str, **kwargs):
        super().__init__(*args, **kwargs)
        names = dict(settings.LANGUAGES)
        from_site = _("From my site (%(language)s)") % {"language": names[site_language]}
        cast(forms.ChoiceField, self.fields["language"]).choices = [
            ("", from_site),
            *settings.LANGUAGES,
        ]


@require_http_methods(["GET", "POST"])
def profile(request) -> HttpResponse:
    user = request.user
    site_language = languages.site_language_of(user)
    if request.method == "POST" and "language" in request.POST:
        form = LanguageForm(request.POST, site_language=site_language)
        if form.is_valid():
            actions.set_language(user, form.cleaned_data["language"])
            # The next page, and this message, in the new language.
            translation.activate(languages.remember(request, user))
            messages.success(request, _("Language saved."))
            return redirect("profile")
    elif request.method == "POST":
        enabled = request.POST.get("email_reminders") == "on"
        actions.set_email_reminders(user, enabled)
        messages.success(
            request,
            _("Reminder e-mails turned on.") if enabled else _("Reminder e-mails turned off."),
        )
        return redirect("profile")
    else:
        chosen = UserPreference.objects.filter(user=user).values_list("language", flat=True)
        form = LanguageForm(initial={"language": chosen.first() or ""}, site_language=site_language)
    return render(
        request,
        "trial/profile.html",
        {
            "email_reminders": reminders.email_enabled(user),
            "second_factor": has_second_factor(user),
            "language_form": form,
        },
    )


def reminder_log(request) -> HttpResponse:
    """Every reminder sent: for data managers."""
    if not roles.has_any(request.user, roles.SYSTEM_AUDIT):
        raise Http404
    sent = ReminderSent.objects.select_related("participant", "recipient").order_by(
        "-sent_at", "-pk"
    )
    query = request.GET.get("q", "").strip()
    if query:
        sent = sent.filter(participant__code__icontains=query)
    page = Paginator(sent, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "trial/reminder_log.html", {"page": page, "query": query})


# --- PDFs -------------------------------------------------------------------------------


class PdfRequestForm(forms.Form):
    """What the PDF buttons post: read as typed values (a NUL or a word where a number goes
    would otherwise reach the database or int())."""

    code = forms.CharField(max_length=50, required=False)
    event = forms.CharField(max_length=50, required=False)
    form = forms.CharField(max_length=50, required=False)
    repeat = forms.IntegerField(min_value=1, max_value=10**6, required=False)


def _job_or_404(request, pk: int) -> PdfJob:
    job = PdfJob.objects.filter(pk=pk).defer("content").select_related("participant").first()
    if job is None:
        raise Http404
    if job.participant_id is not None:
        if not selectors.participants_for(request.user).filter(pk=job.participant_id).exists():
            raise Http404
    elif job.requested_by_id != request.user.pk:
        raise Http404
    return job


@require_http_methods(["POST"])
def pdf_request(request, kind: str) -> HttpResponse:
    if kind not in PdfKind.values:
        raise Http404
    asked = PdfRequestForm(request.POST)
    if not asked.is_valid():
        raise Http404  # no page of ours posts this: no such participant or form
    what = asked.cleaned_data
    participant = row = None
    if kind in (PdfKind.CASEBOOK, PdfKind.FORM):
        participant = selectors.participant_or_404(request.user, what["code"])
    if kind == PdfKind.FORM:
        assert participant is not None
        row = selectors.form_status_or_404(
            participant, what["event"], what["form"], what["repeat"] or 1
        )
    try:
        job = actions.request_pdf(request.user, kind, participant=participant, row=row)
    except actions.ActionRefused:
        raise Http404 from None
    return redirect("pdf_job", pk=job.pk)


def pdf_job(request, pk: int) -> HttpResponse:
    """The job's page; htmx polls its status fragment until the PDF is ready or failed."""
    job = _job_or_404(request, pk)
    template = "trial/_pdf_status.html" if request.htmx else "trial/pdf_job.html"
    return render(request, template, {"job": job, "delayed": not jobs.broker_ok()})


def pdf_download(request, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk)
    return downloads.stored_file(PdfJob, job, PdfJobStatus.DONE, "application/pdf")


@require_http_methods(["POST"])
def pdf_retry(request, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk)
    actions.retry_pdf(request.user, job)
    return redirect("pdf_job", pk=job.pk)
