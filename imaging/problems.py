"""The calculations' refusals (imaging/calculations.py, plain English ValueErrors: that module
stays free of Django) in the reader's language, for the pages that show them.

Each message the pages can meet is matched by its pattern and rewritten with a translated
format, so the English text stays exactly what the calculation said. An unknown message is
shown as it is."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

_NUMBER = r"(?P<value>[-+]?(?:\d+(?:\.\d*)?(?:e[-+]?\d+)?|inf|nan))"

PATTERNS = (
    (
        re.compile(r"at least (?P<needed>\d+) points needed, got (?P<got>\d+)"),
        _("at least %(needed)s points needed, got %(got)s"),
    ),
    (
        re.compile(
            r"at least (?P<needed>\d+) points needed from the highest activity onwards, "
            r"got (?P<got>\d+)"
        ),
        _("at least %(needed)s points needed from the highest activity onwards, got %(got)s"),
    ),
    (
        re.compile(rf"time_h must not be negative, got {_NUMBER}"),
        _("time_h must not be negative, got %(value)s"),
    ),
    (
        re.compile(rf"activity_mbq must not be negative, got {_NUMBER}"),
        _("activity_mbq must not be negative, got %(value)s"),
    ),
    (
        re.compile(r"time and activity must be finite, got (?P<time>\S+), (?P<activity>\S+)"),
        _("time and activity must be finite, got %(time)s, %(activity)s"),
    ),
    (
        re.compile(r"times must be strictly increasing, got (?P<earlier>\S+) then (?P<later>\S+)"),
        _("times must be strictly increasing, got %(earlier)s then %(later)s"),
    ),
    (
        re.compile(rf"administered_mbq must be positive, got {_NUMBER}"),
        _("administered_mbq must be positive, got %(value)s"),
    ),
    (
        re.compile(rf"activity used in the fit must be positive, got {_NUMBER} at (?P<time>\S+)"),
        _("activity used in the fit must be positive, got %(value)s at %(time)s"),
    ),
    (
        re.compile("reference value a must not be zero"),
        _("reference value a must not be zero"),
    ),
    (
        re.compile(rf"lesion (?P<n>\d+) SUV IAH must be positive, got {_NUMBER}"),
        _("lesion %(n)s SUV IAH must be positive, got %(value)s"),
    ),
    (
        re.compile(rf"lesion (?P<n>\d+) SUV IV must be positive, got {_NUMBER}"),
        _("lesion %(n)s SUV IV must be positive, got %(value)s"),
    ),
)


def calculation_problem(error: Exception) -> str:
    """The calculation's message in the active language (the same words in English)."""
    text = str(error)
    for pattern, message in PATTERNS:
        found = pattern.fullmatch(text)
        if found:
            return str(message) % found.groupdict()
    return text
