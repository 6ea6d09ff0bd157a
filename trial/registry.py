"""What one domain app offers the others, declared here and filled in each AppConfig.ready().

The domain apps (eligibility, dosing, imaging, followup) import `trial` and never each other:
when one needs another's data (the eligibility rules read the lab panel and the IV cycles; the
dose advice reads the demographics), it asks a typed *fact* declared below, which the app that
holds the data provides. The fact is declared here, so eligibility reading dosing's labs while
dosing reads eligibility's demographics is a dependency of data, never an import between them.
When the participant page shows an app's card (the adverse events), it asks for the registered
panels. An app that is absent leaves its facts empty and its panel out, instead of breaking the
page.

The write session (trial/actions/session.py) reads one more registry here: the *derived-value
refreshes* (`register_refresh`), run once per session over everything it touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar

from trial.changes import Inputs, Touched

if TYPE_CHECKING:
    import random
    from collections.abc import Sequence

    from django.db.models import QuerySet

    from trial.demo import Journey
    from trial.exports.common import Scope
    from trial.models import FormStatus, Participant
    from trial.pdf import Section
    from trial.reminders import Item

P = ParamSpec("P")
R = TypeVar("R")


class Fact(Generic[P, R]):
    """One fact an app offers the others: declared here with its signature, provided by the
    app holding the data (`provide`), read by the others (`provider`, None when no installed
    app offers it)."""

    def __init__(self, name: str, description: str) -> None:
        self.name = name
        self.description = description
        self._provider: Callable[P, R] | None = None

    def provide(self, provider: Callable[P, R] | None) -> None:
        """Offer the fact (None withdraws it: an app's tests that provide one for a while)."""
        self._provider = provider

    @property
    def provider(self) -> Callable[P, R] | None:
        return self._provider

    def __repr__(self) -> str:
        return f"Fact({self.name!r})"


# The facts, with who provides them and who reads them (docs/architecture.md has the table).
LAB_ITEMS: Fact[..., dict[str, Any]] = Fact(
    "lab_items",
    'dosing: {"LAB.<item>": value} of one lab panel (participant, event="ELIG"), canonical '
    "units; read by the eligibility rules",
)
CYCLE_FACTS: Fact[[Participant], list[dict[str, Any]]] = Fact(
    "cycle_facts", "dosing: one dict per IV cycle C1-C4; read by the eligibility rules"
)
DEMOGRAPHICS: Fact[[Participant], dict[str, Any] | None] = Fact(
    "demographics",
    "eligibility: birth date, sex and weight; read by the dose advice and the dosing demo",
)
RECIST_BASELINES: Fact[[list[int]], dict[int, dict[str, Any]]] = Fact(
    "recist_baseline",
    "eligibility: participant id -> RECIST baseline (imaging date, target lesions, non-target "
    "count), for many participants in two queries; read by the follow-up app",
)
IAH_INFUSION: Fact[[Participant], datetime | None] = Fact(
    "iah_infusion", "dosing: the IAH infusion's start; read by the dosimetry form and charts"
)
IAH_NET_ACTIVITY_MBQ: Fact[[Participant], Decimal | None] = Fact(
    "iah_net_activity_mbq", "dosing: the IAH dose's net administered activity (MBq)"
)
IAH_DOSE: Fact[[Participant], tuple[datetime | None, Decimal | None]] = Fact(
    "iah_dose", "dosing: (infusion start, net MBq) in one query; read by the dosimetry page"
)
ROLES_REPORT: Fact[[Scope], tuple[str, bytes]] = Fact(
    "roles_over_time_report",
    "trial (trial/roles_report.py): (file name, CSV bytes) of who held which role "
    "when, for the export's scope; read by the submission archive",
)

FACTS: dict[str, Fact[..., Any]] = {
    fact.name: fact
    for fact in (
        LAB_ITEMS,
        CYCLE_FACTS,
        DEMOGRAPHICS,
        RECIST_BASELINES,
        IAH_INFUSION,
        IAH_NET_ACTIVITY_MBQ,
        IAH_DOSE,
        ROLES_REPORT,
    )
}


def facts(name: str) -> Callable[..., Any] | None:
    """The provider of the fact named `name`, or None (prefer the Fact objects above)."""
    fact = FACTS.get(name)
    return fact.provider if fact is not None else None


@dataclass(frozen=True)
class Panel:
    """A card of the participant page: `context(participant, user)` gives what `template`
    shows. Each panel runs a fixed number of queries, pinned with the page's."""

    name: str
    template: str
    context: Callable[[Participant, Any], dict[str, Any]]
    order: int = 100


PANELS: dict[str, Panel] = {}


def register_panel(panel: Panel) -> None:
    PANELS[panel.name] = panel


def panels() -> list[Panel]:
    return sorted(PANELS.values(), key=lambda panel: (panel.order, panel.name))


@dataclass(frozen=True)
class DemoHooks:
    """An app's part of seed_demo: `fill(participant, journey, rng, user)` for each invented
    participant, then `finish(created)` once every app has filled them all (a step that needs
    other apps' data, such as the eligibility sign-off reading labs and cycles).

    `turns`: name -> which journeys take a turn at something (e.g. the follow-up's three
    courses in turn); the plan tells each journey how many before it took one
    (`journey.turns[name]`), so that a participant's values do not depend on which were
    filled before them."""

    app: str
    fill: Callable[[Participant, Journey, random.Random, Any], None] | None = None
    finish: Callable[[list[tuple[Participant, Journey]]], None] | None = None
    turns: tuple[tuple[str, Callable[[Journey], bool]], ...] = ()


DEMO: dict[str, DemoHooks] = {}


def register_demo(hooks: DemoHooks) -> None:
    DEMO[hooks.app] = hooks


def demo_hooks(order: tuple[str, ...]) -> list[DemoHooks]:
    """The registered demo hooks, apps in `order` first (the journey's order)."""
    rank = {app: i for i, app in enumerate(order)}
    return sorted(DEMO.values(), key=lambda h: (rank.get(h.app, len(rank)), h.app))


# --- Reminders: items an app finds in its own data (the serious AEs of dosing) -------------
# provider(participants, as_of) -> iterable of trial.reminders.Item, where `participants` is a
# queryset of the participants in scope, ended or not (a duty such as reporting a serious AE
# outlives the study), and `as_of` the aware datetime of the run.
# One query per provider, however many participants (the reminder benchmark pins it).
ReminderSource = Callable[["QuerySet[Participant]", datetime], Iterable["Item"]]
REMINDER_SOURCES: dict[str, ReminderSource] = {}


def register_reminder_source(name: str, provider: ReminderSource) -> None:
    REMINDER_SOURCES[name] = provider


def reminder_sources() -> list[ReminderSource]:
    return [REMINDER_SOURCES[name] for name in sorted(REMINDER_SOURCES)]


# --- PDF sections: what an app adds to the participant's casebook (charts) -----------------
# provider(participant, rows) -> list of trial.pdf.Section (title, html: SVG or HTML that
# WeasyPrint renders). The imaging app is meant to give the enhancement ratios and
# time-activity curves, the follow-up app the RECIST sums; an absent app adds nothing.
PdfSectionProvider = Callable[["Participant", "Sequence[FormStatus]"], list["Section"]]
PDF_SECTIONS: dict[str, PdfSectionProvider] = {}


def register_pdf_section(name: str, provider: PdfSectionProvider) -> None:
    PDF_SECTIONS[name] = provider


def pdf_section_providers() -> list[PdfSectionProvider]:
    return [PDF_SECTIONS[name] for name in sorted(PDF_SECTIONS)]


# --- Computed tables: values computed from a form at read time, exported beside it ---------


@dataclass(frozen=True)
class ComputedColumn:
    name: str
    label: str
    kind: str  # the dictionary's type: text, decimal, integer, boolean
    unit: str = ""


@dataclass(frozen=True)
class ComputedTable:
    """Values an app computes from a form when read, never stored (the dosimetry's doses),
    exported in the data CSVs as `<form>__<name>.csv` beside the form's own files.
    `rows(form_rows)` returns, for each form-status row, its computed rows: (key, name,
    {column: value})."""

    form: str
    name: str
    columns: tuple[ComputedColumn, ...]
    rows: Callable[[list[FormStatus]], dict[int, list[tuple[Any, str, dict[str, Any]]]]]


COMPUTED_TABLES: dict[str, ComputedTable] = {}


def register_computed_table(table: ComputedTable) -> None:
    COMPUTED_TABLES[f"{table.form}__{table.name}"] = table


def computed_tables(form: str) -> list[ComputedTable]:
    return [t for key, t in sorted(COMPUTED_TABLES.items()) if t.form == form]


# --- Derived values refreshed by the write session ------------------------------------------


@dataclass(frozen=True)
class RefreshContext:
    """What a refresh reads: the session's participant (locked) and user, what the session
    touched, and `memo(key, compute)`: a value read once per session (inside its locks) and
    shared with the form lookups of the same session."""

    participant: Participant
    user: Any
    touched: Touched
    memo: Callable[[str, Callable[[], Any]], Any]


@dataclass(frozen=True)
class Refresh:
    """A stored derived value kept equal to a fresh computation: whenever a write session
    touches one of its `inputs`, `run(context)` recomputes it, once, at the end of the
    session, and returns the form-status rows whose stored values it changed (the session
    then checks the signatures covering them). Refreshes run in `order`, then name."""

    name: str
    inputs: Inputs
    run: Callable[[RefreshContext], Iterable[FormStatus]]
    order: int = 100


REFRESHES: dict[str, Refresh] = {}


def register_refresh(refresh: Refresh) -> None:
    REFRESHES[refresh.name] = refresh


def refreshes() -> list[Refresh]:
    return sorted(REFRESHES.values(), key=lambda r: (r.order, r.name))


# --- Rows other data depend on ---------------------------------------------------------------


@dataclass(frozen=True)
class RowDependants:
    """What depends on the rows of one item group (form, group): `find(participant, keys)`
    returns {repeat key: [names of what depends on it]} for the keys that something depends
    on (the follow-up assessments measuring a baseline target lesion). The save refuses to
    remove such a row, naming them; the form says so beside the row first."""

    form: str
    group: str
    find: Callable[[Participant, list[Any]], dict[Any, list[str]]]
    # What to do instead, in words (RECIST: mark the lesion not evaluable at those visits).
    instead: Any = ""


ROW_DEPENDANTS: dict[tuple[str, str], list[RowDependants]] = {}


def register_row_dependants(dependants: RowDependants) -> None:
    ROW_DEPENDANTS.setdefault((dependants.form, dependants.group), []).append(dependants)


def row_dependants(form: str, group: str) -> list[RowDependants]:
    return ROW_DEPENDANTS.get((form, group), [])
