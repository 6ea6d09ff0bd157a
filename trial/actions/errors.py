"""What every action checks before it writes, and the refusals it raises.

A refusal's message is shown to the user as it is: next to the form, on the page they used.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from trial import roles, selectors
from trial.models import FormState, FormStatus, Participant


class ActionRefused(Exception):
    """A write that the rules forbid; the message is shown to the user as it is."""


class StaleVersion(ActionRefused):
    pass


class ReasonRequired(ActionRefused):
    pass


class Locked(ActionRefused):
    pass


class WrongPassword(ActionRefused):
    """The password re-entered to sign is wrong; the attempt is logged and counts towards
    the account lockout shared with logins."""


class AccountLocked(ActionRefused):
    pass


def require_role(user: Any, allowed: set[str] | frozenset[str], what: str) -> None:
    if not roles.has_any(user, set(allowed)):
        raise ActionRefused(_("Your role does not allow you to %(what)s.") % {"what": what})


def require_reason(reason: str) -> None:
    if not reason or not reason.strip():
        raise ReasonRequired(_("Give a reason."))


def require_reach(user: Any, participant: Participant) -> None:
    # Same scoping as the pages: a participant of another site is out of reach.
    if not selectors.participants_for(user).filter(pk=participant.pk).exists():
        raise ActionRefused(_("This participant is not in your sites."))


def check_writable(row: FormStatus, participant: Participant) -> None:
    """A locked casebook or form, or a deleted entry, takes no change."""
    if participant.locked_at is not None:
        raise Locked(_("This casebook is locked; a data manager must unlock it first."))
    if row.locked_at is not None:
        raise Locked(_("This form is locked; a data manager must unlock it first."))
    if row.status == FormState.DELETED:
        raise ActionRefused(_("This entry was deleted; it can no longer be changed."))
