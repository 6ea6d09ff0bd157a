"""The registry of case report forms: which data model and form class serve each form code.

The schedule names form codes; each app registers its forms here from its AppConfig.ready(),
so the generic create/edit view, the participant page and (later) exports and PDFs find every
form the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trial.forms import CrfForm
    from trial.models import CrfModel


@dataclass(frozen=True)
class Crf:
    code: str
    model: type[CrfModel]
    form_class: type[CrfForm]
    # The field whose value is the event's actual date (e.g. a cycle's administration date).
    event_date_field: str | None = None
    template: str = "trial/crf_form.html"
    # Called inside save_crf's transaction after the data and status are saved:
    # after_save(user, row, instance). For follow-on writes of the owning app.
    after_save: Callable[[Any, Any, Any], None] | None = None
    # Extra template context for the edit page: context(participant, row, form) -> dict.
    context: Callable[[Any, Any, Any], dict] | None = None


REGISTRY: dict[str, Crf] = {}


def register(crf: Crf) -> None:
    REGISTRY[crf.code] = crf


def get(code: str) -> Crf | None:
    return REGISTRY.get(code)
