"""Which language a person reads the EDC in: their own choice (profile), else their site's
(the first of their sites by code), else settings.LANGUAGE_CODE.

A request reads it from the session (trial.middleware.UserLanguageMiddleware): resolved at
login and again when the person changes it, so a page costs no query for it. E-mails and PDFs,
made outside any request, resolve it from the database (`language_of`, `languages_of`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Subquery
from django.utils import formats, timezone
from django.utils.formats import get_format

from trial.models import Membership, Site, UserPreference

SESSION_KEY = "edc_language"
# The time zone of the reader's site (the first by code): the site time of pages that are not
# a participant's (a participant's page activates the participant's site's zone).
SESSION_ZONE = "edc_time_zone"


def available() -> frozenset[str]:
    return frozenset(code for code, _name in settings.LANGUAGES)


def _known(code: str | None) -> str | None:
    return code if code in available() else None


def languages_of(user_ids: Iterable[int]) -> dict[int, str]:
    """Each user's language (one query, however many users)."""
    ids = list(user_ids)
    if not ids:
        return {}
    chosen = UserPreference.objects.filter(user=OuterRef("pk")).values("language")[:1]
    site = (
        Membership.objects.filter(user=OuterRef("pk"))
        .order_by("site__code")
        .values("site__language")[:1]
    )
    rows = (
        get_user_model()
        .objects.filter(pk__in=ids)
        .annotate(chosen=Subquery(chosen), site_language=Subquery(site))
        .values_list("pk", "chosen", "site_language")
    )
    return {
        pk: _known(chosen) or _known(site_language) or settings.LANGUAGE_CODE
        for pk, chosen, site_language in rows
    }


def language_of(user: Any) -> str:
    """The language `user` reads the EDC in (settings.LANGUAGE_CODE for nobody)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return settings.LANGUAGE_CODE
    return languages_of([user.pk]).get(user.pk, settings.LANGUAGE_CODE)


def language_for_id(user_id: int | None) -> str:
    if user_id is None:
        return settings.LANGUAGE_CODE
    return languages_of([user_id]).get(user_id, settings.LANGUAGE_CODE)


def _of_first_site(user: Any, column: str) -> Any:
    """A column of the user's first site by code (a user of two sites reads the first's)."""
    sites = Site.objects.filter(memberships__user=user).order_by("code")
    return sites.values_list(column, flat=True).first()


def site_language_of(user: Any) -> str:
    """The language of the user's site: what a blank preference means."""
    return _known(_of_first_site(user, "language")) or settings.LANGUAGE_CODE


def remember(request: Any, user: Any) -> str:
    """Resolve the user's language into the session (at login, and after they change it)."""
    language = language_of(user)
    request.session[SESSION_KEY] = language
    request.session[SESSION_ZONE] = site_zone_of(user)
    return language


def site_zone_of(user: Any) -> str:
    """The time zone of the user's site (the first by code), else settings.TIME_ZONE."""
    return _of_first_site(user, "time_zone") or settings.TIME_ZONE


def shown_date(value: Any, kind: str = "date") -> str:
    """A date (kind "date") or a local date-time (kind "datetime", written in its own zone,
    named) in the reader's language's one style (trial/formats): 2026-12-06 in English,
    06/12/2026 in French."""
    if kind == "datetime":
        return shown_moment(value, value.tzinfo)
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def zone_name(local: datetime) -> str:
    """The name of a local time's zone as a reader knows it: CET, CEST; "UTC-03" where the
    zone has no abbreviation (Python names it "-03")."""
    name = local.tzname() or ""
    return f"UTC{name}" if name[:1] in "+-" else name


def shown_moment(value: datetime, zone: tzinfo | str | None = None) -> str:
    """An instant as the reader reads it: in `zone` (a site's time zone; the active one by
    default), in the reader's language's style, the zone named: "06/12/2026 14:05 CET".
    Never for exports, which stay ISO 8601 with the offset."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    if isinstance(zone, str):
        zone = ZoneInfo(zone)
    local = timezone.localtime(value, zone)
    day = formats.date_format(local, "SHORT_DATE_FORMAT")
    clock = formats.time_format(local, "TIME_FORMAT")
    return f"{day} {clock} {zone_name(local)}"


def decimal_separator() -> str:
    """The active language's decimal separator ("." in English, "," in French)."""
    return get_format("DECIMAL_SEPARATOR")


def shown_number(value: Any, spec: str = "", separator: str | None = None) -> str:
    """A number a person reads, formatted with `spec` ("g", ".2f", "+.1f"), with the decimal
    separator of the active language (7,4 in French). Not for SVG coordinates, data-*
    attributes or exports: those keep the dot.

    A page showing thousands of numbers passes `separator` (decimal_separator(), read once):
    looking the language up costs more than formatting the number."""
    return format(value, spec).replace(".", separator or decimal_separator())
