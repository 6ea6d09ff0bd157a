"""Request middleware: who and from where for the audit trail, and login everywhere."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login

from trial.audit import audit_context, audit_origin


def client_address(request) -> str:
    # Behind the production proxy the client is the first X-Forwarded-For entry.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and settings.PRODUCTION:
        return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "")


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


class LoginRequiredMiddleware:
    """Every page needs a login except the login page itself and static files."""

    OPEN_PREFIXES = ("/accounts/login/", "/static/", "/healthz")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated or request.path.startswith(self.OPEN_PREFIXES):
            return self.get_response(request)
        return redirect_to_login(request.get_full_path())
