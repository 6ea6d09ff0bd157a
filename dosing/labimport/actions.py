"""Every write of the lab import: importing a file into the queue, approving values into their
panel (through the CRF's own save, trial.actions.save_crf), rejecting them, choosing a panel by
hand, and the site's CSV columns and hospital identifiers.

Each runs in one write session (trial.actions.write): one transaction, one audit context, the
participant locked first, like every write of trial.actions.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePath
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from dosing.forms import LabForm
from dosing.labimport import csv as csv_reader
from dosing.labimport import fhir as fhir_reader
from dosing.labimport import flags, queue
from dosing.labimport.models import (
    FileKind,
    HospitalIdentifier,
    ImportedLabValue,
    LabImportFile,
    SiteCsvColumns,
    ValueState,
)
from dosing.labimport.observations import PARTICIPANT_SYSTEM, Observation, Problem, Reading
from dosing.labimport.words import FLAG_LABELS
from dosing.models import LabPanel
from trial import actions as trial_actions
from trial import crf as crf_registry
from trial import roles, selectors
from trial.actions import ActionRefused, ReasonRequired, StaleVersion
from trial.audit import audit_context
from trial.crf import model_field
from trial.models import FormState, FormStatus, Participant, Site

# Who brings files in: the site staff and the data managers (PROTOCOL.md section 6).
IMPORT_ROLES = {roles.NURSE, roles.INVESTIGATOR, roles.DATA_MANAGER}
# Who keeps the hospital identifiers of a participant.
LINK_ROLES = {roles.NURSE, roles.INVESTIGATOR, roles.DATA_MANAGER}
# A lab export is kilobytes; a larger file is no lab file.
MAX_FILE_BYTES = 5 * 1024 * 1024
# The largest number a queued value holds (24 digits, 9 after the point).
MAX_VALUE = Decimal(10) ** 15


class NeedsConfirmation(ActionRefused):
    """The lab form found values to confirm (unusual, dated after the cycle...): approving
    again with the confirmation saves them."""


def _require(user: Any, allowed: set[str], what: str) -> None:
    if user is not None and not roles.has_any(user, allowed):
        raise ActionRefused(_("Your role does not allow you to %(what)s.") % {"what": what})


# --- Import ---------------------------------------------------------------------------------


@dataclass
class ImportOutcome:
    """What an import did, or would do (dry run), or why it refused the file."""

    name: str
    sha256: str
    kind: str
    dry_run: bool
    problems: list[Problem] = field(default_factory=list)
    entries: list[queue.Entry] = field(default_factory=list)
    file: LabImportFile | None = None
    already: LabImportFile | None = None

    @property
    def refused(self) -> bool:
        return bool(self.problems)

    @property
    def queued(self) -> int:
        return 0 if self.dry_run or self.refused or self.already else len(self.entries)

    @property
    def flagged(self) -> int:
        return sum(1 for entry in self.entries if entry.flags)

    @property
    def participants(self) -> list[Participant]:
        seen: dict[int, Participant] = {}
        for entry in self.entries:
            seen.setdefault(entry.value.participant_id, entry.value.participant)
        return sorted(seen.values(), key=lambda p: p.code)


def file_kind(name: str, content: bytes) -> str:
    """FHIR for .json (or a file starting with "{"), CSV otherwise."""
    suffix = PurePath(name).suffix.lower()
    if suffix == ".json":
        return FileKind.FHIR
    if suffix in (".csv", ".txt", ".tsv"):
        return FileKind.CSV
    return FileKind.FHIR if content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{" else FileKind.CSV


def csv_columns(site: Site | None) -> csv_reader.Columns:
    """The site's CSV columns, or the default header when it has none."""
    found = SiteCsvColumns.objects.filter(site=site).first() if site is not None else None
    if found is None:
        return csv_reader.Columns()
    return csv_reader.Columns(
        participant=found.participant,
        sampled_at=found.sampled_at,
        code=found.code,
        value=found.value,
        unit=found.unit,
        low=found.low,
        high=found.high,
        delimiter=found.delimiter,
    )


def import_file(
    user: Any, name: str, content: bytes, *, site: Site | None = None, dry_run: bool = False
) -> ImportOutcome:
    """Read a lab file and queue every value it holds for approval, or refuse it whole with
    every problem listed. The same file (same SHA-256) a second time queues nothing.

    `user` None: the system (a management command run without --user), every site in reach.
    `site`: the participants must be of this site, and a CSV is read with its columns."""
    _require(user, IMPORT_ROLES, _("import lab results"))
    if (
        user is not None
        and site is not None
        and not selectors.visible_sites(user).filter(pk=site.pk).exists()
    ):
        raise ActionRefused(_("This site is not one of yours."))
    name = PurePath(name.replace("\\", "/")).name[:255] or "upload"
    sha256 = hashlib.sha256(content).hexdigest()
    kind = file_kind(name, content)
    outcome = ImportOutcome(name, sha256, kind, dry_run)
    outcome.already = LabImportFile.objects.filter(sha256=sha256).first()
    if outcome.already is not None:
        return outcome
    if len(content) > MAX_FILE_BYTES:
        outcome.problems.append(
            Problem("", _("The file is larger than %(size)s MB.") % {"size": MAX_FILE_BYTES >> 20})
        )
        return outcome
    reading = (
        fhir_reader.read(content)
        if kind == FileKind.FHIR
        else csv_reader.read(content, csv_columns(site))
    )
    values = _queued_values(user, site, reading)
    outcome.problems = reading.problems
    if outcome.refused:
        return outcome
    outcome.entries = _preview(values)
    if dry_run:
        return outcome
    try:
        imported = LabImportFile(
            site=site,
            name=name,
            sha256=sha256,
            kind=kind,
            size=len(content),
            content=content,
            observation_count=len(values),
            imported_by=user,
        )
        with trial_actions.write(user, reason=imported.reason, command="import_labs"):
            imported.save()
            for value in values:
                value.file = imported
            ImportedLabValue.objects.bulk_create(values)
    except IntegrityError:
        # The same file, imported by someone else at the same moment.
        outcome.already = LabImportFile.objects.filter(sha256=sha256).first()
        if outcome.already is None:
            raise
        return outcome
    outcome.file = imported
    return outcome


def _queued_values(user: Any, site: Site | None, reading: Reading) -> list[ImportedLabValue]:
    """The values to queue, one per observation; every observation whose participant is
    unknown (or out of reach), whose sample date is in the future or whose value is too large
    for the queue adds a problem to the reading."""
    by_code, links = _participants(user, site, reading.observations)
    identifier_system = (
        SiteCsvColumns.objects.filter(site=site).values_list("identifier_system", flat=True).first()
        if site is not None and reading.kind == FileKind.CSV
        else None
    )
    values = []
    for observation in reading.observations:
        where = _where(reading.kind, observation.position)
        participant = _participant_of(observation, by_code, links, identifier_system)
        if participant is None:
            reading.problems.append(
                Problem(
                    where,
                    _(
                        "no participant %(subject)s in your sites (a participant code, or a "
                        "hospital identifier linked to a participant)."
                    )
                    % {"subject": _subject(observation)},
                )
            )
            continue
        zone = ZoneInfo(participant.site.time_zone)
        sampled_at = observation.sampled_at
        if sampled_at is not None and timezone.is_naive(sampled_at):
            sampled_at = timezone.make_aware(sampled_at, zone)
        sample_date = sampled_at.astimezone(zone).date() if sampled_at else observation.sample_date
        if sample_date > timezone.localdate(timezone=zone):
            reading.problems.append(
                Problem(
                    where, _("the sample date %(date)s is in the future.") % {"date": sample_date}
                )
            )
            continue
        too_large = [
            n
            for n in (observation.value, observation.low, observation.high)
            if n is not None and abs(n) >= MAX_VALUE
        ]
        if too_large:
            reading.problems.append(
                Problem(where, _("the value %(value)s is too large.") % {"value": too_large[0]})
            )
            continue
        values.append(
            ImportedLabValue(
                participant=participant,
                position=observation.position,
                resource_id=observation.resource_id[:64],
                code_system=observation.code_system[:200],
                code=observation.code[:100],
                display=observation.display[:300],
                sample_date=sample_date,
                sampled_at=sampled_at,
                value=observation.value,
                comparator=observation.comparator,
                unit=observation.unit[:40],
                low=observation.low,
                high=observation.high,
                range_unit=observation.range_unit[:40],
                status=observation.status[:20],
            )
        )
    return values


def _where(kind: str, position: int) -> str:
    if kind == FileKind.CSV:
        return _("line %(line)s") % {"line": position}
    return _("entry %(number)s") % {"number": position}


def _subject(observation: Observation) -> str:
    if observation.subject_system and observation.subject_system != PARTICIPANT_SYSTEM:
        return f"“{observation.subject_system}|{observation.subject}”"
    return f"“{observation.subject}”"


def _reach(user: Any, site: Site | None):
    found = (
        Participant.objects.select_related("site")
        if user is None
        else selectors.participants_for(user)
    )
    return found.filter(site=site) if site is not None else found


def _participants(
    user: Any, site: Site | None, observations: list[Observation]
) -> tuple[dict[str, Participant], dict[tuple[str, str], Participant]]:
    """The participants in reach named by code, and those named by a hospital identifier
    ((system, value) -> participant): two queries."""
    codes = {o.subject for o in observations if o.subject_system in ("", PARTICIPANT_SYSTEM)}
    by_code = {p.code: p for p in _reach(user, site).filter(code__in=codes)}
    links = HospitalIdentifier.objects.filter(
        value__in={o.subject for o in observations}, participant__in=_reach(user, site)
    ).select_related("participant__site")
    return by_code, {(link.system, link.value): link.participant for link in links}


def _participant_of(
    observation: Observation,
    by_code: dict[str, Participant],
    links: dict[tuple[str, str], Participant],
    identifier_system: str | None,
) -> Participant | None:
    system = observation.subject_system
    if system in ("", PARTICIPANT_SYSTEM) and observation.subject in by_code:
        return by_code[observation.subject]
    if system == "" and identifier_system:
        system = identifier_system
    return links.get((system, observation.subject))


def _preview(values: list[ImportedLabValue]) -> list[queue.Entry]:
    """The entries the values will make in their participants' queues (flags included)."""
    by_participant: dict[int, list[ImportedLabValue]] = defaultdict(list)
    for value in values:
        by_participant[value.participant_id].append(value)
    entries = []
    for values_of in by_participant.values():
        participant = values_of[0].participant
        earlier = list(
            ImportedLabValue.objects.filter(participant=participant).select_related("file")
        )
        entries += queue.assess(
            participant, values_of, queue.lab_rows(participant), earlier=earlier
        )
    return sorted(entries, key=lambda entry: entry.value.position)


# --- Decisions --------------------------------------------------------------------------------


def _pending(user: Any, participant: Participant, value_ids: list[int]) -> list[ImportedLabValue]:
    """The values, locked for the decision; refused unless every one is pending and the
    participant's."""
    if participant.locked_at is not None:
        raise trial_actions.Locked(
            _("This casebook is locked; a data manager must unlock it first.")
        )
    if not value_ids:
        raise ActionRefused(_("Choose the values first."))
    values = list(
        ImportedLabValue.objects.select_for_update()
        .select_related("file")
        .filter(pk__in=value_ids, participant=participant)
        .order_by("pk")
    )
    if len(values) != len(set(value_ids)):
        raise ActionRefused(_("Some of these values are not in this participant's queue."))
    if any(not value.is_pending for value in values):
        raise ActionRefused(
            _(
                "Someone decided on some of these values meanwhile; the queue shows them as "
                "they are now."
            )
        )
    return values


def approve(
    user: Any,
    participant: Participant,
    value_ids: list[int],
    *,
    confirmed: bool = False,
    versions: dict[int, int] | None = None,
) -> list[FormStatus]:
    """Write the values into their panels through the lab form and the CRF's own save
    (trial.actions.save_crf), each panel's current values kept, with the reason "imported
    from <file> (sha256 ...)"; then mark them approved. All or nothing.

    `versions`: the panel versions the person saw (row pk -> version); a panel saved since
    is refused. `confirmed`: the person confirmed the values the lab form finds unusual."""
    _require(user, roles.ENTER_DATA, _("enter data"))
    with trial_actions.write(user, participant, command="approve_lab_values") as w:
        participant = w.participant
        values = _pending(user, participant, value_ids)
        others = list(
            ImportedLabValue.objects.filter(participant=participant)
            .exclude(pk__in=[v.pk for v in values])
            .select_related("file")
        )
        entries = queue.assess(participant, values, queue.lab_rows(participant), earlier=others)
        for entry in entries:
            if entry.blocked:
                raise ActionRefused(
                    _("%(item)s cannot be approved: %(flags)s.")
                    % {
                        "item": entry.label,
                        "flags": ", ".join(
                            str(FLAG_LABELS[f]) for f in entry.flags if f in flags.BLOCKING
                        ),
                    }
                )
        warned = [entry for entry in entries if entry.warned]
        if warned and not confirmed:
            raise NeedsConfirmation(
                _("Confirm that you checked the flagged values: %(values)s.")
                % {
                    "values": "; ".join(
                        f"{entry.label} ({', '.join(str(FLAG_LABELS[f]) for f in entry.flags)})"
                        for entry in warned
                    )
                }
            )
        by_row: dict[int, list[queue.Entry]] = defaultdict(list)
        for entry in entries:
            assert entry.row is not None  # refused above: every value has its panel
            by_row[entry.row.pk].append(entry)
        reason = "; ".join(sorted({entry.value.file.reason for entry in entries}))
        written = []
        with audit_context(user, reason=reason, command="approve_lab_values"):
            for entries_of_row in by_row.values():
                written.append(
                    _write_panel(user, participant, entries_of_row, reason, confirmed, versions)
                )
            now = timezone.now()
            for entry in entries:
                value = entry.value
                value.state, value.decided_at, value.decided_by = ValueState.APPROVED, now, user
                value.written_row = entry.row
                value.save(update_fields=["state", "decided_at", "decided_by", "written_row"])
    return written


def _write_panel(
    user: Any,
    participant: Participant,
    entries: list[queue.Entry],
    reason: str,
    confirmed: bool,
    versions: dict[int, int] | None,
) -> FormStatus:
    target = entries[0].row
    assert target is not None  # grouped by their panel's row
    row = FormStatus.objects.select_for_update().get(pk=target.pk)
    if versions is not None and versions.get(row.pk, row.version) != row.version:
        raise StaleVersion(
            _("This panel was saved since the queue was shown; review it and approve again.")
        )
    seen: dict[str, queue.Entry] = {}
    for entry in entries:
        item = entry.resolved.item
        assert item is not None  # refused above: every value is mapped
        key = item.key
        if key in seen:
            raise ActionRefused(
                _("Two values of %(item)s wait for this panel: approve or reject them one by one.")
                % {"item": entry.label}
            )
        seen[key] = entry
    panel = LabPanel.objects.filter(form_status=row).first()
    posted = _current_post(panel)
    for entry in entries:
        resolved = queue.resolve(entry.value, panel)
        for name, value in queue.form_values(resolved).items():
            posted[f"crf-{name}"] = "" if value is None else str(value)
    if not posted.get("crf-sample_date"):
        posted["crf-sample_date"] = entries[0].value.sample_date.isoformat()
    if confirmed:
        posted["crf-confirm_unusual"] = "on"
    # Complete when the panel then holds everything a complete panel needs, else a draft.
    form = crf_registry.bind(row, participant, posted, complete=True)
    complete = form.is_valid()
    if not complete:
        form = crf_registry.bind(row, participant, posted, complete=False)
        if not form.is_valid():
            raise _refusal(form)
    trial_actions.save_crf(
        user, row, form.crf_data(), expected_version=row.version, reason=reason, complete=complete
    )
    return row


def _current_post(panel: LabPanel | None) -> dict[str, str]:
    """The lab form's POST with the panel's current values as typed (nothing typed lost)."""
    posted = {}
    for name in cast(Any, LabForm)._meta.fields:
        # An empty panel: the form's defaults (the units shown before anything is typed).
        value = getattr(panel, name) if panel is not None else _default(name)
        if value is None:
            continue
        posted[f"crf-{name}"] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return posted


def _default(name: str) -> Any:
    default = model_field(LabPanel, name).get_default()
    return default if default not in (None, "") else None


def _refusal(form: Any) -> ActionRefused:
    warnings_only = form.needs_confirmation
    messages = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            messages.append(f"{label}: {error}" if label else str(error))
    if warnings_only:
        return NeedsConfirmation(
            _("Confirm to approve: %(messages)s") % {"messages": " ".join(messages)}
        )
    return ActionRefused(
        _("The lab form refuses these values: %(messages)s") % {"messages": " ".join(messages)}
    )


def reject(user: Any, participant: Participant, value_ids: list[int], *, reason: str) -> int:
    """Reject values with a reason: they stay in the queue's history, never in a panel."""
    _require(user, roles.ENTER_DATA, _("enter data"))
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired(_("Give a reason for rejecting."))
    with trial_actions.write(user, participant, reason=reason, command="reject_lab_values") as w:
        values = _pending(user, w.participant, value_ids)
        now = timezone.now()
        for value in values:
            value.state, value.decided_at, value.decided_by = ValueState.REJECTED, now, user
            value.rejection_reason = reason[:300]
            value.save(update_fields=["state", "decided_at", "decided_by", "rejection_reason"])
    return len(values)


def choose_panel(
    user: Any, participant: Participant, value_ids: list[int], row: FormStatus | None
) -> int:
    """The panel a person chose for values (None: back to the panel of the sample date's
    window)."""
    _require(user, roles.ENTER_DATA, _("enter data"))
    if row is not None and (
        row.participant_id != participant.pk or row.form != "LAB" or row.status == FormState.DELETED
    ):
        raise ActionRefused(_("Choose one of this participant's lab panels."))
    with trial_actions.write(user, participant, command="choose_lab_panel") as w:
        values = _pending(user, w.participant, value_ids)
        for value in values:
            value.chosen_row = row
            value.save(update_fields=["chosen_row"])
    return len(values)


# --- Mapping: the site's CSV columns and the hospital identifiers -----------------------------


CSV_FIELDS = (
    "participant",
    "sampled_at",
    "code",
    "value",
    "unit",
    "low",
    "high",
    "delimiter",
    "identifier_system",
)


def save_csv_columns(user: Any, site: Site, values: dict[str, str]) -> SiteCsvColumns:
    """The header of each column of the site's lab CSV (data managers)."""
    _require(user, {roles.DATA_MANAGER}, _("change the lab import settings"))
    with trial_actions.write(user, command="save_csv_columns"):
        found = SiteCsvColumns.objects.select_for_update().filter(site=site).first()
        if found is None:
            return SiteCsvColumns.objects.create(site=site, **{k: values[k] for k in CSV_FIELDS})
        changed = [k for k in CSV_FIELDS if getattr(found, k) != values[k]]
        for name in changed:
            setattr(found, name, values[name])
        if changed:
            found.save(update_fields=changed)
        return found


def add_identifier(
    user: Any, participant: Participant, system: str, value: str
) -> HospitalIdentifier:
    """Link a hospital identifier to the participant."""
    _require(user, LINK_ROLES, _("change hospital identifiers"))
    system, value = system.strip(), value.strip()
    if not system or not value:
        raise ActionRefused(_("Give the identifier system and the identifier."))
    if system == PARTICIPANT_SYSTEM:
        raise ActionRefused(
            _("This system names participants by their code: choose the hospital's.")
        )
    with trial_actions.write(user, participant, command="add_hospital_identifier") as w:
        taken = (
            HospitalIdentifier.objects.select_for_update()
            .filter(system=system, value=value)
            .first()
        )
        if taken is not None:
            raise ActionRefused(_("This identifier already names a participant."))
        return HospitalIdentifier.objects.create(
            participant=w.participant, system=system, value=value, added_by=user
        )


def remove_identifier(
    user: Any, participant: Participant, identifier_id: int, *, reason: str
) -> None:
    _require(user, LINK_ROLES, _("change hospital identifiers"))
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired(_("Give a reason for removing the identifier."))
    with trial_actions.write(
        user, participant, reason=reason, command="remove_hospital_identifier"
    ):
        link = (
            HospitalIdentifier.objects.select_for_update()
            .filter(pk=identifier_id, participant=participant)
            .first()
        )
        if link is None:
            raise ActionRefused(_("This identifier is not one of this participant's."))
        link.delete()
