"""Zoom and reflow (WCAG 1.4.4, 1.4.10): every form kind at 320 CSS px wide and at 200 % zoom
(a 1366 x 768 screen zoomed twice: 683 CSS px), with nothing cut off. Every label, input,
select and button lies within the window, or inside an item-group table's box that scrolls
sideways within the window; the page itself never scrolls sideways."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.test_every_form_kind import walk
from tests.conftest import PASSWORD
from trial.models import Site

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WINDOWS = {
    "320px": {"viewport": {"width": 320, "height": 640}, "device_scale_factor": 1},
    "zoom200": {"viewport": {"width": 683, "height": 384}, "device_scale_factor": 2},
}

# What lies outside the window (or outside a scrolling box that is itself in the window).
CUT_JS = """() => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  if (document.documentElement.scrollWidth > width + 1) {
    // The outermost elements wider than the window: what makes the page scroll.
    const wide = Array.from(document.querySelectorAll('body *')).filter(e => {
      const r = e.getBoundingClientRect();
      const p = e.parentElement.getBoundingClientRect();
      return r.right > width + 1 && p.right <= width + 1 && r.width > 0
        && !e.parentElement.closest('.group-scroll, .table-responsive');
    }).slice(0, 3).map(e => e.tagName.toLowerCase() + '.' + Array.from(e.classList).join('.')
      + (e.getAttribute('name') ? `[name=${e.getAttribute('name')}]` : ''));
    problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} px`
      + ` in ${width} px, because of ${wide.join(', ')}`);
  }
  const within = (r) => r.left >= -1 && r.right <= width + 1;
  let scrolling = 0;
  for (const e of document.querySelectorAll(
      'main label, main input, main select, main textarea, main button, main legend')) {
    if (e.type === 'hidden') continue;
    const r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;  // not shown (another case's item)
    const box = e.closest('.group-scroll, .table-responsive');
    const name = e.getAttribute('name') || e.id || e.tagName.toLowerCase()
      + ':' + (e.textContent || '').trim().slice(0, 30);
    if (box) {
      const b = box.getBoundingClientRect();
      const style = getComputedStyle(box);
      if (!within(b)) problems.push(`the box of ${name} is cut: ${b.left}-${b.right}`);
      else if (box.scrollWidth > box.clientWidth + 1) {
        if (!['auto', 'scroll'].includes(style.overflowX)) {
          problems.push(`the box of ${name} is too narrow and does not scroll`);
        }
        scrolling += 1;
      }
    } else if (!within(r)) {
      problems.push(`${name} is cut: ${Math.round(r.left)}-${Math.round(r.right)} px`);
    }
  }
  return {problems, scrolling};
}"""


def test_every_form_at_320_px_and_at_200_percent_zoom(
    browser, live_server, nurse, investigator, bdx, output_path
):
    Site.objects.filter(pk=bdx.pk).update(language="fr")
    shots = Path(output_path)
    shots.mkdir(parents=True, exist_ok=True)
    stages = walk(nurse, investigator, bdx)
    found: list[str] = []
    scrolled = 0
    for window, options in WINDOWS.items():
        pages = {}
        for role, user in (("nurse", nurse), ("investigator", investigator)):
            page = browser.new_context(**options).new_page()
            page.set_default_timeout(10000)
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("input[name=username]", user.username)
            page.fill("input[name=password]", PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_url(f"{live_server.url}/")
            pages[role] = page
        for participant, steps in stages:
            for event, form, _values, role in steps:
                url = f"/p/{participant.code}/{event}/{form}/1/"
                if event == "LOG":
                    url = f"/p/{participant.code}/log/{form}/new/"
                page = pages[role]
                page.goto(f"{live_server.url}{url}")
                result = page.evaluate(CUT_JS)
                scrolled += result["scrolling"]
                found += [f"{window} {event}/{form}: {p}" for p in result["problems"]]
                if result["problems"] or (window == "320px" and form == "PET_IAH"):
                    page.screenshot(path=str(shots / f"{window}-{form}.png"), full_page=True)
        for page in pages.values():
            page.context.close()
    assert not found, "\n".join(found)
    # The item-group tables are wider than 320 px: they scroll inside their box.
    assert scrolled > 0
