"""Template context of the eligibility pages, shared by the generic CRF view and this app's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext as _

from eligibility import derived, facts, presentation, rules, selectors
from eligibility.actions import refusal
from eligibility.models import Decision
from trial.models import FormStatus, Participant


def crf_context(participant: Participant, row: FormStatus, form: forms.BaseForm) -> dict:
    """Derived values beside the screening forms that have some, with their htmx address."""
    context: dict[str, Any] = {}
    if row.form in derived.DERIVED_FORMS:
        context["derived"] = derived.for_form(row.form, form)
        context["derived_url"] = reverse(
            "eligibility:derived", args=[participant.code, row.event, row.form]
        )
    if row.event == facts.ELIGIBILITY_EVENT:
        context["signoff_url"] = reverse(
            "signature_sign", args=[participant.code, selectors.SIGNATURE_KIND]
        )
    return context


def signoff_page(participant: Participant, row: FormStatus | None) -> dict[str, Any]:
    """What the sign-off decision's page shows (eligibility/_signoff.html): the criteria, the
    result, the computed values, the forms still incomplete, and why a choice is not
    possible."""
    signoff = selectors.signoff_of(participant)
    on = selectors.evaluation_date(participant, signoff)
    facts_ = facts.facts_for(participant, on)
    evaluation = rules.evaluate(facts_)
    incomplete = facts.incomplete_forms(participant)
    failed_codes = ", ".join(c.code for c in evaluation.failed)
    failure_label = _("Sign: I confirm this participant is a screen failure")
    return {
        "title": _("Eligibility criteria and sign-off"),
        "signoff": signoff,
        "evaluation_date": on,
        "evaluation": evaluation,
        "result_text": presentation.RESULT_TEXT[evaluation.result],
        "criteria": presentation.criterion_rows(participant, evaluation),
        "derived_values": derived.for_items(facts_.items),
        "incomplete_forms": presentation.form_links(participant, incomplete),
        "failed_codes": failed_codes,
        "refusals": {
            Decision.ELIGIBLE: refusal(Decision.ELIGIBLE, evaluation, incomplete) or "",
            Decision.SCREEN_FAILURE: refusal(Decision.SCREEN_FAILURE, evaluation, incomplete) or "",
        },
        "choice_labels": {
            Decision.SCREEN_FAILURE: f"{failure_label}: {failed_codes}"
            if failed_codes
            else failure_label
        },
    }
