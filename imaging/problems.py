"""The calculations' refusals (trial.problems.Problem raised by imaging/calculations.py and
trial/decay.py: a code and its values) worded in the reader's language, for the pages that
show them. The English words are the calculation's own; a problem without a wording here, or
any other error, is shown as it is."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from trial.problems import Problem

MESSAGES = {
    "too_few_points": _("at least %(needed)s points needed, got %(got)s"),
    "too_few_points_after_peak": _(
        "at least %(needed)s points needed from the highest activity onwards, got %(got)s"
    ),
    "time_h_negative": _("time_h must not be negative, got %(value)s"),
    "activity_mbq_negative": _("activity_mbq must not be negative, got %(value)s"),
    "point_not_finite": _("time and activity must be finite, got %(time)s, %(activity)s"),
    "times_not_increasing": _("times must be strictly increasing, got %(earlier)s then %(later)s"),
    "administered_mbq_not_positive": _("administered_mbq must be positive, got %(value)s"),
    "fit_activity_not_positive": _(
        "activity used in the fit must be positive, got %(value)s at %(time)s"
    ),
    "tia_mbq_h_negative": _("tia_mbq_h must not be negative, got %(value)s"),
    "volume_ml_not_positive": _("volume_ml must be positive, got %(value)s"),
    "density_g_ml_not_positive": _("density_g_ml must be positive, got %(value)s"),
    "no_single_time_point": _("no scan from %(low)s h to %(high)s h after the infusion"),
    "reference_zero": _("reference value a must not be zero"),
    "lesion_suv_iah_not_positive": _("lesion %(n)s SUV IAH must be positive, got %(value)s"),
    "lesion_suv_iv_not_positive": _("lesion %(n)s SUV IV must be positive, got %(value)s"),
}


def calculation_problem(error: Exception) -> str:
    """The calculation's refusal in the active language (the same words in English)."""
    if isinstance(error, Problem) and error.code in MESSAGES:
        return str(MESSAGES[error.code]) % error.shown_values
    return str(error)
