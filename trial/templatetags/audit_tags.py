"""Times in the audit trail: shown in the active (site's) time zone, UTC on hover; and the
reasons for change by their labels."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html

from trial.history import auth_detail as _auth_detail
from trial.reasons import shown_reason

register = template.Library()


@register.filter
def reason(value: str | None) -> str:
    """A stored reason for change (a code in English) as the reader's language words it."""
    return shown_reason(value or "")


@register.filter
def auth_detail(event: Any) -> str:
    """A login-log event's detail in words (a signature's decision and role, not its code)."""
    return _auth_detail(event)


@register.filter
def when(value: datetime | None) -> str:
    """<time> with the local date and time, and the UTC time in its title attribute."""
    if not value:
        return ""
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    utc = value.astimezone(UTC)
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        utc.isoformat().replace("+00:00", "Z"),
        utc.strftime("%Y-%m-%d %H:%M:%S UTC"),
        date_format(local, "d M Y H:i T"),
    )
