"""Pages of the trial app: participant list, registration, the journey page and CRF editing."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from trial import actions, journey, roles, schedule, selectors
from trial import crf as crf_registry
from trial.forms import ReasonForm, RegisterParticipantForm

PAGE_SIZE = 50


def participant_list(request) -> HttpResponse:
    participants = selectors.participants_for(request.user).order_by("code")
    query = request.GET.get("q", "").strip()
    if query:
        participants = participants.filter(code__icontains=query)
    # Paginate the plain queryset first: counting or sorting an aggregate over every form of
    # the site would cost far more than the 50 rows shown.
    page = Paginator(participants, PAGE_SIZE).get_page(request.GET.get("page"))
    open_events = selectors.open_events_by_participant([p.pk for p in page])
    today = timezone.localdate()
    rows = [(p, journey.summarise(p, open_events.get(p.pk, set()), today)) for p in page]
    return render(
        request,
        "trial/participant_list.html",
        {
            "page": page,
            "rows": rows,
            "query": query,
            "can_register": roles.can_enter_data(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
def participant_register(request) -> HttpResponse:
    if not roles.can_enter_data(request.user):
        raise Http404
    sites = selectors.visible_sites(request.user)
    form = RegisterParticipantForm(request.POST or None, sites=sites)
    if request.method == "POST" and form.is_valid():
        try:
            participant = actions.register_participant(
                request.user, form.cleaned_data["site"], form.cleaned_data["screening_date"]
            )
        except actions.ActionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Participant %(code)s registered.") % {"code": participant})
            return redirect("participant_detail", code=participant.code)
    return render(request, "trial/participant_register.html", {"form": form})


def participant_detail(request, code: str) -> HttpResponse:
    participant = selectors.participant_or_404(request.user, code)
    timezone.activate(participant.site.time_zone)
    rows = list(participant.forms.all())
    today = timezone.localdate()
    events = journey.timeline(participant, rows, today)
    return render(
        request,
        "trial/participant_detail.html",
        {
            "participant": participant,
            "events": events,
            "next": journey.next_action(events),
            "logs": journey.log_rows(rows),
            "log_labels": {code: schedule.FORMS[code] for code in schedule.LOG_FORMS},
            "today": today,
            "can_enter_data": roles.can_enter_data(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
def crf_edit(request, code: str, event: str, form: str, repeat: int = 1) -> HttpResponse:
    participant = selectors.participant_or_404(request.user, code)
    timezone.activate(participant.site.time_zone)
    row = selectors.form_status_or_404(participant, event, form, repeat)
    spec = crf_registry.get(form)
    if spec is None:
        raise Http404("This form is not available yet")
    instance = spec.model.objects.filter(form_status=row).first()
    editable = roles.can_enter_data(request.user) and not (row.is_locked or participant.locked_at)
    complete = "save_draft" not in request.POST
    data_form = spec.form_class(
        request.POST or None,
        instance=instance,
        complete=complete,
        prefix="crf",
        participant=participant,
        row=row,
    )
    needs_reason = row.version > 0
    reason_form = ReasonForm(request.POST or None, prefix="change") if needs_reason else None
    if request.method == "POST":
        if not editable:
            raise Http404
        expected = _int(request.POST.get("version"))
        reason_ok = reason_form is None or reason_form.is_valid()
        if data_form.is_valid() and reason_ok:
            try:
                actions.save_crf(
                    request.user,
                    row,
                    data_form,
                    expected_version=expected,
                    reason=reason_form.text if reason_form else "",
                    complete=complete,
                )
            except actions.ActionRefused as refusal:
                data_form.add_error(None, str(refusal))
            else:
                messages.success(request, _("%(form)s saved.") % {"form": row.label})
                return redirect("participant_detail", code=participant.code)
        version = expected
    else:
        version = row.version
    if not editable:
        for field in data_form.fields.values():
            field.disabled = True
    extra = spec.context(participant, row, data_form) if spec.context else {}
    return render(
        request,
        spec.template,
        {
            **extra,
            "participant": participant,
            "row": row,
            "event": schedule.EVENTS_BY_CODE.get(event),
            "form": data_form,
            "reason_form": reason_form,
            "version": version,
            "editable": editable,
        },
        status=200,
    )


@require_POST
def crf_add_repeat(request, code: str, form: str) -> HttpResponse:
    participant = selectors.participant_or_404(request.user, code)
    try:
        row = actions.add_repeating_form(request.user, participant, form)
    except actions.ActionRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("participant_detail", code=participant.code)
    return redirect("crf_edit", code=code, event=row.event, form=row.form, repeat=row.repeat)


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return -1


def not_found(request, exception=None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request) -> HttpResponse:
    return render(request, "500.html", status=500)


def healthz(request) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
