"""Everything the oversight page and the DSMB report show, for one scope and one date: the
risk indicators per site and for the study, the endpoints, the safety tables, and their
charts as inline SVG. The page and the PDF render the same context."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from dosing.models import Outcome
from oversight import charts, endpoints, memo, risk, safety
from oversight.study import Study, moment_of, read
from trial import actions, roles, selectors
from trial.languages import shown_date, shown_moment, shown_number
from trial.models import Participant, Site

# Who sees the oversight page and asks for the DSMB report: the monitors (their own sites)
# and the data managers (every site).
OVERSEE = {roles.MONITOR, roles.DATA_MANAGER}


def _shown(value: float, decimals: int) -> str:
    return shown_number(value, f".{decimals}f")


@dataclass(frozen=True)
class Scope:
    participants: Any  # a queryset of Participant
    sites: Any  # a queryset of Site
    label: str


def may_oversee(user: Any) -> bool:
    return roles.has_any(user, OVERSEE)


def every_site_label() -> str:
    return str(_("All sites"))


def every_site() -> Scope:
    """The whole trial: every participant of every site (the command's DSMB report)."""
    return Scope(Participant.objects.select_related("site"), Site.objects.all(), every_site_label())


def scope_for(user: Any) -> Scope:
    """The participants and sites the user oversees: a monitor's own sites, a data
    manager's every site."""
    every = roles.has_any(user, roles.ALL_SITES)
    sites = selectors.visible_sites(user)
    label = every_site_label() if every else str(_("Your sites"))
    return Scope(selectors.participants_for(user), sites, label)


def thresholds() -> dict[str, tuple[float, float]]:
    return {key: risk.limits_of(settings.OVERSIGHT_THRESHOLDS, key) for key in risk.SPECS_BY_KEY}


@dataclass(frozen=True)
class Prepared:
    """What a read of the trial gives, whatever the time of day: kept by oversight.memo
    while the database has not changed."""

    study: Study
    figures: risk.Computed
    funnel: list[endpoints.Step]
    ratios: endpoints.Ratios
    responses: endpoints.Responses
    pfs: endpoints.Pfs
    shifts: list[safety.Shift]
    ae_tables: list[safety.AeTable]


def prepare(study: Study) -> Prepared:
    return Prepared(
        study,
        risk.static_figures(study, thresholds()),
        endpoints.funnel(study),
        endpoints.ratios(study),
        endpoints.responses(study),
        endpoints.progression_free_survival(study),
        safety.lab_shifts(study),
        safety.ae_tables(study),
    )


def context(scope: Scope, as_of: date, *, cutoff: bool = False) -> dict[str, Any]:
    """The page's (and the report's) context: the trial read once, or taken from memory
    while no transaction has written since (oversight.memo); the moment moves on."""
    key = (
        "oversight",
        str(scope.participants.query),
        str(scope.sites.query),
        as_of,
        cutoff,
        tuple(sorted(thresholds().items())),
        # The tables' labels are in the reader's language.
        translation.get_language(),
    )
    # The change counts read the review ledger, filed off the save path (trial/ledger.py):
    # the changes committed since its last filing are filed first, before the snapshot that
    # keys the memory is taken (a filing is a write), so that they count.
    actions.file_review_ledger()
    prepared = memo.read(
        key, lambda: prepare(read(scope.participants, scope.sites, as_of, cutoff=cutoff))
    )
    study = replace(prepared.study, moment=moment_of(as_of))
    return build(replace(prepared, study=study), scope.label)


def build(prepared: Prepared | Study, scope_label: str) -> dict[str, Any]:
    if isinstance(prepared, Study):
        prepared = prepare(prepared)
    study = prepared.study
    limits = thresholds()
    rows = risk.table(study, limits, _shown, prepared.figures)
    for row in rows:
        for cell in row.cells:
            where = cell.site or scope_label
            cell.chart = mark_safe(  # noqa: S308 - built by charts, every text escaped there
                _sparkline(
                    tuple(cell.trend),
                    row.limits,
                    f"{row.label} · {where}",
                    translation.get_language(),
                )
            )
    funnel, ratios, responses, pfs = (
        prepared.funnel,
        prepared.ratios,
        prepared.responses,
        prepared.pfs,
    )
    estimate = pfs.estimate
    return {
        "study": study,
        "as_of": study.as_of,
        "scope_label": scope_label,
        "sites": study.sites,
        "rows": rows,
        "limits": limits,
        "participant_count": len(study.people),
        "funnel": funnel,
        "funnel_chart": mark_safe(  # noqa: S308 - escaped in charts
            charts.funnel([(step.label, step.count) for step in funnel])
        ),
        "ratios": ratios,
        "ratio_chart": mark_safe(  # noqa: S308 - escaped in charts
            charts.ratio_histogram([r for _c, r in ratios.values], ratios.threshold)
        ),
        "responses": responses,
        "waterfall_chart": mark_safe(  # noqa: S308 - escaped in charts
            charts.waterfall(
                [(r.code, r.best_pct, r.best) for r in responses.rows if r.best_pct is not None]
            )
        ),
        "pfs": pfs,
        "pfs_text": _pfs_text(estimate),
        "pfs_chart": mark_safe(  # noqa: S308 - escaped in charts
            charts.kaplan_meier(
                estimate.steps if estimate else [(0.0, 1.0)],
                estimate.censored if estimate else [],
                estimate.median if estimate else None,
                _("Months since the follow-up anchor"),
            )
        ),
        "ae_tables": prepared.ae_tables,
        "grades": safety.GRADES,
        "lab_grades": safety.LAB_GRADES,
        "saes": _sae_rows(safety.sae_listing(study)),
        "shifts": prepared.shifts,
    }


@lru_cache(maxsize=1024)
def _sparkline(
    trend: tuple[tuple[date, float | None], ...],
    limits: tuple[float, float],
    title: str,
    language: str | None,
) -> str:
    """A trend's chart, kept by its values (and the language its numbers are written in):
    after a write, most trends are as they were."""
    return charts.sparkline(trend, limits, title)


def _sae_rows(lines: list[safety.SaeLine]) -> list[dict[str, str]]:
    """The SAE listing as the table shows it, written once here: a few hundred template
    filters and URL reversals cost more than the rest of the page. Each line's row is kept
    by its values, the reader's language and time zone (a pending one's hours move on, and
    so its row); the rows are only read."""
    link = reverse("participant_detail", args=["CODE"])
    reader = (translation.get_language(), timezone.get_current_timezone_name())
    return [_sae_row(line, link, reader) for line in lines]


@lru_cache(maxsize=4096)
def _sae_row(line: safety.SaeLine, link: str, reader: tuple[str | None, str]) -> dict[str, str]:
    def moment(value: Any) -> str:
        return shown_moment(value) if value else ""

    # The stored SDTM code (not_recovered) read by its label, in the reader's language.
    outcome = str(Outcome(line.outcome).label) if line.outcome in Outcome.values else line.outcome
    return {
        "code": line.code,
        "url": link.replace("CODE", line.code),
        "term": line.term,
        "grade": "" if line.grade is None else str(line.grade),
        "onset": shown_date(line.onset) if line.onset else "",
        "aware": moment(line.awareness_at),
        "reported": moment(line.reported_at),
        "hours": "" if line.hours is None else shown_number(line.hours, ".1f"),
        "period": line.period,
        "outcome": outcome,
    }


def _pfs_text(estimate: Any) -> dict[str, str]:
    """The median and its 95 % CI in months as the reader writes numbers; a bound the curve
    never reaches is left blank (the template says "not reached")."""
    if estimate is None:
        return {}

    def months(value: float | None) -> str:
        return "" if value is None else shown_number(value, ".1f")

    return {
        "median": months(estimate.median),
        "low": months(estimate.ci_low),
        "high": months(estimate.ci_high),
        "n": str(estimate.n),
        "events": str(estimate.events),
    }
