"""Walk the pages a user reaches by GET: from the home page and the menu, breadth-first, one
page per kind of URL (a CRF page per form, one history, one query...), as the given client.

What is never followed: downloads, the jobs that build a file (PDF, DSMB report, SDTM
package), POST-only actions (lock, unlock, delete, retry, marks), logout and the session's
polls, and the JSON searches. Links are read from <a href> and from what htmx loads with the
page (hx-get with hx-trigger="load"); a URL's query string does not
make it a kind of its own."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.test import Client
from django.urls import Resolver404, resolve

NOT_FOLLOWED = re.compile(
    r"/(download|retry|delete|lock|unlock|session|logout|mark|progress)/"
    r"|^/pdf/|^/oversight/dsmb/|^/submission/|/ctcae/|^/healthz|^/favicon|^/static/|^/media/"
    r"|\.(csv|zip|pdf|xml|json|xpt)$"
)
# Pages a role may reach that answer a redirect by design (the home of a role with no
# clinical data sends it to its own page).
REDIRECTS_ALLOWED = (301, 302, 303)


def page_kind(path: str) -> tuple:
    """One page per kind: a CRF page per form, one history, one query..."""
    try:
        match = resolve(path)
    except Resolver404:
        return (path, None, None)
    kwargs = match.kwargs
    return (match.view_name, kwargs.get("form"), kwargs.get("kind"))


def links(html: str) -> list[str]:
    """The local links of a page, with their query string (some pages need theirs)."""
    found = []
    # <a href>, and what htmx loads into the page when it loads (hx-get, hx-trigger="load").
    hrefs = re.findall(r'<a\b[^>]*?\bhref="([^"#]*)', html)
    hrefs += re.findall(r'<\w+\b[^>]*?\bhx-get="([^"#]*)"[^>]*?\bhx-trigger="load"', html)
    for href in hrefs:
        parts = urlsplit(href.replace("&amp;", "&"))
        if not parts.scheme and not parts.netloc and parts.path.startswith("/"):
            found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


@dataclass
class Walk:
    pages: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def walk(client: Client, seeds: list[str], budget: int = 200) -> Walk:
    """GET each seed (each must answer 200), then every page linked from what was read,
    breadth-first, one page per kind, until nothing new is left or `budget` pages are read.
    A link that answers neither 200 nor a redirect is a problem (a link the role is shown
    but may not follow)."""
    result = Walk()
    seen: set[tuple] = set()
    queue: list[tuple[str, str]] = [(url, "") for url in seeds]
    forced = set(seeds)
    while queue and len(result.pages) < budget:
        url, origin = queue.pop(0)
        path = urlsplit(url).path
        if url in result.pages or NOT_FOLLOWED.search(path):
            continue
        kind = page_kind(path)
        if kind in seen and url not in forced:
            continue
        seen.add(kind)
        response = client.get(url)
        if response.status_code in REDIRECTS_ALLOWED and url not in forced:
            continue
        if response.status_code != 200:
            result.problems.append(
                f"{url} (linked from {origin or 'the seeds'}): {response.status_code}"
            )
            continue
        if "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        result.pages[url] = html
        queue += [(link, url) for link in links(html)]
    return result
