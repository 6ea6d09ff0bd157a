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
