"""Queries (data clarification) and source-data verification marks."""

from __future__ import annotations

from typing import Any

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from trial.audit import audited
from trial.models.participants import FormStatus, Participant


class QueryState(models.TextChoices):
    # A query that is open (the button "Open" is another word in French).
    OPEN = "open", pgettext_lazy("query state", "Open")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


@audited
class Query(models.Model):
    """A monitor's or data manager's question on one item of a form, or on the whole form.

    It keeps its place (the form-status row and the item's address) whatever the item's value
    becomes; `value_when_raised` lets the page say "changed since the query was raised". Its
    messages are the conversation; the state moves open → answered → closed (re-openable).
    """

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="queries")
    row = models.ForeignKey(FormStatus, on_delete=models.PROTECT, related_name="queries")
    # The item's address within the form ("weight_kg", "target_lesions[2].diameter_mm"); blank
    # for a query on the whole form.
    item = models.CharField(_("item"), max_length=120, blank=True)
    state = models.CharField(max_length=10, choices=QueryState.choices, default=QueryState.OPEN)
    value_when_raised = models.JSONField(null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["participant", "state"]), models.Index(fields=["row"])]

    def __str__(self) -> str:
        return f"Q{self.pk} {self.row_id} {self.item}"

    @property
    def is_open(self) -> bool:
        return self.state != QueryState.CLOSED

    def days_open(self, now: Any = None) -> int:
        end = self.closed_at or now or timezone.now()
        return (end - self.opened_at).days


class QueryMessageKind(models.TextChoices):
    RAISED = "raised", _("Raised")
    ANSWERED = "answered", _("Answered")
    CORRECTED = "corrected", _("Value corrected")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Sent back")


@audited
class QueryMessage(models.Model):
    """One message of a query's conversation: append-only, plain text."""

    query = models.ForeignKey(Query, on_delete=models.PROTECT, related_name="messages")
    kind = models.CharField(max_length=10, choices=QueryMessageKind.choices)
    text = models.TextField(_("message"), max_length=2000, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"{self.query_id} {self.kind}"


# --- Source-data verification, item by item -------------------------------------------------


@audited
class SdvMark(models.Model):
    """A monitor verified one item against the source, as it was then (`value`).

    Append-only: an item is verified while its latest mark's value is its current value; a
    later change leaves the mark in place and shows the item as "changed after verification".
    """

    row = models.ForeignKey(FormStatus, on_delete=models.PROTECT, related_name="sdv_marks")
    item = models.CharField(_("item"), max_length=120)
    value = models.JSONField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["row", "item", "-verified_at"])]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"{self.row_id} {self.item}"
