"""The roles-over-time report, for an inspection: per site, who held which role when, who
assigned it and why, and who set its end and why. Read from the role assignments and their
audit events; written as CSV (this module) and PDF (trial.pdf.roles_pdf). The trial's archive
includes it (trial.registry.ROLES_REPORT, provided in trial.apps)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from trial import trail_context
from trial.history import event_model_of
from trial.models import Participant, RoleAssignment, Site

FILE_NAME = "roles-over-time.csv"

HEADER = (
    "site",
    "username",
    "name",
    "role",
    "from",
    "to",
    "assigned_by",
    "assigned_at_utc",
    "assignment_reason",
    "end_set_by",
    "end_reason",
)


@dataclass(frozen=True)
class Held:
    site: str
    username: str
    name: str
    role: str
    starts_on: date
    ends_on: date | None
    assigned_by: str
    assigned_at: datetime | None
    reason: str
    end_set_by: str
    end_reason: str

    def as_row(self) -> tuple[str, ...]:
        at = (
            self.assigned_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            if self.assigned_at
            else ""
        )
        return (
            self.site,
            self.username,
            self.name,
            self.role,
            self.starts_on.isoformat(),
            self.ends_on.isoformat() if self.ends_on else "",
            self.assigned_by,
            at,
            self.reason,
            self.end_set_by,
            self.end_reason,
        )


def _who(metadata: dict[str, Any]) -> str:
    return str(metadata.get("username") or ("system" if metadata else ""))


def held(site_ids: Iterable[int] | None = None) -> list[Held]:
    """Every assignment of the sites (None: every site), by site, start, person and role."""
    found = RoleAssignment.objects.select_related("user", "site")
    if site_ids is not None:
        found = found.filter(site_id__in=list(site_ids))
    assignments = list(found.order_by("site__code", "starts_on", "user__username", "role", "pk"))
    events = event_model_of(RoleAssignment)
    assigned: dict[int, tuple[str, datetime, str]] = {}
    ended: dict[int, tuple[str, str]] = {}
    previous_end: dict[int, Any] = {}
    for event in (
        events.objects.filter(pgh_obj_id__in=[a.pk for a in assignments])
        .select_related("pgh_context")
        .order_by("pgh_id")
    ):
        metadata = trail_context.metadata(event)
        if event.pgh_label == "insert":
            assigned[event.pgh_obj_id] = (
                _who(metadata),
                event.pgh_created_at,
                str(metadata.get("reason", "")),
            )
        elif event.ends_on != previous_end.get(event.pgh_obj_id):
            ended[event.pgh_obj_id] = (_who(metadata), str(metadata.get("reason", "")))
        previous_end[event.pgh_obj_id] = event.ends_on
    rows = []
    for a in assignments:
        by, at, reason = assigned.get(a.pk, ("", None, ""))
        end_by, end_reason = ended.get(a.pk, ("", ""))
        rows.append(
            Held(
                site=a.site.code,
                username=a.user.get_username(),
                name=a.user.get_full_name(),
                role=a.role,
                starts_on=a.starts_on,
                ends_on=a.ends_on,
                assigned_by=by,
                assigned_at=at,
                reason=reason,
                end_set_by=end_by,
                end_reason=end_reason,
            )
        )
    return rows


def csv_bytes(rows: list[Held]) -> bytes:
    """The report as CSV (UTF-8, comma-separated, ISO dates; roles by their stored name)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(row.as_row() for row in rows)
    return out.getvalue().encode("utf-8")


def sites_of_scope(scope: Any) -> list[int] | None:
    """The sites an export covers: its site, its participants' sites, or every site."""
    if getattr(scope, "site", None) is not None:
        return [scope.site.pk]
    if getattr(scope, "participant_ids", None) is not None:
        return sorted(
            set(
                Participant.objects.filter(pk__in=scope.participant_ids).values_list(
                    "site_id", flat=True
                )
            )
        )
    return None


def for_scope(scope: Any) -> tuple[str, bytes]:
    """The fact trial.registry.ROLES_REPORT: (file name, CSV) for an export's scope."""
    return FILE_NAME, csv_bytes(held(sites_of_scope(scope)))


def site_choices() -> list[Site]:
    return list(Site.objects.order_by("code"))
