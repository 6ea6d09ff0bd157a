"""The client's address for the audit trail, from a request (behind trusted proxies only)."""

from __future__ import annotations

import functools
import ipaddress
from typing import Any

from django.conf import settings


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


def client_address(request: Any) -> str:
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
