"""Template helpers of the signing page (trial/sign.html)."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

register = template.Library()


@register.filter
def shares(roles: Iterable[str], user_roles: Iterable[str]) -> bool:
    """Whether the reader holds one of these roles: {% if signer_roles|shares:user_roles %}."""
    return bool(set(roles) & set(user_roles))
