"""Request middleware: who and from where for the audit trail, and login everywhere."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest
from django.http import HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from trial import actions, languages
from trial.accounts import ACCESS_VERSION, LAST_ACTIVITY, SECOND_FACTOR_PENDING, access_version
from trial.addresses import client_address
from trial.audit import audit_context, audit_origin
from trial.models import AuthEventKind


class AuditContextMiddleware:
    """Every row event written while serving a request carries the page and client address.

    The actions a view calls each open their own audit context (user, reason) from this
    origin. The admin site writes users, sites and roles without actions, so its requests get
    one context of their own.
    """

    ADMIN_PREFIX = "/admin/"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD"):
            return self.get_response(request)
        values = {"url": request.path, "client_address": client_address(request)}
        with audit_origin(**values):
            if not request.path.startswith(self.ADMIN_PREFIX):
                return self.get_response(request)
            user = getattr(request, "user", None)
            with audit_context(user if user is not None and user.is_authenticated else None):
                return self.get_response(request)


class UserLanguageMiddleware:
    """A logged-in person reads the EDC in their language (trial/languages.py): their choice,
    else their site's; and in their site's time zone. Both were resolved into the session at
    login (and again when they change), so a page costs no query for them. Without a login
    (the login page), LocaleMiddleware's choice from the browser's Accept-Language stands."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        language = request.session.get(languages.SESSION_KEY)
        if language not in languages.available():
            # A session from before languages were stored: resolved once.
            language = languages.remember(request, user)
        zone = request.session.get(languages.SESSION_ZONE)
        if not zone:
            zone = languages.site_zone_of(user)
            request.session[languages.SESSION_ZONE] = zone
        previous = translation.get_language()
        translation.activate(language)
        # Site time: the reader's site's zone, unless a participant's page activates theirs.
        timezone.activate(zone)
        request.LANGUAGE_CODE = language
        try:
            response = self.get_response(request)
        finally:
            # The thread goes back to the browser's language (LocaleMiddleware's): what runs
            # after this request in the thread is not served in this person's language.
            translation.activate(previous)
            timezone.deactivate()
        response.headers["Content-Language"] = language
        return response


class LoginRequiredMiddleware:
    """Every page needs a login except the login page itself and static files."""

    OPEN_PREFIXES = (
        "/accounts/login/",
        "/accounts/session/",
        "/accessibility/",
        "/static/",
        "/healthz",
        "/favicon.ico",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated or request.path.startswith(self.OPEN_PREFIXES):
            return self.get_response(request)
        if request.headers.get("HX-Request"):
            # A page's live panel, its session over: the page decides (static/edc.js), rather
            # than the login page being swapped into the panel.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
            return response
        return redirect_to_login(request.get_full_path())


# Sent by the page's own timers (the PDF status poll, the session check): not the user's doing.
BACKGROUND_HEADER = "HTTP_X_EDC_BACKGROUND"
# A page view writes the session at most once a minute (a post always): a page costs no write
# of its own, and the page's timer asks the server before it warns (static/edc.js).
_TOUCH_EVERY = 60


def idle_seconds_left(request) -> float:
    last = request.session.get(LAST_ACTIVITY)
    if last is None:
        return float(settings.SESSION_IDLE_TIMEOUT)
    return settings.SESSION_IDLE_TIMEOUT - (time.time() - last)


class IdleTimeoutMiddleware:
    """A session ends after settings.SESSION_IDLE_TIMEOUT seconds without a request of the
    user's (30 minutes): the next request is logged out and sent to the login page, and the
    end is appended to the authentication log. Requests marked as background (polls) do not
    count as activity. The page warns before the end (static/edc.js)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated:
            return self.get_response(request)
        now = time.time()
        last = request.session.get(LAST_ACTIVITY)
        if last is not None and now - last > settings.SESSION_IDLE_TIMEOUT:
            return self._expire(request)
        background = request.META.get(BACKGROUND_HEADER) == "1"
        every = min(_TOUCH_EVERY, settings.SESSION_IDLE_TIMEOUT / 60)
        # At most once a minute, a save included: a session write is three queries, and the
        # idle clock lagging a minute behind a 30-minute limit changes nothing.
        if last is None or (not background and now - last >= every):
            request.session[LAST_ACTIVITY] = now
        return self.get_response(request)

    def _expire(self, request):
        user = request.user
        actions.log_auth_event(
            AuthEventKind.SESSION_EXPIRED, user.get_username(), user=user, request=request
        )
        request.edc_session_expired = True  # the logout signal logs no LOGOUT on top
        logout(request)
        minutes = max(1, round(settings.SESSION_IDLE_TIMEOUT / 60))
        messages.warning(
            request,
            ngettext(
                "Your session ended after %(minutes)s minute without activity. Log in again.",
                "Your session ended after %(minutes)s minutes without activity. Log in again.",
                minutes,
            )
            % {"minutes": minutes},
        )
        login_url = resolve_url(settings.LOGIN_URL)
        if request.path == login_url or request.path.startswith("/accounts/session/"):
            return self.get_response(request)
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = login_url
            return response
        return redirect_to_login(request.get_full_path())


class AccessStampMiddleware:
    """A session ends with its right: when the account's access stamp moved on since the
    login (locked, deactivated, its roles or sites changed, its password or second factor
    reset by an administrator), the next request is logged out and sent to the login page,
    which refuses a locked, deactivated or role-less account. The stamp comes with the user
    (the authentication backend joins it), so this costs no query; a deactivated account is
    not even loaded (the backend refuses it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated:
            return self.get_response(request)
        current = access_version(request.user)
        seen = request.session.get(ACCESS_VERSION)
        if seen is None:
            # A session from before the stamps: it starts from now.
            request.session[ACCESS_VERSION] = current
        elif seen != current:
            return self._end(request)
        return self.get_response(request)

    def _end(self, request):
        user = request.user
        actions.log_auth_event(
            AuthEventKind.SESSION_ENDED, user.get_username(), user=user, request=request
        )
        request.edc_session_expired = True  # the logout signal logs no LOGOUT on top
        logout(request)
        messages.warning(request, _("Your session ended: your account was changed. Log in again."))
        login_url = resolve_url(settings.LOGIN_URL)
        if request.path == login_url or request.path.startswith("/accounts/session/"):
            return self.get_response(request)
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = login_url
            return response
        return redirect_to_login(request.get_full_path())


class SecondFactorMiddleware:
    """A login waiting for its second factor reaches only the code page (or the set-up page,
    when a second factor is required and none is set up), logging out, and static files."""

    OPEN_PREFIXES = (
        "/accounts/2fa/",
        "/accounts/logout/",
        "/accounts/login/",
        "/accounts/session/",
        "/accessibility/",
        "/static/",
        "/healthz",
        "/favicon.ico",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated or request.path.startswith(self.OPEN_PREFIXES):
            return self.get_response(request)
        step = request.session.get(SECOND_FACTOR_PENDING)
        if step is None:
            return self.get_response(request)
        target = reverse("otp_verify" if step == "verify" else "otp_setup")
        target += "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return redirect(target)


class NoNulInQueryStringMiddleware:
    """A query string holding a NUL character is no link of ours: 400, before a view passes
    it to PostgreSQL, whose text cannot hold one (a server error otherwise). Forms refuse NUL
    in what they read, with a message next to the field."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                raise BadRequest("NUL character in the query string")
        return self.get_response(request)
