"""What a browser sends: the POST of a page's form exactly as it is shown (every input with its
current value, the formsets' management forms), so that a test can change one field and post."""

from __future__ import annotations

from typing import Any

from django import forms


def _inputs(form: forms.BaseForm) -> dict[str, Any]:
    posted: dict[str, Any] = {}
    for bound in form:
        widget = bound.field.widget
        value = bound.value()
        if isinstance(widget, forms.CheckboxInput):
            if value:
                posted[bound.html_name] = "on"
            continue
        if getattr(widget, "allow_multiple_selected", False):
            posted[bound.html_name] = [str(v) for v in value or []]
            continue
        shown = widget.format_value(value)
        if isinstance(widget, forms.widgets.ChoiceWidget):
            shown = shown[0] if shown else ""  # the one option selected
        posted[bound.html_name] = "" if shown is None else str(shown)
    return posted


def page_post(form: forms.BaseForm) -> dict[str, Any]:
    """The POST of `form` (a CRF form, unbound, on its row) and of its item groups' formsets."""
    posted = _inputs(form)
    groups = form.group_formsets() if hasattr(form, "group_formsets") else {}
    for formset in groups.values():
        posted.update(_inputs(formset.management_form))
        for child in formset.forms:
            posted.update(_inputs(child))
    return posted
