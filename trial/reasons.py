"""Reasons for change as people read them. The audit context stores the reason's code in
English (it is the record, and exports carry it as is); pages show its label in the
reader's language."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from trial.forms import DELETE_REASONS, LOCK_REASONS, REASONS, UNLOCK_REASONS

# The reason a correction made in answer to a query is saved with, then " #<query id>".
QUERY_REASON = "data clarified by query"
# Reasons the system itself records (no person chose them).
SYSTEM_REASONS = {
    "study start-up": gettext_lazy("Study start-up"),
    "role assignment dates": gettext_lazy("Role assignment dates"),
}
_BY_QUERY = re.compile(re.escape(QUERY_REASON) + r" #(\d+)")


def shown_reason(stored: str) -> str:
    """The label of a stored reason code; "data clarified by query #N" and "other: text"
    keep their number and their text. A reason typed freely is shown as typed."""
    stored = str(stored or "")
    if by_query := _BY_QUERY.fullmatch(stored):
        return _("Data clarified by query #%(number)s") % {"number": by_query[1]}
    code, _sep, text = stored.partition(": ")
    if code == "other" and text:
        return _("Other: %(text)s") % {"text": text}
    if stored in SYSTEM_REASONS:
        return str(SYSTEM_REASONS[stored])
    for choices in (REASONS, DELETE_REASONS, LOCK_REASONS, UNLOCK_REASONS):
        for value, label in choices:
            if value and value == stored:
                return str(label)
    return stored
