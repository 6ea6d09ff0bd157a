"""The participant page's cards from other apps (trial.registry panels), rendered in the
page's own context: the context processors ran once for the page, not again per card."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag(takes_context=True)
def panel_card(context: template.Context, panel: dict[str, Any]) -> SafeString:
    """One card: its template with its own values on top of the page's."""
    page = context.template
    assert page is not None  # a tag renders inside a template
    card = page.engine.get_template(panel["template"])
    with context.push(**panel["context"]):
        return card.render(context)
