"""Request middleware: who and from where for the audit trail, and login everywhere."""

from __future__ import annotations

import functools
import ipaddress

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest

from trial.audit import audit_context, audit_origin


@functools.cache
def _proxy_networks(
    proxies: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
    networks = _proxy_networks(tuple(settings.TRUSTED_PROXIES))
    return address is not None and any(address in network for network in networks)


def client_address(request) -> str:
    """The client's address for the audit trail.

    X-Forwarded-For is anyone's to write: it is read only when the connection comes from one
    of settings.TRUSTED_PROXIES (EDC_TRUSTED_PROXIES). Each proxy appends the address it saw,
    so the client is the right-most entry that is not itself a trusted proxy; what lies to its
    left was written by the client and is ignored.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if not _trusted(_ip(remote)):
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for entry in reversed([part for part in forwarded if part]):
        address = _ip(entry)
        if address is None:
            return remote  # not an address: a proxy of ours writes none such
        if not _trusted(address):
            return str(address)
    return remote


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
