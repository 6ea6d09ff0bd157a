"""Pages of the eligibility app: the live derived values. (The sign-off is signed on the one
signing page of every decision, trial.views.signature_sign.)"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from eligibility import derived
from trial import crf as crf_registry
from trial import selectors as trial_selectors


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
