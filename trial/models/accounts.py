"""The login log, a person's own preferences, and the account tables in the audit trail."""

from __future__ import annotations

from datetime import datetime

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from trial.audit import audited


class AuthEventKind(models.TextChoices):
    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGIN_REFUSED = "login_refused", _("Login refused: account locked")
    LOGOUT = "logout", _("Logged out")
    SIGNED = "signed", _("Signed")
    SIGNATURE_FAILED = "signature_failed", _("Failed signature (wrong password)")
    LOCKED = "locked", _("Account locked after repeated failures")
    UNLOCKED = "unlocked", _("Lock lifted by an administrator")
    PASSWORD_OK = "password_ok", _("Password accepted, second factor pending")
    OTP_FAILED = "otp_failed", _("Failed second factor (wrong code)")
    OTP_ENROLLED = "otp_enrolled", _("Second factor (authenticator app) set up")
    SESSION_EXPIRED = "session_expired", _("Session ended after inactivity")
    SESSION_ENDED = "session_ended", _("Session ended: the account's access changed")


class AuthEvent(models.Model):
    """Logins, failed logins, logouts, signature attempts and account locks: append-only.

    The account lockout is computed from this log (no mutable counter to tamper with).
    """

    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=20, choices=AuthEventKind.choices)
    # As typed at the login page: failed attempts may name no existing account.
    username = models.CharField(max_length=150)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    client_address = models.CharField(max_length=45, blank=True)
    url = models.CharField(max_length=200, blank=True)
    detail = models.CharField(max_length=200, blank=True)
    # Who acted on the account, when not its owner: the administrator who lifted a lock.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    # Set by the selector of the locks page (not a column).
    until: datetime

    class Meta:
        indexes = [models.Index(fields=["username", "-at"]), models.Index(fields=["-at"])]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.username}"


# --- Accounts and roles in the audit trail -------------------------------------------------
# Triggers on a third-party model would need a migration in django.contrib.auth; on a proxy
# model they live in this app's migrations and still fire on the auth tables.


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    # A password change is recorded without the hash; logins (last_login) are in AuthEvent.
    pghistory.UpdateEvent("password_change", condition=pgtrigger.AnyChange("password")),
    exclude=["password", "last_login"],
    model_name="UserEvent",
)
class AuditedUser(User):
    class Meta:
        proxy = True


@pghistory.track(
    pghistory.InsertEvent("role.add"),
    pghistory.DeleteEvent("role.remove"),
    obj_field=None,
    model_name="UserGroupsEvent",
)
# The stubs type the auto-created through model as a name they cannot resolve.
class AuditedUserGroups(User.groups.through):  # type: ignore[name-defined]
    class Meta:
        proxy = True


# A second factor set up (an authenticator app), renamed, or removed (an administrator, for a
# lost phone): in the trail, without its secret key or its counters.
@pghistory.track(
    pghistory.InsertEvent("totp.add"),
    pghistory.UpdateEvent(
        "totp.change", condition=pgtrigger.AnyChange("name", "confirmed", "user")
    ),
    pghistory.DeleteEvent("totp.remove"),
    exclude=[
        "key",
        "last_t",
        "drift",
        "throttling_failure_timestamp",
        "throttling_failure_count",
        "last_used_at",
    ],
    model_name="TOTPDeviceEvent",
)
class AuditedTOTPDevice(TOTPDevice):
    class Meta:
        proxy = True


@audited
class UserPreference(models.Model):
    """What a person chose for themselves: reminders by e-mail, or only in the app's To do."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference"
    )
    email_reminders = models.BooleanField(_("send me the daily reminder e-mail"), default=True)
    # Blank: the language of the person's site (trial/languages.py).
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, blank=True, default=""
    )

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"
