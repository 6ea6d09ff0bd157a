"""Keyboard only (WCAG 2.1.1, 2.4.1, 2.4.7, 3.3.1): a French nurse enters a screening form and
the two PETs, and the investigator signs the gate, with Tab, Enter, Space and the arrow keys
alone, from the participant's page. At every Tab the focus is visible; the skip link leads to
the main content; after a failed save the error summary takes focus and its link leads to the
wrong item."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from eligibility.models import Demographics
from tests.browser import typist
from tests.browser.test_every_form_kind import as_typed, demographics, pet
from tests.conftest import PASSWORD
from tests.imaging import helpers as ih
from trial import actions
from trial.models import FormStatus, Site

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What has the focus, and whether it shows: an outline (our :focus-visible ring) or
# Bootstrap's focus shadow.
FOCUSED_JS = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e);
  return {
    name: e.getAttribute('name') || '', id: e.id, tag: e.tagName.toLowerCase(),
    type: e.type || '', href: e.getAttribute('href') || '', value: e.value,
    visible: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2)
      || (s.boxShadow !== 'none' && s.boxShadow !== ''),
  };
}"""
SELECT_JS = """e => ({
  values: Array.from(e.options).map(o => o.value), index: e.selectedIndex,
})"""


def focused(page) -> dict[str, Any] | None:
    return page.evaluate(FOCUSED_JS)


def tab_to(page, wanted, limit: int = 250) -> dict[str, Any]:
    """Tab (and only Tab) until `wanted(focused)`; every stop shows its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if now is None:
            continue
        assert now["visible"], f"focus not visible on {now}"
        if wanted(now):
            return now
    raise AssertionError("never reached by Tab")


def key_in(page, now: dict[str, Any], value: Any) -> None:
    """The focused control takes `value`, typed as a person at a keyboard does."""
    element = page.locator(":focus")
    if now["tag"] == "select":
        options = element.evaluate(SELECT_JS)
        steps = options["values"].index(str(value)) - options["index"]
        for _ in range(abs(steps)):
            page.keyboard.press("ArrowDown" if steps > 0 else "ArrowUp")
    elif now["type"] == "checkbox":
        if element.is_checked() != bool(value):
            page.keyboard.press("Space")
    elif now["type"] == "radio":
        for _ in range(10):
            if page.locator(f'[name="{now["name"]}"]:checked').get_attribute("value") == str(value):
                break
            page.keyboard.press("ArrowDown")
    else:
        page.keyboard.press("Control+A")
        page.keyboard.press("Delete")
        page.keyboard.type(str(value))


def fill_by_keyboard(page, values: dict[str, Any], wrong: str | None = None) -> None:
    """Tab through the form, keying each item's value (`wrong` gets a value no box takes),
    then Enter on "Save"."""
    shown = typist.items(page)
    todo = {n: v for n, v in values.items() if v not in (None, "") and n in shown}
    while todo:
        now = tab_to(page, lambda f: f["name"] in todo)
        value = todo.pop(now["name"])
        control = shown[now["name"]][0]
        key_in(page, now, "31/02/2026" if now["name"] == wrong else as_typed(value, control))
        if control.kind == "text" and page.locator(":focus").get_attribute("hx-get"):
            page.wait_for_timeout(typist.HTMX_PAUSE_MS)
    tab_to(page, lambda f: f["name"] == "save_complete")
    page.keyboard.press("Enter")
    page.wait_for_load_state()


def open_form(page, base: str, code: str, href: str) -> None:
    """From the participant's page: the skip link first, then Tab to the form's link, Enter."""
    page.goto(f"{base}/p/{code}/")
    first = tab_to(page, lambda f: True)
    assert first["href"] == "#main", first  # the skip link comes first
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    tab_to(page, lambda f: f["href"].endswith(href))
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{href}")


def saved(page, code: str) -> None:
    expect(page.get_by_test_id("participant-code")).to_have_text(code)


def test_screening_the_two_pets_and_the_gate_by_keyboard_only(
    page, browser, browser_context_args, live_server, nurse, investigator, bdx, login
):
    Site.objects.filter(pk=bdx.pk).update(language="fr")
    page.set_default_timeout(8000)
    login(nurse)
    base = live_server.url

    # A screening form, once with a wrong date: the summary takes focus and leads to it.
    participant = actions.register_participant(nurse, bdx, ih.NOW.date())
    open_form(page, base, participant.code, "/SCR/DEMOG/1/")
    values = demographics()
    fill_by_keyboard(page, values, wrong="crf-birth_date")
    expect(page.get_by_test_id("error-summary")).to_be_focused()
    link = tab_to(page, lambda f: f["tag"] == "a")
    assert link["href"] == "#id_crf-birth_date", link
    page.keyboard.press("Enter")
    expect(page.locator("[name=crf-birth_date]")).to_be_focused()
    birth = typist.items(page)["crf-birth_date"][0]
    key_in(page, focused(page), as_typed(values["crf-birth_date"], birth))
    tab_to(page, lambda f: f["name"] == "save_complete")
    page.keyboard.press("Enter")
    saved(page, participant.code)
    row = FormStatus.objects.get(participant=participant, form="DEMOG")
    assert Demographics.objects.get(form_status=row).birth_date == values["crf-birth_date"]

    # The two PETs of an enrolled participant.
    participant = ih.enrolled(nurse, investigator, bdx)
    ih.save(nurse, participant, "PET-IAH", "PETLES", *ih.lesions_data())
    for event, form, iah, injection, suvs in (
        ("PET-IAH", "PET_IAH", True, ih.IAH_INJECTION, ih.IAH_SUVS),
        ("PET-IV", "PET_IV", False, ih.IV_INJECTION, ih.IV_SUVS),
    ):
        open_form(page, base, participant.code, f"/{event}/{form}/1/")
        fill_by_keyboard(page, pet(injection, suvs, iah=iah))
        saved(page, participant.code)
    statuses = dict(
        FormStatus.objects.filter(
            participant=participant, form__in=("PET_IAH", "PET_IV")
        ).values_list("form", "status")
    )
    assert statuses == {"PET_IAH": "complete", "PET_IV": "complete"}, statuses

    # The investigator signs the gate: the decision with the arrows, the password, Enter.
    page.context.clear_cookies()
    login(investigator)
    open_form(page, base, participant.code, "/GATE/GATE/1/")
    now = tab_to(page, lambda f: f["name"] == "decision")
    key_in(page, now, "proceed")
    tab_to(page, lambda f: f["name"] == "password")
    page.keyboard.type(PASSWORD)
    tab_to(page, lambda f: f["tag"] == "button" and f["type"] == "submit")
    page.keyboard.press("Enter")
    saved(page, participant.code)
    participant.refresh_from_db()
    assert participant.gate_decision == "proceed"
