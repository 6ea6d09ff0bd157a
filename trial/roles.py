"""The five roles of PROTOCOL.md section 6, as Django groups created in code (migration 0002)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.utils.translation import gettext_noop

# The group names are stored (and compared) in English; a page shows one in the reader's
# language with gettext (templates: {% translate role %}).
NURSE = gettext_noop("Research nurse")
INVESTIGATOR = gettext_noop("Investigator")
MONITOR = gettext_noop("Monitor")
DATA_MANAGER = gettext_noop("Data manager")
ADMINISTRATOR = gettext_noop("Administrator")

ALL = (NURSE, INVESTIGATOR, MONITOR, DATA_MANAGER, ADMINISTRATOR)

# Who may do what (checked by trial/permissions-style helpers below, never in templates alone).
ENTER_DATA = {NURSE, INVESTIGATOR}
SIGN = {INVESTIGATOR}
READ_CLINICAL = {NURSE, INVESTIGATOR, MONITOR, DATA_MANAGER}
ALL_SITES = {DATA_MANAGER}
LOCK = {DATA_MANAGER}
# Queries: monitors and data managers raise, close and send them back; the site answers.
RAISE_QUERIES = {MONITOR, DATA_MANAGER}
# Source-data verification: the monitors (data managers may too, for a monitor's absence).
VERIFY_SOURCE = {MONITOR, DATA_MANAGER}
# The system audit view: logins, failures, account and role changes.
SYSTEM_AUDIT = {DATA_MANAGER}
# Accounts: see and lift the locks of repeated failed logins.
MANAGE_ACCOUNTS = {ADMINISTRATOR}
# Who must use a second factor (an authenticator app) when settings.EDC_REQUIRE_2FA is on.
SECOND_FACTOR_REQUIRED = {INVESTIGATOR, DATA_MANAGER}


def role_names(user: Any) -> set[str]:
    """The user's role names, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_edc_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._edc_roles = cached
    return cached


def remember_role_names(user: Any, names: Any) -> None:
    """The user's role names, read with the user (trial.accounts' backend): role_names reads
    them without a query for the rest of the request."""
    user._edc_roles = set(names or ())


def has_any(user: Any, roles: set[str]) -> bool:
    return bool(role_names(user) & roles)


def can_enter_data(user: Any) -> bool:
    return has_any(user, ENTER_DATA)


def ensure_groups(sender: Any = None, **kwargs: Any) -> None:
    """Create the role groups if missing (post_migrate).

    Migration 0002 creates them once; this brings them back after a flush, which empties every
    table (Django's transactional tests flush between tests, then send post_migrate).
    """
    for name in ALL:
        Group.objects.get_or_create(name=name)
