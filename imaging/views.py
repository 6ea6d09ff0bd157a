"""Pages of the imaging app: the gate signature and the study view."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from imaging import actions, pages, selectors
from imaging.forms import GateSignForm
from trial import actions as trial_actions
from trial import roles
from trial import selectors as trial_selectors

STUDY_ROLES = {roles.INVESTIGATOR, roles.DATA_MANAGER}


@require_http_methods(["GET", "POST"])
def gate_sign(request, code: str) -> HttpResponse:
    participant = trial_selectors.participant_or_404(request.user, code)
    timezone.activate(participant.site.time_zone)
    row = trial_selectors.form_status_or_404(
        participant, selectors.GATE_EVENT, selectors.GATE_FORM, 1
    )
    form = GateSignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.sign_gate(
                request.user,
                form.cleaned_data["password"],
                participant,
                form.cleaned_data["decision"],
                form.cleaned_data.get("reason", ""),
            )
        except trial_actions.WrongPassword as refused:
            form.add_error("password", str(refused) or _("This password is not right."))
        except trial_actions.ActionRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("Gate decision signed for %(code)s.") % {"code": code})
            return redirect("participant_detail", code=participant.code)
    return render(request, "imaging/gate.html", pages.gate_page(participant, row, form))


def study(request) -> HttpResponse:
    """Every participant's patient ratio, the IAH slots and the organ ratios: investigators
    and data managers only (others get a 404)."""
    if not roles.has_any(request.user, STUDY_ROLES):
        raise Http404
    participants = trial_selectors.participants_for(request.user)
    return render(request, "imaging/study.html", pages.study_page(participants))
