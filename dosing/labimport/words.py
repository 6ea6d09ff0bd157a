"""The lab import's flags in the reader's language, and what each asks of the person."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from dosing.labimport import flags

FLAG_LABELS = {
    flags.UNKNOWN_CODE: _("unknown test code"),
    flags.UNKNOWN_UNIT: _("unknown unit"),
    flags.IMPLAUSIBLE: _("out of the plausible range"),
    flags.NOT_A_RESULT: _("not a result (a bound or a result status not final)"),
    flags.NO_WINDOW: _("sample date in no event window: choose the panel"),
    flags.TENFOLD: _("tenfold from the previous or typed value"),
    flags.UNUSUAL: _("out of the usual range"),
    flags.DUPLICATE: _("already imported from another file"),
    flags.OTHER_SAMPLE_DATE: _("the panel has another sample date"),
    flags.PRELIMINARY: _("preliminary result"),
    flags.ROUNDED: _("rounded to the form's decimals: the grade reads the rounded value"),
}
