"""Account pages: the administrator's list of locked accounts (and lifting a lock early), the
idle session's check and keep-alive (static/edc.js), and the second factor (TOTP): the code
page of a login, and setting up an authenticator app."""

from __future__ import annotations

from base64 import b32encode

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from trial import actions, roles, selectors
from trial.accounts import SECOND_FACTOR_PENDING, LoginForm, has_second_factor
from trial.middleware import idle_seconds_left
from trial.models import AuthEventKind


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


@require_http_methods(["POST"])
def session_reauth(request) -> HttpResponse:
    """The password again, after an idle session ended on a page holding what the user typed
    (static/edc.js: a dialog of that page). A login like the login page's (lockout, the log,
    the second factor's code when the account has one), answered in JSON: the page then sends
    its form with the new session's CSRF token. Nothing of the form reaches the server before."""
    form = LoginForm(request, data=request.POST)
    if not form.is_valid():
        errors = [str(e) for e in form.non_field_errors()] or [_("Type your password.")]
        return JsonResponse({"error": " ".join(errors)}, status=400)
    user = form.get_user()
    auth_login(request, user)
    step = request.session.get(SECOND_FACTOR_PENDING)
    if step == "verify":
        token = request.POST.get("token", "").strip()
        device = actions.verify_second_factor(user, token) if token else None
        if device is None:
            if token:
                actions.record_failure(
                    AuthEventKind.OTP_FAILED, user.get_username(), user=user, request=request
                )
            logout(request)
            error = _("Type the 6-digit code of your authenticator app.")
            if token:
                error = _("This code is not right, or no longer valid. Try the next one.")
            return JsonResponse({"error": error, "needs_code": True}, status=400)
        _complete_login(request, device)
    elif step is not None:
        # An app to set up first: that takes the set-up page, not a dialog.
        logout(request)
        return JsonResponse(
            {"error": _("Log in again on the login page to set up your authenticator app.")},
            status=400,
        )
    # The "session ended, log in again" notice queued by the end of the session is spent:
    # the user is back on their page, not on the login page it was meant for.
    list(messages.get_messages(request))
    return JsonResponse({"csrf": get_token(request), "remaining": settings.SESSION_IDLE_TIMEOUT})


# --- The second factor (TOTP) -------------------------------------------------------------


class CodeForm(forms.Form):
    token = forms.RegexField(
        label=gettext_lazy("6-digit code from your authenticator app"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": gettext_lazy("Type the 6 digits the app shows.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    # A path of ours only: redirect() would read a bare word ("0") as a URL name to reverse.
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _complete_login(request, device) -> None:
    """The right code: the login is complete (a new session key for the raised privilege)."""
    otp_login(request, device)
    request.session.pop(SECOND_FACTOR_PENDING, None)
    request.session.cycle_key()
    user = request.user
    actions.log_auth_event(
        AuthEventKind.LOGIN, user.get_username(), user=user, request=request, detail="TOTP"
    )


def _wrong_code(request, form: CodeForm) -> HttpResponse | None:
    """A wrong code of a pending login counts as a failed login; the fifth locks the account
    and ends the session. Returns the redirection then, else None (the form says why)."""
    user = request.user
    until = actions.record_failure(
        AuthEventKind.OTP_FAILED, user.get_username(), user=user, request=request
    )
    if until is not None:
        logout(request)
        messages.error(request, actions.locked_message(until))
        return redirect("login")
    form.add_error("token", _("This code is not right, or no longer valid. Try the next one."))
    return None


def _locked_out(request) -> HttpResponse | None:
    until = selectors.locked_until(request.user.get_username())
    if until is None:
        return None
    logout(request)
    messages.error(request, actions.locked_message(until))
    return redirect("login")


@require_http_methods(["GET", "POST"])
def otp_verify(request) -> HttpResponse:
    if request.session.get(SECOND_FACTOR_PENDING) != "verify":
        return redirect(_next_url(request))
    if (refused := _locked_out(request)) is not None:
        return refused
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = actions.verify_second_factor(request.user, form.cleaned_data["token"])
        if device is not None:
            _complete_login(request, device)
            return redirect(_next_url(request))
        if (refused := _wrong_code(request, form)) is not None:
            return refused
    return render(
        request, "registration/otp_verify.html", {"form": form, "next": _next_url(request)}
    )


# The key offered at set-up, kept in the session until a code proves the app has it: looking at
# the set-up page writes nothing to the database.
SETUP_KEY = "edc_totp_setup_key"


def _setup_device(request):
    """The device being set up, not saved: the session's key for this user."""
    key = request.session.get(SETUP_KEY)
    if not key:
        key = request.session[SETUP_KEY] = default_key()
    return TOTPDevice(user=request.user, key=key, name=_("Authenticator app"), confirmed=True)


@require_http_methods(["GET", "POST"])
def otp_setup(request) -> HttpResponse:
    """Set up an authenticator app: scan the QR code (or type the key), then give a code."""
    step = request.session.get(SECOND_FACTOR_PENDING)
    if has_second_factor(request.user):
        # A login pending its code must not replace the app it has to prove.
        if step == "verify":
            return redirect("otp_verify")
        messages.info(request, _("Your authenticator app is already set up."))
        return redirect("profile")
    if step is not None and (refused := _locked_out(request)) is not None:
        return refused
    device = _setup_device(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if actions.enrol_second_factor(
            request.user, device, form.cleaned_data["token"], request=request
        ):
            request.session.pop(SETUP_KEY, None)
            if step is not None:
                _complete_login(request, device)
            else:
                otp_login(request, device)
            messages.success(request, _("Your authenticator app is set up."))
            return redirect(_next_url(request) if step is not None else "profile")
        if step is not None:
            if (refused := _wrong_code(request, form)) is not None:
                return refused
        else:
            form.add_error("token", _("This code is not right. Try the next one."))
    qr = segno.make(device.config_url, micro=False).svg_inline(scale=4, title=_("QR code"))
    return render(
        request,
        "registration/otp_setup.html",
        {
            "form": form,
            "qr": mark_safe(qr),  # noqa: S308 - SVG made here from the device's own URL
            "secret": b32encode(device.bin_key).decode(),
            "required": step == "enrol",
            "next": _next_url(request),
        },
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change page, saving through trial.actions.change_password (a write
    session: the trail's password change names who changed it, from where)."""

    template_name = "registration/password_change.html"
    success_url = "/profile/"

    def form_valid(self, form):
        actions.change_password(self.request.user, form)
        # The session stays logged in with the new password.
        update_session_auth_hash(self.request, form.user)
        return HttpResponseRedirect(self.get_success_url())
