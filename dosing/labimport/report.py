"""What an import says: one line per result, then a summary (the command's output, and the
upload page's summary line)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dosing.labimport.actions import ImportOutcome
from dosing.labimport.queue import Entry
from dosing.labimport.words import FLAG_LABELS
from trial.languages import shown_date


def stored(entry: Entry) -> tuple[str, str]:
    """The value as the panel would store it and its unit (as reported when nothing maps it)."""
    resolved = entry.resolved
    if resolved.entered is None:
        return str(entry.value.value.normalize()), entry.value.unit
    return str(resolved.entered), resolved.shown_unit


def line(entry: Entry) -> str:
    """participant, sample date, item, value as stored, unit, flags: tab-separated."""
    value, unit = stored(entry)
    return "\t".join(
        (
            entry.value.participant.code,
            entry.value.sample_date.isoformat(),
            entry.label,
            value,
            unit or "-",
            ",".join(entry.flags) or "-",
        )
    )


def lines(outcome: ImportOutcome) -> list[str]:
    return [line(entry) for entry in outcome.entries]


def flag_words(entry: Entry) -> list[str]:
    return [str(FLAG_LABELS[flag]) for flag in entry.flags]


def summary(outcome: ImportOutcome) -> str:
    words = {"file": outcome.name, "sha": outcome.sha256}
    if outcome.already is not None:
        return _(
            "%(file)s was already imported on %(when)s (sha256 %(sha)s): nothing new queued."
        ) % {**words, "when": shown_date(timezone.localdate(outcome.already.imported_at))}
    if outcome.refused:
        return ngettext(
            "%(file)s refused: %(count)s problem, nothing queued.",
            "%(file)s refused: %(count)s problems, nothing queued.",
            len(outcome.problems),
        ) % {**words, "count": len(outcome.problems)}
    counts = {
        **words,
        "results": len(outcome.entries),
        "participants": len(outcome.participants),
        "flagged": outcome.flagged,
    }
    if outcome.dry_run:
        return (
            _(
                "Dry run of %(file)s: %(results)s results of %(participants)s participants "
                "would be queued, %(flagged)s flagged; nothing written."
            )
            % counts
        )
    return (
        _(
            "%(file)s imported (sha256 %(sha)s): %(results)s results of %(participants)s "
            "participants queued for approval, %(flagged)s flagged."
        )
        % counts
    )
