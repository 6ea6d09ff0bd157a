"""Source-data verification pages: verify a form's items (all, or those ticked), and the
site's progress by form and by participant, critical items first."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from trial import actions, roles, sdv, selectors


@require_POST
def sdv_verify(request, code: str, event: str, form: str, repeat: int) -> HttpResponse:
    if not roles.has_any(request.user, roles.VERIFY_SOURCE):
        raise Http404
    participant = selectors.participant_or_404(request.user, code)
    row = selectors.form_status_or_404(participant, event, form, repeat)
    items = None if "verify_all" in request.POST else request.POST.getlist("item")
    if items is not None:
        # A derived value has no checkbox: one posted anyway is not verified.
        items = sdv.verifiable(row, items)
    if items == []:
        messages.error(request, _("Tick the items you verified, or verify the whole form."))
    else:
        try:
            count = actions.verify_items(request.user, row, items)
        except actions.ActionRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("%(count)s item(s) marked verified.") % {"count": count})
    return redirect("crf_edit", code=code, event=event, form=form, repeat=repeat)


def sdv_site(request) -> HttpResponse:
    """Percent verified by form and participant, for the sites in the user's reach."""
    if not roles.has_any(request.user, roles.VERIFY_SOURCE):
        raise Http404
    sites = list(selectors.visible_sites(request.user))
    code = request.GET.get("site") or (sites[0].code if sites else "")
    site = next((s for s in sites if s.code == code), None)
    if site is None:
        raise Http404
    # Progress reads the ledger: the changes committed since its last filing count.
    actions.file_review_ledger()
    participants = list(selectors.participants_for(request.user).filter(site=site).order_by("code"))
    return render(
        request,
        "trial/sdv_site.html",
        {"site": site, "sites": sites, "progress": sdv.site_progress(participants)},
    )
