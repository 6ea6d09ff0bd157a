"""Which language a person reads the EDC in: their own choice (profile), else their site's
(the first of their sites by code), else settings.LANGUAGE_CODE.

A request reads it from the session (trial.middleware.UserLanguageMiddleware): resolved at
login and again when the person changes it, so a page costs no query for it. E-mails and PDFs,
made outside any request, resolve it from the database (`language_of`, `languages_of`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Subquery
from django.utils import dateformat, translation
from django.utils.formats import get_format

from trial.models import Membership, Site, UserPreference

SESSION_KEY = "edc_language"


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


def site_language_of(user: Any) -> str:
    """The language of the user's site: what a blank preference means."""
    code = (
        Site.objects.filter(memberships__user=user)
        .order_by("code")
        .values_list("language", flat=True)
        .first()
    )
    return _known(code) or settings.LANGUAGE_CODE


def remember(request: Any, user: Any) -> str:
    """Resolve the user's language into the session (at login, and after they change it)."""
    language = language_of(user)
    request.session[SESSION_KEY] = language
    return language


# Dates a person reads: ISO in English (as the EDC always showed them), the language's own
# short format elsewhere (dd/mm/yyyy in French).
_ISO = {"date": "Y-m-d", "datetime": "Y-m-d H:i"}
_LOCAL = {"fr": {"date": "d/m/Y", "datetime": "d/m/Y H:i"}}


def shown_date(value: Any, kind: str = "date") -> str:
    """A date (kind "date") or a local date-time (kind "datetime") as the reader writes it."""
    language = (translation.get_language() or "").split("-")[0]
    formats_ = _LOCAL.get(language, _ISO)
    return dateformat.format(value, formats_[kind])


def shown_number(value: Any, spec: str = "") -> str:
    """A number a person reads, formatted with `spec` ("g", ".2f", "+.1f"), with the decimal
    separator of the active language (7,4 in French). Not for SVG coordinates, data-*
    attributes or exports: those keep the dot."""
    return format(value, spec).replace(".", get_format("DECIMAL_SEPARATOR"))
