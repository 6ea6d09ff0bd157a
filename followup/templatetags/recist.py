"""RECIST codes (stored in English: CR, PR, SD, PD, NE) shown in the reader's language."""

from django import template

from followup.models import response_text

register = template.Library()


@register.filter
def recist_response(code: object) -> str:
    """A response or non-target status code as the reader's language abbreviates it."""
    return response_text(code)
