"""What one domain app offers the others, declared here and filled in each AppConfig.ready().

The domain apps (eligibility, dosing, imaging, followup) import `trial` and never each other:
when one needs another's data (the eligibility rules read the lab panel and the IV cycles; the
dose advice reads the demographics), it asks for a named fact provider; when the participant
page shows an app's card (the adverse events), it asks for the registered panels. An app that
is absent leaves its facts empty and its panel out, instead of breaking the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

FACT_PROVIDERS: dict[str, Callable[..., Any]] = {}


def register_facts(name: str, provider: Callable[..., Any]) -> None:
    """Offer `provider` under `name`, e.g. "lab_items", "cycle_facts", "demographics"."""
    FACT_PROVIDERS[name] = provider


def facts(name: str) -> Callable[..., Any] | None:
    """The provider registered under `name`, or None when no installed app offers it."""
    return FACT_PROVIDERS.get(name)


@dataclass(frozen=True)
class Panel:
    """A card of the participant page: `context(participant, user)` gives what `template`
    shows. Each panel runs a fixed number of queries, pinned with the page's."""

    name: str
    template: str
    context: Callable[[Any, Any], dict[str, Any]]
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
    other apps' data, such as the eligibility sign-off reading labs and cycles)."""

    app: str
    fill: Callable[..., None] | None = None
    finish: Callable[..., None] | None = None


DEMO: dict[str, DemoHooks] = {}


def register_demo(hooks: DemoHooks) -> None:
    DEMO[hooks.app] = hooks


def demo_hooks(order: tuple[str, ...]) -> list[DemoHooks]:
    """The registered demo hooks, apps in `order` first (the journey's order)."""
    rank = {app: i for i, app in enumerate(order)}
    return sorted(DEMO.values(), key=lambda h: (rank.get(h.app, len(rank)), h.app))


# --- Reminders: items an app finds in its own data (the serious AEs of dosing) -------------
# provider(participants, as_of) -> iterable of trial.reminders.Item, where `participants` is a
# queryset of the participants still in the study and `as_of` the aware datetime of the run.
# One query per provider, however many participants (the reminder benchmark pins it).
REMINDER_SOURCES: dict[str, Callable[..., Any]] = {}


def register_reminder_source(name: str, provider: Callable[..., Any]) -> None:
    REMINDER_SOURCES[name] = provider


def reminder_sources() -> list[Callable[..., Any]]:
    return [REMINDER_SOURCES[name] for name in sorted(REMINDER_SOURCES)]


# --- PDF sections: what an app adds to the participant's casebook (charts) -----------------
# provider(participant, rows) -> list of trial.pdf.Section (title, html: SVG or HTML that
# WeasyPrint renders). The imaging app is meant to give the enhancement ratios and
# time-activity curves, the follow-up app the RECIST sums; an absent app adds nothing.
PDF_SECTIONS: dict[str, Callable[..., Any]] = {}


def register_pdf_section(name: str, provider: Callable[..., Any]) -> None:
    PDF_SECTIONS[name] = provider


def pdf_section_providers() -> list[Callable[..., Any]]:
    return [PDF_SECTIONS[name] for name in sorted(PDF_SECTIONS)]
