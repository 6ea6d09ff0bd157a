"""The administrator's writes (PROTOCOL.md section 6: users, sites, roles): accounts created,
changed, deactivated, their password or second factor reset; sites; dated role assignments.

Each needs a reason and runs in a write session, so the trail names who, why and from where.
The access the pages check (role groups, site memberships) follows the assignments in force
today (`apply_assignments`); whatever may take a right away ends the account's open sessions
(`end_sessions`). An administrator enters no clinical data, and no account holds the
administrator's role together with a clinical one.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from trial import roles
from trial.actions.accounts import end_sessions
from trial.actions.errors import ActionRefused, require_reason, require_role
from trial.actions.session import write
from trial.languages import shown_date
from trial.models import AuditedTOTPDevice, Membership, RoleAssignment, Site

CLINICAL = set(roles.ALL) - {roles.ADMINISTRATOR}


def _may_administer(actor: Any, reason: str) -> str:
    require_role(actor, roles.MANAGE_ACCOUNTS, _("administer accounts, sites and roles"))
    require_reason(reason)
    return reason.strip()


def _checked_password(password: str, user: Any) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise ActionRefused(" ".join(error.messages)) from None


# --- Accounts -------------------------------------------------------------------------------


def create_user(
    actor: Any,
    *,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    password: str,
    reason: str,
) -> Any:
    """A new account, with no role yet (it cannot log in until it is assigned one)."""
    reason = _may_administer(actor, reason)
    model = get_user_model()
    username = username.strip()
    if model.objects.filter(username__iexact=username).exists():
        raise ActionRefused(_("An account with this user name already exists."))
    user = model(username=username, first_name=first_name, last_name=last_name, email=email)
    _checked_password(password, user)
    user.set_password(password)
    with write(actor, reason=reason, command="create_user"):
        user.save()
    return user


def update_user(
    actor: Any, user: Any, *, first_name: str, last_name: str, email: str, reason: str
) -> Any:
    """An account's names and e-mail address."""
    reason = _may_administer(actor, reason)
    with write(actor, reason=reason, command="update_user"):
        user.first_name, user.last_name, user.email = first_name, last_name, email
        user.save(update_fields=["first_name", "last_name", "email"])
    return user


def set_active(actor: Any, user: Any, active: bool, *, reason: str) -> Any:
    """Deactivate an account (its sessions end at their next request) or reactivate it."""
    reason = _may_administer(actor, reason)
    if not active and user.pk == actor.pk:
        raise ActionRefused(_("You cannot deactivate your own account."))
    with write(actor, reason=reason, command="activate_user" if active else "deactivate_user"):
        user.is_active = active
        user.save(update_fields=["is_active"])
        end_sessions(user)
    return user


def reset_password(actor: Any, user: Any, password: str, *, reason: str) -> Any:
    """A new password chosen by the administrator (to hand over in person); the account's
    sessions end."""
    reason = _may_administer(actor, reason)
    _checked_password(password, user)
    with write(actor, reason=reason, command="reset_password"):
        user.set_password(password)
        user.save(update_fields=["password"])
        end_sessions(user)
    return user


def reset_second_factor(actor: Any, user: Any, *, reason: str) -> int:
    """A lost phone: the account's authenticator apps are removed (in the trail), its sessions
    end, and it sets up a new app at its next login. Returns how many were removed."""
    reason = _may_administer(actor, reason)
    with write(actor, reason=reason, command="reset_second_factor"):
        removed, _by_model = AuditedTOTPDevice.objects.filter(user=user).delete()
        end_sessions(user)
    return removed


# --- Sites ----------------------------------------------------------------------------------


def save_site(
    actor: Any,
    site: Site | None,
    *,
    code: str,
    name: str,
    time_zone: str,
    language: str,
    reason: str,
) -> Site:
    """Create a site (site None) or change one."""
    reason = _may_administer(actor, reason)
    code = code.strip().upper()
    clash = Site.objects.filter(code=code)
    if site is not None:
        clash = clash.exclude(pk=site.pk)
    if clash.exists():
        raise ActionRefused(_("A site with this code already exists."))
    with write(actor, reason=reason, command="save_site"):
        site = site or Site()
        site.code, site.name, site.time_zone, site.language = code, name, time_zone, language
        site.save()
    return site


# --- Role assignments -----------------------------------------------------------------------


def _overlaps(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    return (a_end is None or b_start <= a_end) and (b_end is None or a_start <= b_end)


def _check_assignment(user: Any, role: str, starts_on: date, ends_on: date | None, pk=None):
    if role not in roles.ALL:
        raise ActionRefused(_("Unknown role."))
    if ends_on is not None and ends_on < starts_on:
        raise ActionRefused(_("The end date is before the start date."))
    others = RoleAssignment.objects.filter(user=user).exclude(pk=pk)
    for other in others:
        if not _overlaps(starts_on, ends_on, other.starts_on, other.ends_on):
            continue
        # Segregation of duties: the administrator enters and reads no clinical data.
        if (role == roles.ADMINISTRATOR) != (other.role == roles.ADMINISTRATOR):
            raise ActionRefused(
                _(
                    "An account cannot be administrator and hold a clinical role at the same "
                    "time (%(role)s from %(start)s)."
                )
                % {"role": _(other.role), "start": shown_date(other.starts_on)}
            )


def assign_role(
    actor: Any,
    user: Any,
    *,
    role: str,
    site: Site,
    starts_on: date,
    ends_on: date | None,
    reason: str,
) -> RoleAssignment:
    """`user` holds `role` at `site` from `starts_on` to `ends_on` (None: until ended)."""
    reason = _may_administer(actor, reason)
    _check_assignment(user, role, starts_on, ends_on)
    with write(actor, reason=reason, command="assign_role"):
        assignment = RoleAssignment.objects.create(
            user=user, role=role, site=site, starts_on=starts_on, ends_on=ends_on
        )
        # A right added: the pages read the roles at each request, no session to end.
        apply_assignments(user)
    return assignment


def end_assignment(
    actor: Any, assignment: RoleAssignment, *, ends_on: date, reason: str
) -> RoleAssignment:
    """Set (or move) the last day of an assignment; a day before its start is refused."""
    reason = _may_administer(actor, reason)
    _check_assignment(
        assignment.user, assignment.role, assignment.starts_on, ends_on, pk=assignment.pk
    )
    with write(actor, reason=reason, command="end_assignment"):
        assignment = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
        assignment.ends_on = ends_on
        assignment.save(update_fields=["ends_on"])
        if apply_assignments(assignment.user):
            end_sessions(assignment.user)
    return assignment


def apply_assignments(user: Any, today: date | None = None) -> bool:
    """Bring the account's role groups and site memberships to the assignments in force
    `today` (the trial's date). Returns whether anything changed. An account that never had
    an assignment is left as it is (accounts made before assignments, by a migration's
    seeding or a test)."""
    today = today or timezone.localdate()
    assignments = list(RoleAssignment.objects.filter(user=user))
    if not assignments:
        return False
    in_force = [a for a in assignments if a.in_force(today)]
    want_roles = {a.role for a in in_force}
    want_sites = {a.site_id for a in in_force}
    with write(None, command="apply_assignments"):
        have_roles = set(user.groups.values_list("name", flat=True))
        have_sites = set(Membership.objects.filter(user=user).values_list("site_id", flat=True))
        if have_roles != want_roles:
            user.groups.set(Group.objects.filter(name__in=want_roles))
        if have_sites - want_sites:
            Membership.objects.filter(user=user, site_id__in=have_sites - want_sites).delete()
        for site_id in sorted(want_sites - have_sites):
            Membership.objects.create(user=user, site_id=site_id)
        user.__dict__.pop("_edc_roles", None)
    return have_roles != want_roles or have_sites != want_sites


def apply_role_dates(today: date | None = None) -> int:
    """Each morning (Celery beat): the assignments that start or end bring the accounts'
    access along, and end the sessions of those whose access changed. Returns how many."""
    changed = 0
    model = get_user_model()
    for user in model.objects.filter(role_assignments__isnull=False).distinct().order_by("pk"):
        with write(None, reason="role assignment dates", command="apply_role_dates"):
            if apply_assignments(user, today):
                end_sessions(user)
                changed += 1
    return changed
