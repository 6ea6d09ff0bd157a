"""Template helpers of the dosing pages, and the AE summary card for the participant page."""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.utils import timezone
from django.utils.safestring import SafeString

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


@register.inclusion_tag("dosing/_ae_summary.html", takes_context=True)
def ae_summary_card(context: template.Context, participant: Any) -> dict[str, Any]:
    """{% load dosing_tags %}{% ae_summary_card participant %}: the AE list with highest grades."""
    return {
        "participant": participant,
        "aes": ae_summary(participant),
        "can_enter_data": context.get("can_enter_data", False),
        "csrf_token": context.get("csrf_token"),
        "now": timezone.now(),
    }
