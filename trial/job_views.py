"""Pages of the background jobs: the To do list, the profile (reminder e-mails), the reminder
log, and the PDFs (asked for, rendered by a worker, polled with htmx, downloaded)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from trial import actions, reminders, roles, selectors
from trial.models import ReminderSent

LOG_PAGE_SIZE = 100


def todo(request) -> HttpResponse:
    """The home page's To do list (loaded by htmx, so the list itself stays fast)."""
    grouped = reminders.todo_for(request.user, selectors.participants_for(request.user))
    return render(request, "trial/_todo.html", {"todo": sorted(grouped.items())})


@require_http_methods(["GET", "POST"])
def profile(request) -> HttpResponse:
    if request.method == "POST":
        enabled = request.POST.get("email_reminders") == "on"
        actions.set_email_reminders(request.user, enabled)
        messages.success(
            request,
            _("Reminder e-mails turned on.") if enabled else _("Reminder e-mails turned off."),
        )
        return redirect("profile")
    return render(
        request,
        "trial/profile.html",
        {"email_reminders": reminders.email_enabled(request.user)},
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
