"""The form renderer (settings.FORM_RENDERER): Django's own, with <input> widgets written
directly in Python.

A CRF page renders dozens of inputs (the dosimetry grid alone has 44), and Django renders each
through two templates (input.html including attrs.html), which costs more than the rest of
the page. The markup here is character for character what those templates produce
(tests/trial/test_renderers.py compares both on every kind of value); every other template
(selects, checkboxes lists, forms, errors) goes through Django as before.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData

# The widget templates that are nothing but {% include "django/forms/widgets/input.html" %}.
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input",
        "text",
        "number",
        "email",
        "url",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "search",
        "tel",
        "color",
        "checkbox",
    )
)


def _formatted(value: Any) -> str:
    """`{{ value|stringformat:'s' }}` with autoescape on."""
    text_value = str(value) if isinstance(value, tuple) else value
    try:
        text = "%s" % (text_value,)  # noqa: UP031 - what the filter does
    except (ValueError, TypeError):
        return ""
    return text if isinstance(value, SafeData) else escape(text)


def input_html(widget: dict[str, Any]) -> str:
    """What django/forms/widgets/input.html renders for this widget context."""
    parts = [
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"'
    ]
    if widget["value"] is not None:
        parts.append(f' value="{_formatted(widget["value"])}"')
    for name, value in widget["attrs"].items():
        if value is False:
            continue
        parts.append(f" {conditional_escape(name)}")
        if value is not True:
            parts.append(f'="{_formatted(value)}"')
    parts.append(">")
    return "".join(parts)


class FastInputRenderer(DjangoTemplates):
    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name in INPUT_TEMPLATES and "widget" in context:
            return input_html(context["widget"])
        return super().render(template_name, context, request=request)
