"""Account pages: the administrator's list of locked accounts (and lifting a lock early), and
the idle session's check and keep-alive (static/edc.js)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from trial import actions, roles, selectors
from trial.middleware import idle_seconds_left


@require_http_methods(["GET", "POST"])
def account_locks(request) -> HttpResponse:
    if not roles.has_any(request.user, roles.MANAGE_ACCOUNTS):
        raise Http404
    if request.method == "POST":
        username = request.POST.get("username", "")
        try:
            lifted = actions.lift_lock(
                request.user, username, reason=request.POST.get("reason", ""), request=request
            )
        except actions.ActionRefused as refused:
            messages.error(request, str(refused))
        else:
            if lifted is None:
                messages.info(request, _("%(user)s was not locked.") % {"user": username})
            else:
                messages.success(request, _("The lock of %(user)s is lifted.") % {"user": username})
        return redirect("account_locks")
    return render(
        request,
        "trial/account_locks.html",
        {"locks": selectors.current_locks(), "lifts": selectors.recent_lifts()},
    )


@require_http_methods(["GET", "POST"])
def session_status(request) -> HttpResponse:
    """GET (a background check of the page's timer): seconds left before the idle session
    ends, 0 once it has. POST ("Stay logged in"): the user's activity, which the middleware
    has just recorded."""
    if not request.user.is_authenticated:
        if request.method == "POST":
            return JsonResponse({"remaining": 0}, status=403)
        return JsonResponse({"remaining": 0})
    return JsonResponse({"remaining": max(0, int(idle_seconds_left(request)))})
