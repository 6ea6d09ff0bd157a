"""Accounts: the login log and the account lockout, the second factor, passwords, and what a
person chooses for themselves. Each write runs in a write session (no participant), so every
change carries who did it and why in the audit trail.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from trial import roles, selectors
from trial.actions.errors import ActionRefused, require_reason, require_role
from trial.actions.session import write
from trial.addresses import client_address
from trial.languages import available, shown_moment
from trial.models import AccessStamp, AuthEvent, AuthEventKind, UserPreference


def log_auth_event(
    kind: str,
    username: str,
    *,
    user: Any = None,
    request: Any = None,
    detail: str = "",
    actor: Any = None,
) -> AuthEvent:
    """Append a login, logout, failed attempt or lock to the authentication log."""
    with write(actor or user, command="log_auth_event"):
        return AuthEvent.objects.create(
            kind=kind,
            username=(username or "")[:150],
            user=user if getattr(user, "pk", None) else None,
            client_address=client_address(request)[:45] if request is not None else "",
            url=(request.path if request is not None else "")[:200],
            detail=detail[:200],
            actor=actor if getattr(actor, "pk", None) else None,
        )


def end_sessions(user: Any) -> None:
    """Move the account's access stamp on: each of its open sessions ends at its next
    request (trial.middleware.AccessStampMiddleware). In the caller's transaction."""
    stamp, created = AccessStamp.objects.get_or_create(user_id=user.pk, defaults={"version": 1})
    if not created:
        AccessStamp.objects.filter(pk=stamp.pk).update(version=F("version") + 1)


def _serialize_username(username: str) -> None:
    # One lockout decision at a time per username, even under parallel attempts.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"edc-auth:{username}"])


def lift_lock(actor: Any, username: str, *, reason: str, request: Any = None) -> AuthEvent | None:
    """An administrator ends an account's lock before its 15 minutes are over.

    Appends an UNLOCKED event (who lifted it, why, from where), which also starts the count of
    failures again. Returns None when the account is not locked (nothing to lift).
    """
    require_role(actor, roles.MANAGE_ACCOUNTS, _("lift account locks"))
    require_reason(reason)
    with write(actor, reason=reason.strip(), command="lift_lock"):
        _serialize_username(username)
        if selectors.locked_until(username) is None:
            return None
        user = get_user_model().objects.filter(username=username).first()
        return log_auth_event(
            AuthEventKind.UNLOCKED,
            username,
            user=user,
            request=request,
            detail=reason.strip(),
            actor=actor,
        )


def record_failure(
    kind: str, username: str, *, user: Any = None, request: Any = None
) -> datetime | None:
    """Log a failed login or signature; lock the account at the fifth consecutive failure.

    Returns the end of the lock when the account is (now) locked, else None.
    """
    with write(None, command="record_failure"):
        _serialize_username(username)
        if user is None:
            user = get_user_model().objects.filter(username=username).first()
        log_auth_event(kind, username, user=user, request=request)
        if selectors.consecutive_failures(username) >= selectors.MAX_FAILURES:
            log_auth_event(AuthEventKind.LOCKED, username, user=user, request=request)
            if user is not None:
                # A lock ends the account's open sessions too, not only its next login.
                end_sessions(user)
    return selectors.locked_until(username)


def _in_caller_transaction() -> bool:
    """Inside a transaction of the caller (not the test case's own wrapper), whose rollback
    would take a record written now with it."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def record_failure_durably(
    kind: str, username: str, *, user: Any = None, request: Any = None
) -> datetime | None:
    """record_failure, committed even when the caller's transaction later rolls back.

    Outside a transaction it is record_failure. Inside one, the record is written by another
    thread, hence on another database connection, which commits on its own: a rollback of the
    caller cannot erase a failed attempt, so guessing passwords always counts.
    """
    if not _in_caller_transaction():
        return record_failure(kind, username, user=user, request=request)
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            # Never wait forever on a lock the caller's transaction might hold: the caller
            # waits for this thread.
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '10s'")
            outcome["until"] = record_failure(kind, username, user=user, request=request)
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
            outcome["error"] = error
        finally:
            connections.close_all()

    # A new thread starts with an empty context: no write session of the caller's to join.
    thread = threading.Thread(target=run, name="edc-auth-failure")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["until"]


def locked_message(until: datetime) -> str:
    return _(
        "This account is locked after %(count)s failed attempts. Try again after %(time)s, "
        "or ask an administrator."
    ) % {"count": selectors.MAX_FAILURES, "time": shown_moment(until)}


# --- The second factor ----------------------------------------------------------------------


def enrol_second_factor(user: Any, device: TOTPDevice, token: str, *, request: Any = None) -> bool:
    """Set up an authenticator app: `device` (not saved yet, its key offered to the user) is
    saved when `token` is a right code of it, and the set-up is logged. Returns whether it
    was."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp()
    if not totp.verify(int(token), device.tolerance):
        return False
    device.last_t = totp.t()  # this code is spent
    with write(user, command="enrol_second_factor"):
        device.save()
        log_auth_event(AuthEventKind.OTP_ENROLLED, user.get_username(), user=user, request=request)
    return True


def verify_second_factor(user: Any, token: str) -> TOTPDevice | None:
    """The user's app, when `token` is a right code of it (the device records the code as
    spent, or counts the failure for its throttling); else None."""
    with write(user, command="verify_second_factor"):
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=True)
            .order_by("pk")
            .first()
        )
        if device is not None and device.verify_token(token):
            return device
    return None


def change_password(user: Any, form: Any) -> Any:
    """Save a password change form (Django's PasswordChangeForm, validated): the new hash is
    written in a write session, so the trail's password change names who and from where."""
    with write(user, command="change_password"):
        return form.save()


# --- What a person chooses for themselves ------------------------------------------------


def set_email_reminders(user: Any, enabled: bool) -> None:
    """A person's own choice: the daily reminder e-mail, or only the in-app To do list."""
    with write(user, command="set_email_reminders"):
        pref, _created = UserPreference.objects.select_for_update().get_or_create(user=user)
        if pref.email_reminders != enabled:
            pref.email_reminders = enabled
            pref.save(update_fields=["email_reminders"])


def set_language(user: Any, language: str) -> None:
    """A person's own choice of language; blank means the language of their site."""
    if language and language not in available():
        raise ActionRefused(_("This language is not available."))
    with write(user, command="set_language"):
        pref, _created = UserPreference.objects.select_for_update().get_or_create(user=user)
        if pref.language != language:
            pref.language = language
            pref.save(update_fields=["language"])
