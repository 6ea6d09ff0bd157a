"""Pages of the imaging app: the study view. (The gate decision is signed on the one signing
page of every decision, trial.views.signature_sign.)"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render

from imaging import pages
from trial import roles
from trial import selectors as trial_selectors

STUDY_ROLES = {roles.INVESTIGATOR, roles.DATA_MANAGER}


def study(request) -> HttpResponse:
    """Every participant's patient ratio, the IAH slots and the organ ratios: investigators
    and data managers only (others get a 404)."""
    if not roles.has_any(request.user, STUDY_ROLES):
        raise Http404
    participants = trial_selectors.participants_for(request.user)
    return render(request, "imaging/study.html", pages.study_page(participants))
