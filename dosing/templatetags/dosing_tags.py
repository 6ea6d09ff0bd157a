"""Template helpers of the dosing pages, and the AE summary card for the participant page."""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.utils import timezone
from django.utils.safestring import SafeString

from dosing import labs
from dosing.forms import english, soc_html, term_display, term_html
from dosing.selectors import ae_summary

register = template.Library()


@register.filter
def bs_widget(field: forms.BoundField) -> SafeString:
    """The field's input with Bootstrap's classes (and is-invalid when it has errors), for the
    lab panel's grid where value, unit and limit sit side by side."""
    widget = field.field.widget
    css = "form-select" if isinstance(widget, forms.Select) else "form-control"
    if field.errors:
        css += " is-invalid"
    existing = widget.attrs.get("class", "")
    return field.as_widget(attrs={"class": f"{existing} {css}".strip()})


@register.filter
def ctcae_term(term: str | None) -> SafeString:
    """A stored CTCAE term for display: "French (English)" for a French user when a translation
    exists, else the English term; the English marked lang="en"."""
    return term_html(term)


@register.filter
def ctcae_term_text(term: str | None) -> str:
    """The same as plain text (to compare, or for an attribute)."""
    return term_display(term)


@register.filter
def ctcae_soc(soc: str | None) -> SafeString:
    """A MedDRA system organ class in the user's language (CTCAE's English marked)."""
    return soc_html(soc)


@register.filter
def ctcae_english(text: str | None) -> SafeString:
    """CTCAE's own English wording (a definition, a grade), marked lang="en"."""
    return english(text)


@register.filter
def lab_number(value: Any) -> str:
    """A lab number as a person writes it: 250, not 2.5E+2 nor 250.000; 7,4 in French."""
    return labs.number(value)


def ae_panel_context(participant: Any, user: Any) -> dict[str, Any]:
    """The adverse-event card of the participant page (trial.registry panel): the AE list
    with highest grades (one query)."""
    return {"aes": ae_summary(participant), "now": timezone.now()}
