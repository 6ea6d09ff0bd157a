"""Times as every page writes them: in site time, the zone named, UTC on hover; and the
reasons for change by their labels."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from trial.history import auth_detail as _auth_detail
from trial.languages import shown_moment
from trial.reasons import shown_reason
from trial.review import shown_value

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
def when(value: datetime | None, site: Any = None) -> str:
    """<time> with the date and time in site time, the zone named, in the reader's style
    ("06/12/2026 14:05 CET"), and the UTC time in its title attribute.

    `site` is a Site or a zone name ("Europe/Paris"); without it, the active time zone: the
    participant's site on a participant's pages, else the reader's site (the middleware)."""
    if not value:
        return ""
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    utc = value.astimezone(UTC)
    zone = getattr(site, "time_zone", site) or None
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        utc.isoformat().replace("+00:00", "Z"),
        utc.strftime("%Y-%m-%d %H:%M:%S UTC"),
        shown_moment(value, zone),
    )


@register.filter
def moment(value: datetime | None, site: Any = None) -> str:
    """The same as `when` as plain text (a PDF, an attribute, a message)."""
    if not value:
        return ""
    return shown_moment(value, getattr(site, "time_zone", site) or None)


@register.filter
def stored(value: Any) -> str:
    """An item's stored value (a plain JSON value: a query's value when raised, its value
    now) as the reader reads it: a date or an instant in their style, the instant in site
    time with its zone named; yes/no in their words; "—" for none."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, str):
        return shown_value(None, value) or ""
    return str(value)
