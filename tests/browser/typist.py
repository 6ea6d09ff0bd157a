"""A nurse at the keyboard: types values into a CRF page as a person does (fill, select_option,
check), reads them back, and says what she could not do.

Values are given per control name as on the page ("crf-weight_kg", "crf-lesion_suvs-2-suv_max")
in the reader's format; None means "left blank on purpose" (an item that applies only in
another case). A control of the page that has no value here, or a value whose control is not
on the page, is a finding: the walk covers every item or says which it missed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

# The controls of a CRF page that are not items: the CSRF token, the optimistic version, the
# formsets' management inputs, the confirmation of unusual values and the reason for change.
NOT_ITEMS = ("csrfmiddlewaretoken", "version", "crf-confirm_unusual", "crf-confirmed_warnings")
NOT_ITEM_PREFIXES = ("change-",)
NOT_ITEM_SUFFIXES = ("-TOTAL_FORMS", "-INITIAL_FORMS", "-MIN_NUM_FORMS", "-MAX_NUM_FORMS")

# Longer than the longest htmx trigger delay of a CRF page (the term search's 300 ms).
HTMX_PAUSE_MS = 500

# Every control of the form, with what the page says about it, in the order of the page.
CONTROLS_JS = """form => Array.from(form.elements)
  .filter(e => e.name && !['button', 'submit'].includes(e.type))
  .map(e => ({
    name: e.name, tag: e.tagName.toLowerCase(), type: e.type || '', value: e.value,
    id: e.id, hidden: e.type === 'hidden', placeholder: e.placeholder || '',
    inputmode: e.inputMode || '', width: e.getBoundingClientRect().width,
    height: e.getBoundingClientRect().height,
    cut: (e.tagName === 'INPUT' && e.type !== 'checkbox' && e.type !== 'radio')
      ? e.scrollWidth > e.clientWidth + 1 : false,
  }))"""


@dataclass
class Control:
    name: str
    tag: str
    type: str
    value: str
    id: str
    hidden: bool
    placeholder: str
    inputmode: str
    width: float
    height: float
    cut: bool

    @property
    def is_item(self) -> bool:
        return not (
            self.hidden
            or self.name in NOT_ITEMS
            or self.name.startswith(NOT_ITEM_PREFIXES)
            or self.name.endswith(NOT_ITEM_SUFFIXES)
        )

    @property
    def kind(self) -> str:
        """What typing into it means: select, checkbox, radio, datetime, date, number, text."""
        if self.tag == "select":
            return "select"
        if self.type in ("checkbox", "radio"):
            return self.type
        if self.type == "datetime-local" or "hh" in self.placeholder.lower():
            return "datetime"
        if self.type == "date" or self.placeholder.lower() in ("jj/mm/aaaa", "yyyy-mm-dd"):
            return "date"
        if self.inputmode in ("decimal", "numeric"):
            return "number"
        return "text"


@dataclass
class Findings:
    """What went wrong on one form kind, in words a developer can act on."""

    form: str
    problems: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.problems.append(text)

    def __bool__(self) -> bool:
        return bool(self.problems)


def controls(page: Any) -> list[Control]:
    form = page.locator("form.crf-form").first
    if form.count() == 0:
        form = page.locator("form[data-testid=sign-form]").first
    return [Control(**c) for c in form.evaluate(CONTROLS_JS)]


def items(page: Any) -> dict[str, list[Control]]:
    """The item controls by name (radios share one name), in page order."""
    found: dict[str, list[Control]] = {}
    for control in controls(page):
        if control.is_item:
            found.setdefault(control.name, []).append(control)
    return found


def type_value(page: Any, control: Control, value: Any) -> None:
    """One item typed the way a person does."""
    target = page.locator(f'[name="{control.name}"]')
    if control.kind == "select":
        target.select_option(str(value))
    elif control.kind == "checkbox":
        target.set_checked(bool(value))
    elif control.kind == "radio":
        page.locator(f'[name="{control.name}"][value="{value}"]').check()
    else:
        # Into the box first, as a person does: Playwright then checks that this very box is
        # what a click at its place reaches (not hidden, clipped or covered).
        target.click()
        target.fill(str(value))
    if target.first.get_attribute("hx-get") or target.first.get_attribute("hx-post"):
        # A control that redraws part of the page as it is typed (the CTCAE term, after a
        # pause): the page settles before the next item, as a person waits for the list.
        page.wait_for_timeout(HTMX_PAUSE_MS)
        page.wait_for_load_state("networkidle")


def same(shown: str, typed: Any) -> bool:
    """A value read back equals the one typed: numbers by value (7,4 = 7,40)."""
    if isinstance(shown, bool) or shown is None:
        return shown == typed
    typed = str(typed)
    if shown == typed:
        return True
    try:
        return Decimal(shown.replace(",", ".")) == Decimal(typed.replace(",", "."))
    except InvalidOperation:
        return False


def read_back(page: Any, name: str, controls_: list[Control]) -> Any:
    """What the page shows for an item: the value, the checked state, the radio chosen."""
    control = controls_[0]
    if control.kind == "checkbox":
        return page.locator(f'[name="{name}"]').is_checked()
    if control.kind == "radio":
        checked = page.locator(f'[name="{name}"]:checked')
        return checked.get_attribute("value") if checked.count() else None
    return page.locator(f'[name="{name}"]').input_value()


def blank_value(control: Control) -> Any:
    if control.kind == "checkbox":
        return False
    if control.kind == "radio":
        return None
    return ""
