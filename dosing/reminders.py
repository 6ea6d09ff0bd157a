"""The dosing app's part of the morning reminders: serious AEs past their reporting deadline."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from dosing.forms import term_display
from dosing.models import SAE_REPORTING_DELAY, AdverseEvent
from trial.languages import shown_moment
from trial.models import FormState, Participant, ReminderKind
from trial.reminders import Item


def unreported_serious_aes(participants: QuerySet[Participant], as_of: datetime) -> list[Item]:
    """Serious AEs not marked reported to the sponsor 24 h after the site became aware: one
    query for every participant given."""
    found = (
        AdverseEvent.objects.filter(
            form_status__participant__in=participants,
            serious=True,
            reported_to_sponsor_at__isnull=True,
            awareness_at__lte=as_of - SAE_REPORTING_DELAY,
        )
        .exclude(form_status__status=FormState.DELETED)
        .select_related("form_status__participant__site")
    )
    items = []
    for ae in found:
        row = ae.form_status
        p = row.participant
        items.append(
            Item(
                p.pk,
                p.code,
                p.site_id,
                ReminderKind.SAE_UNREPORTED,
                f"{row.event}/{row.form}/{row.repeat}",
                _("Serious AE %(term)s: sponsor report was due %(due)s")
                % {
                    # In the language the reminder is written in: "French (English)" in French.
                    "term": term_display(ae.term) if ae.term else f"#{row.repeat}",
                    # In the site's time, named, as every page writes it.
                    "due": shown_moment(ae.awareness_at + SAE_REPORTING_DELAY, p.site.time_zone)
                    if ae.awareness_at
                    else "—",
                },
                reverse("crf_edit", args=[p.code, row.event, row.form, row.repeat]),
            )
        )
    return items
