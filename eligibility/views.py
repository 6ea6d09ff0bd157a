"""Pages of the eligibility app: the investigator's sign-off and the live derived values."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from eligibility import actions, derived, facts, pages, selectors
from eligibility.forms import SignoffDecisionForm
from trial import actions as trial_actions
from trial import crf as crf_registry
from trial import selectors as trial_selectors


@require_http_methods(["GET", "POST"])
def signoff(request, code: str) -> HttpResponse:
    participant = trial_selectors.participant_or_404(request.user, code)
    timezone.activate(participant.site.time_zone)
    row = trial_selectors.form_status_or_404(
        participant, facts.ELIGIBILITY_EVENT, selectors.SIGNOFF_FORM, 1
    )
    form = SignoffDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.sign_eligibility(
                request.user,
                form.cleaned_data["password"],
                participant,
                decision=form.cleaned_data["decision"],
            )
        except trial_actions.WrongPassword as refused:
            form.add_error("password", str(refused) or _("This password is not right."))
        except trial_actions.ActionRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("Eligibility signed for %(code)s.") % {"code": code})
            return redirect("participant_detail", code=participant.code)
    return render(request, "eligibility/signoff.html", pages.signoff_page(participant, row, form))


@require_POST
def derived_values(request, code: str, event: str, form: str) -> HttpResponse:
    """The derived-values panel for what is typed so far; nothing is saved."""
    participant = trial_selectors.participant_or_404(request.user, code)
    timezone.activate(participant.site.time_zone)
    spec = crf_registry.get(form)
    if spec is None or form not in derived.DERIVED_FORMS:
        raise Http404
    row = trial_selectors.form_status_or_404(participant, event, form, 1)
    bound = crf_registry.bind(row, participant, request.POST, complete=False, spec=spec)
    return render(
        request,
        "eligibility/crf_form.html#derived",
        {"derived": derived.for_form(form, bound)},
    )
