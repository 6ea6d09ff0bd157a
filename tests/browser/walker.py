"""Every page a person can reach by GET, for each role of the demo: a walk of the links, one
page per kind (a CRF page per form, one history, one query...), done with Django's test client
(fast), for a browser to visit afterwards. The same idea as tests/i18n's French walk, but
following every link of the application, not only a participant's."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from urllib.parse import urlsplit

from django.contrib.auth.models import User
from django.test import Client
from django.urls import Resolver404, resolve

# Never followed: downloads, actions reached by a link (lock, retry...), the JSON and htmx
# fragments, the admin site (Django's own pages).
NOT_FOLLOWED = re.compile(
    r"/(download|retry|delete|lock|unlock|session|logout)/|/pdf/|/ctcae/|^/admin/|^/static/"
    r"|/progress/"
)
# The demo's five roles, by the login of each (README: demo logins).
ROLES = ("nurse", "investigator", "monitor", "datamanager", "admin")
PAGE_BUDGET = 120  # per role; the demo has about 50 kinds of page


def page_key(path: str) -> tuple:
    """Pages of one kind share a key: one CRF page per form, one history per form..."""
    try:
        match = resolve(path)
    except Resolver404:
        return (path, None, None)
    return (match.url_name, match.kwargs.get("form"), match.kwargs.get("kind"))


def links(html: str) -> list[str]:
    """The page's links within the site, with their query (a sign page needs its row)."""
    return [unescape(h) for h in re.findall(r'<a\b[^>]*\bhref="(/[^"#]*)', html)]


def walk(visit: Callable[[str], list[str] | None], start: str = "/") -> list[str]:
    """Breadth first from `start`, one page per kind: `visit(path)` opens the page and returns
    its links, or None when it is no HTML page answering 200. Returns the pages visited."""
    found: list[str] = []
    seen: set = set()
    queue = [start]
    while queue and len(found) < PAGE_BUDGET:
        url = queue.pop(0)
        path = urlsplit(url).path
        if NOT_FOLLOWED.search(path) or page_key(path) in seen:
            continue
        seen.add(page_key(path))
        page_links = visit(url)
        if page_links is None:
            continue
        found.append(url)
        queue += page_links
    return found


def pages_of(user: User, start: str = "/") -> list[str]:
    """The paths `user` reaches from `start` by following links, one per kind, that answer
    200 with HTML, in the order found (Django's test client: no browser)."""
    client = Client()
    client.force_login(user)

    def visit(url: str) -> list[str] | None:
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            return None
        return links(response.content.decode())

    return walk(visit, start)
