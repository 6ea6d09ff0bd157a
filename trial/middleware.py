"""Request middleware: who and from where for the audit trail, and login everywhere."""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import connection


def client_address(request) -> str:
    # Behind the production proxy the client is the first X-Forwarded-For entry.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and settings.PRODUCTION:
        return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "")


class AuditContextMiddleware:
    """Every row event written while serving a request carries the user, page and address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "GET" or request.method == "HEAD":
            return self.get_response(request)
        user = getattr(request, "user", None)
        values = {"url": request.path, "client_address": client_address(request)}
        if user is not None and user.is_authenticated:
            values["user"] = user._meta.pk.get_db_prep_value(user.pk, connection)
            values["username"] = user.get_username()
        with pghistory.context(**values):
            return self.get_response(request)


class LoginRequiredMiddleware:
    """Every page needs a login except the login page itself and static files."""

    OPEN_PREFIXES = ("/accounts/login/", "/static/", "/healthz")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated or request.path.startswith(self.OPEN_PREFIXES):
            return self.get_response(request)
        return redirect_to_login(request.get_full_path())
