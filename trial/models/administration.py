"""What the administrator manages besides accounts and sites: dated role assignments, and
each account's access stamp (what ends its open sessions)."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from trial import roles
from trial.audit import audited
from trial.models.sites import Site


@audited
class RoleAssignment(models.Model):
    """A person held `role` at `site` from `starts_on` to `ends_on` (both days included;
    no end: still holds it). A data manager is assigned at their own site and reads every
    site by their role (PROTOCOL.md section 6).

    The assignments are the record an inspector reads (who held which role when); the
    access the pages check (the role groups and the site memberships) is derived from the
    assignments in force today (trial.actions.administration.apply_assignments).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=40, choices=[(r, _(r)) for r in roles.ALL])
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="role_assignments", verbose_name=_("site")
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"), null=True, blank=True)

    class Meta:
        ordering = ["user_id", "starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="roleassignment_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role}@{self.site_id} {self.starts_on}..{self.ends_on}"

    def in_force(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class AccessStamp(models.Model):
    """A counter moved on whenever an account's right to its sessions may have changed (a
    lock, a deactivation, a change of roles or sites, a password or second factor reset).

    A session remembers the stamp of its login; trial.middleware.AccessStampMiddleware ends
    a session whose stamp is no longer the account's. The authentication backend reads the
    stamp with the user (one join), so a page costs no query for it.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="access_stamp",
    )
    version = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"access stamp {self.version} of {self.user_id}"
