"""Stored values and field names as a reader reads them, on every page of the audit trail
(History, the audit review, the system audit): one function for a value, one for a field's
label, so that the three pages never disagree.

A value comes either as Python (pghistory's event rows: a date, a Decimal, a bool) or as the
text the review ledger filed (`x.j ->> col`: "true", "1951-10-26", "7.40"); both read the
same: a date the reader's way, a decimal with the language's separator, a yes/no as Yes/No,
a code by its label, and the unit after the value where the item has one.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import formats
from django.utils.functional import Promise
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from trial.languages import shown_moment

# The columns of the trail's records whose model names them only by their attribute
# ("locked_at" -> "locked at", in English on every page): their label, translated.
FIELD_LABELS: dict[str, Any] = {
    "at": gettext_lazy("Date and time"),
    "author": gettext_lazy("Author"),
    "changes": gettext_lazy("Changes"),
    "closed_at": gettext_lazy("Closed on"),
    "content_hash": gettext_lazy("Fingerprint of the signed content"),
    "event_dates": gettext_lazy("Visit dates"),
    "file": gettext_lazy("File"),
    "gate_decision": gettext_lazy("Gate decision"),
    "imported_by": gettext_lazy("Imported by"),
    "added_by": gettext_lazy("Added by"),
    "item": gettext_lazy("Item"),
    "kind": gettext_lazy("Kind"),
    "locked_at": gettext_lazy("Locked on"),
    "locked_by": gettext_lazy("Locked by"),
    "opened_at": gettext_lazy("Raised on"),
    "opened_by": gettext_lazy("Raised by"),
    "query": gettext_lazy("Query"),
    "sdv_at": gettext_lazy("Source-verified on"),
    "sdv_by": gettext_lazy("Source-verified by"),
    "signature": gettext_lazy("Signature"),
    "signer": gettext_lazy("Signer"),
    "state": gettext_lazy("State"),
    "status": gettext_lazy("Status"),
    "value": gettext_lazy("Value"),
    "value_when_raised": gettext_lazy("Value when the query was raised"),
    "verified_at": gettext_lazy("Verified on"),
    "verified_by": gettext_lazy("Verified by"),
    # Accounts (the system audit): Django's own labels speak of its admin site.
    "email": gettext_lazy("E-mail"),
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "username": gettext_lazy("User name"),
    "is_active": gettext_lazy("Active account"),
    "is_staff": gettext_lazy("Access to administration"),
    "is_superuser": gettext_lazy("All permissions"),
    "last_login": gettext_lazy("Last login"),
    "date_joined": gettext_lazy("Account created on"),
    "password": gettext_lazy("Password"),
    "code": gettext_lazy("Code"),
    "name": gettext_lazy("Name"),
    "time_zone": gettext_lazy("Time zone"),
    "language": gettext_lazy("Language"),
}

# The records of the trail (their model's class name, as the review ledger files them).
RECORD_LABELS: dict[str, Any] = {
    "FormStatus": gettext_lazy("Form status"),
    "Signature": gettext_lazy("Signature"),
    "SignatureBreak": gettext_lazy("Signature broken"),
    "Query": gettext_lazy("Query"),
    "QueryMessage": gettext_lazy("Query message"),
    "SdvMark": gettext_lazy("Source data verification"),
    "LabImportFile": gettext_lazy("Laboratory file imported"),
    "ImportedLabValue": gettext_lazy("Imported laboratory value"),
    "SiteCsvColumns": gettext_lazy("Laboratory file columns"),
    "HospitalIdentifier": gettext_lazy("Hospital identifier"),
}


def field_label(model_field: models.Field | None, name: str = "") -> str:
    """A field's label, capitalised: its translated verbose name, else the trail's own
    label of that column; never the attribute's name."""
    name = name or (model_field.name if model_field is not None else "")
    verbose = getattr(model_field, "verbose_name", None)
    if isinstance(verbose, Promise):
        label = str(verbose)
    elif name in FIELD_LABELS:
        label = str(FIELD_LABELS[name])
    else:
        label = str(verbose or name)
    return label[:1].upper() + label[1:]


def record_label(kind: str) -> str:
    """A record of the trail by its name (Form status, Query...), never its class name."""
    return str(RECORD_LABELS.get(kind, kind))


def yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def _typed(model_field: models.Field, value: Any) -> Any:
    """A value filed as text (the review ledger's JSON text) as the field's Python value."""
    if not isinstance(value, str) or isinstance(model_field, models.CharField | models.TextField):
        return value
    if isinstance(model_field, models.BooleanField) and value in ("true", "false"):
        return value == "true"
    if isinstance(model_field, models.DateField | models.DecimalField | models.FloatField):
        try:
            return model_field.to_python(value)
        except ValidationError:
            return value
    return value


# A value filed without its field (a participant's own columns in the ledger) is still read
# as a date or an instant when it is one, so no ISO form reaches a French page.
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)")


def _untyped(value: Any) -> str:
    if isinstance(value, bool):
        return yes_no(value)
    text = str(value)
    try:
        if _ISO_MOMENT.fullmatch(text):
            return shown_moment(datetime.fromisoformat(text))
        if _ISO_DAY.fullmatch(text):
            return formats.date_format(date.fromisoformat(text), "SHORT_DATE_FORMAT")
    except ValueError:
        return text
    return text


def official_english(field: models.Field) -> models.Field:
    """Mark a field whose values are an official English wording (CTCAE terms, MedDRA
    organ classes): they stay English on a French page, marked lang="en" for screen readers."""
    field.official_language = "en"  # type: ignore[attr-defined]
    return field


def with_official_english(text: str, wording: str) -> str:
    """`text` as HTML, the official English `wording` it quotes marked lang="en" (a signed
    sentence naming a CTCAE term, say)."""
    escaped = conditional_escape(text)
    if not wording:
        return escaped
    marked = format_html('<span lang="en">{}</span>', wording)
    return mark_safe(escaped.replace(conditional_escape(wording), marked, 1))  # noqa: S308


def official_language(field: models.Field | None) -> str:
    return getattr(field, "official_language", "") if field is not None else ""


def shown_marked(model_field: models.Field, value: Any, unit: str = "") -> str:
    """shown_value, as HTML marked lang="en" where the field holds an official English wording."""
    text = shown_value(model_field, value, unit)
    lang = official_language(model_field)
    return format_html('<span lang="{}">{}</span>', lang, text) if lang else text


def shown_value(model_field: models.Field | None, value: Any, unit: str = "") -> str:
    """A stored, non-empty value as the reader's language writes it: a code by its label,
    True as Yes, a date and a date-time the reader's way (date-times in the active time zone,
    named), a decimal with the language's separator, then the item's unit."""
    if model_field is None:
        return _untyped(value)
    value = _typed(model_field, value)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, datetime):
        # In the active (site's) time zone, as the page says and as it was typed.
        return shown_moment(value)
    if isinstance(value, date):
        text = formats.date_format(value, "SHORT_DATE_FORMAT")
    elif isinstance(value, Decimal | float):
        text = formats.number_format(value)  # 7,4 in French
    else:
        text = str(value)
    return f"{text} {unit}" if unit and text else text
