"""Template context of the eligibility pages, shared by the generic CRF view and this app's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse

from eligibility import derived, facts, presentation, rules, selectors
from eligibility.actions import refusal
from eligibility.forms import SignoffDecisionForm
from eligibility.models import Decision
from trial import roles
from trial.forms import summary_context
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
        context["signoff_url"] = reverse("eligibility:signoff", args=[participant.code])
    return context


def signoff_page(
    participant: Participant, row: FormStatus, sign_form: SignoffDecisionForm | None = None
) -> dict[str, Any]:
    """The sign-off page: criteria, result, derived values, the signature and the sign form."""
    signoff = selectors.signoff_of(participant)
    on = selectors.evaluation_date(participant, signoff)
    facts_ = facts.facts_for(participant, on)
    evaluation = rules.evaluate(facts_)
    signature = selectors.current_signature(participant)
    incomplete = facts.incomplete_forms(participant)
    return {
        "participant": participant,
        "row": row,
        "signoff": signoff,
        "evaluation_date": on,
        "evaluation": evaluation,
        "result_text": presentation.RESULT_TEXT[evaluation.result],
        "criteria": presentation.criterion_rows(participant, evaluation),
        "derived_values": derived.for_items(facts_.items),
        "signature": signature,
        "signed": signature is not None and signature.is_valid,
        "sign_form": sign_form or SignoffDecisionForm(),
        "signer_role": roles.INVESTIGATOR,
        "eligible_refusal": refusal(Decision.ELIGIBLE, evaluation, incomplete),
        "failure_refusal": refusal(Decision.SCREEN_FAILURE, evaluation, incomplete),
        "incomplete_forms": presentation.form_links(participant, incomplete),
        "failed_codes": ", ".join(c.code for c in evaluation.failed),
        **summary_context(sign_form),
    }


def signoff_slot_context(participant: Participant, row: FormStatus, form: forms.BaseForm) -> dict:
    return signoff_page(participant, row)
