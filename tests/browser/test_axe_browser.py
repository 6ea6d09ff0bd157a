"""WCAG 2.1 A and AA (RGAA 4.1) on every page, for every role: axe-core in Chromium.

The demo is seeded, then each of its five roles walks every page it reaches by GET (one page
per kind: tests/browser/walker.py), and on each form page also saves once with a wrong value,
so that the page with its errors shown is checked too. One browser, one window per role, each
page visited once. The test fails on any serious or critical violation; the moderate and minor
ones are printed, and every result is written to axe.json in the test's output folder.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from tests.browser import typist
from tests.browser.walker import ROLES, walk
from tests.conftest import DEMO_PARTICIPANTS, DEMO_SEED

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
OPTIONS = {"runOnly": {"type": "tag", "values": WCAG21_AA}, "resultTypes": ["violations"]}
BLOCKING = ("serious", "critical")
# A value no date, time or number box accepts (tests/browser/test_every_form_kind.py).
# The paths the page links to, as the walker follows them (no query, no fragment).
LINKS_JS = """() => Array.from(document.querySelectorAll('a[href^="/"]'))
  .map(a => new URL(a.href).pathname + new URL(a.href).search)"""
WRONG = {"date": "31/02/2026", "datetime": "31/02/2026 25:61", "number": "7,4,1"}


def logged_in(browser, context_args: dict, base: str, user: User):
    """A window of `user`'s own session (a login through the client: no password hashing)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context = browser.new_context(**context_args)
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])
    page = context.new_page()
    page.set_default_timeout(10000)
    return context, page


def show_errors(page) -> bool:
    """Save the page's form once with a wrong value, so that its errors show. False when the
    page has no form to save."""
    if page.locator("form.crf-form button[name=save_complete]").count():
        wrong = next((c for c in typist.controls(page) if c.is_item and c.kind in WRONG), None)
        if wrong is None:
            return False
        typist.type_value(page, wrong, WRONG[wrong.kind])
        page.click("form.crf-form button[name=save_complete]")
    elif page.locator("form[data-testid=sign-form] input[name=password]").count():
        page.fill("form[data-testid=sign-form] input[name=password]", "not the password")
        submit = page.locator("form[data-testid=sign-form] button[type=submit]:enabled")
        if not submit.count():
            return False
        submit.first.click()
    else:
        return False
    page.wait_for_load_state()
    return page.get_by_test_id("error-summary").count() > 0


class RoleWalk:
    """One role's walk: each page it reaches checked as shown, then with its errors shown."""

    def __init__(self, axe: Axe, page, base: str, role: str) -> None:
        self.axe, self.page, self.base, self.role = axe, page, base, role
        self.found: list[dict[str, Any]] = []
        self.checked = 0
        self.broken: list[str] = []  # links that answer an error

    def check(self, path: str, state: str) -> None:
        self.checked += 1
        for v in self.axe.run(self.page, options=OPTIONS).response["violations"]:
            for node in v["nodes"]:
                self.found.append(
                    {
                        "role": self.role,
                        "page": path,
                        "state": state,
                        "rule": v["id"],
                        "impact": v["impact"],
                        "target": " ".join(map(str, node["target"])),
                        "summary": node.get("failureSummary", ""),
                    }
                )

    def visit(self, path: str) -> list[str] | None:
        response = self.page.goto(f"{self.base}{path}")
        if response is None or response.status != 200:
            self.broken.append(f"{path} ({self.role}): {response and response.status}")
            return None
        if "html" not in response.headers.get("content-type", ""):
            return None
        page_links = self.page.evaluate(LINKS_JS)
        self.check(path, "shown")
        if show_errors(self.page):
            self.check(path, "errors shown")
        return page_links


def test_no_serious_or_critical_axe_violation_on_any_page_for_any_role(
    browser, browser_context_args, live_server, output_path
):
    call_command("seed_demo", participants=DEMO_PARTICIPANTS, seed=DEMO_SEED, verbosity=0)
    axe = Axe()
    found: list[dict[str, Any]] = []
    visited: Counter = Counter()
    csp: list[str] = []
    broken: list[str] = []
    for username in ROLES:
        user = User.objects.get(username=username)
        context, page = logged_in(browser, browser_context_args, live_server.url, user)
        page.on("console", lambda m: csp.append(m.text) if "Content Security" in m.text else None)
        role = RoleWalk(axe, page, live_server.url, username)
        walk(role.visit)
        context.close()
        found += role.found
        broken += role.broken
        visited[username] = role.checked

    out = Path(output_path)
    out.mkdir(parents=True, exist_ok=True)
    (out / "axe.json").write_text(json.dumps({"pages": visited, "violations": found}, indent=1))
    blocking = [f for f in found if f["impact"] in BLOCKING]
    rest = [f for f in found if f["impact"] not in BLOCKING]
    counts = Counter((f["impact"], f["rule"]) for f in found)
    print(f"\naxe-core {', '.join(WCAG21_AA)} over {sum(visited.values())} pages: {dict(visited)}")
    for (impact, rule), n in sorted(counts.items()):
        print(f"  {impact:9} {rule}: {n}")
    for f in rest:
        print(f"  {f['impact']}: {f['rule']} on {f['page']} ({f['role']}, {f['state']})")
        print(f"    {f['target']}")
    assert not broken, f"links answering an error: {broken}"
    assert set(visited) == set(ROLES) and all(n >= 3 for n in visited.values()), visited
    report = "\n".join(
        f"  {f['rule']} ({f['impact']}) on {f['page']} ({f['role']}, {f['state']}): "
        f"{f['target']}\n    {f['summary'].splitlines()[-1] if f['summary'] else ''}"
        for f in blocking[:60]
    )
    more = f"\n  ... and {len(blocking) - 60} more" if len(blocking) > 60 else ""
    assert not blocking, f"{len(blocking)} serious or critical violation(s):\n{report}{more}"
    assert not csp, "\n".join(csp)
