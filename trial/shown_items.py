"""Signed content as a reader reads it: each flattened key ("C1/LAB/1.albumin_g_l") named by
its event, form and item label, each stored value (true, "44.0", "2026-12-03", "none") in the
reader's words: Yes/No, 44,0 g/L, 03/12/2026, a code by its label. What is signed is
unchanged: this is only how the page shows it."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from django.db.models import BooleanField, Field
from django.utils import timezone
from django.utils.translation import gettext as _

from trial import crf as crf_registry
from trial import schedule
from trial.languages import shown_date, shown_number
from trial.models import FormState
from trial.readable import shown_marked

_KEY = re.compile(r"^(?P<event>[^/]+)/(?P<form>[^/]+)/(?P<repeat>\d+)\.(?P<path>.+)$")
_DECIMAL = re.compile(r"^-?\d+(?:\.\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _field_and_unit(form: str, path: str) -> tuple[Field | None, str, str]:
    """The model field a path names (an item, or a group row's item), its unit, and the
    group row's words ("Mesures 2 ·") when it is one."""
    spec = crf_registry.get(form)
    if spec is None:
        return None, "", ""
    parts = path.split(".")
    item = parts[-1]
    if len(parts) == 1:
        try:
            field = spec.model._meta.get_field(item)
        except Exception:  # noqa: BLE001 - an item since renamed
            return None, "", ""
        # A group with no row is flattened under its relation's name: no item.
        return (field, spec.unit(item), "") if isinstance(field, Field) else (None, "", "")
    for group in spec.groups:
        if group.name == parts[0]:
            try:
                field = group.model._meta.get_field(item)
            except Exception:  # noqa: BLE001 - an item since renamed
                return None, "", ""
            name = str(group.label or "")
            name = name[:1].upper() + name[1:]
            row = f"{name} {group.label_of(parts[1])} · " if len(parts) > 2 else ""
            if not isinstance(field, Field):
                return None, "", ""
            return field, str(group.units.get(item, "")), row
    return None, "", ""


def label(key: str) -> str:
    """ "C1/LAB/1.albumin_g_l" -> "Cycle 1 · Bilan biologique · Albumine (g/L)"."""
    found = _KEY.match(key)
    if not found:
        return key
    event = schedule.EVENTS_BY_CODE.get(found["event"])
    field, unit, row = _field_and_unit(found["form"], found["path"])
    if field is None and found["path"] == "status":
        item = str(_("Form status"))
    elif field is None:
        return key
    else:
        item = str(field.verbose_name)
    item = item[:1].upper() + item[1:]
    repeat = f" {found['repeat']}" if found["event"] == "LOG" else ""
    form = schedule.form_label(found["form"])
    parts = [
        event.label
        if event is not None and found["event"] != "LOG" and event.label != form
        else "",
        form + repeat,
        f"{row}{item}" + (f" ({unit})" if unit else ""),
    ]
    return " · ".join(p for p in parts if p)


def value(key: str, stored: Any) -> str:
    """A stored value in the reader's words (the unit is in the label)."""
    if stored is None or stored in ("", {}, []):
        return "—"
    found = _KEY.match(key)
    field = _field_and_unit(found["form"], found["path"])[0] if found else None
    if isinstance(stored, bool) or (
        isinstance(field, BooleanField) and stored in ("true", "false")
    ):
        return str(_("Yes") if stored in (True, "true") else _("No"))
    if found and found["path"] == "status" and stored in FormState.values:
        return str(FormState(stored).label)
    # A multiple choice (an array of codes) reads its codes by its base field's labels.
    base = getattr(field, "base_field", None)
    choices = field and (field.choices or getattr(base, "flatchoices", None))
    if field is not None and choices:
        labels = dict(field.flatchoices if field.choices else choices)
        return ", ".join(str(labels.get(part.strip(), part)) for part in str(stored).split(","))
    if field is not None:
        return shown_marked(field, stored)
    if isinstance(stored, int | float) or (isinstance(stored, str) and _DECIMAL.match(stored)):
        return shown_number(stored) if isinstance(stored, str) else shown_number(stored, "g")
    if isinstance(stored, str) and _DATE.match(stored):
        return shown_date(date.fromisoformat(stored))
    if isinstance(stored, str) and _DATETIME.match(stored):
        moment = datetime.fromisoformat(stored)
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return shown_date(moment, "datetime")
    return str(stored)
