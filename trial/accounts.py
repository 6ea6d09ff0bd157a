"""Logins for the audit trail and the account lockout (21 CFR 11.300(d)).

Every login, failed login and logout is appended to AuthEvent through Django's auth signals.
Five consecutive failures (at the login page, when re-entering a password to sign, or a wrong
second-factor code) lock the account for 15 minutes: the login form says so plainly, and the
authentication backend refuses a locked account on any other path too (the admin's login page,
for instance). An administrator may lift a lock early (trial/account_views.py).

The second factor (TOTP, django-otp): a user with an authenticator app set up, and, when
settings.EDC_REQUIRE_2FA is on, every investigator and data manager, is logged in in two steps.
The password opens a session marked pending (PASSWORD_OK in the log, which does not reset the
count of failures); SecondFactorMiddleware keeps it to the code page (or the set-up page) until
a right code completes the login (LOGIN).
"""

from __future__ import annotations

import functools
import time
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from trial import actions, languages, roles, selectors
from trial.models import AccessStamp, AuthEventKind

# In the session of a login waiting for its second factor: "verify" (a code of the user's app)
# or "enrol" (required, and no app set up yet).
SECOND_FACTOR_PENDING = "edc_2fa_pending"
# In every session: when its user last did something (trial/middleware.py, IdleTimeout).
LAST_ACTIVITY = "edc_last_activity"
# In every session: the account's access stamp at login (trial/middleware.py, AccessStamp).
ACCESS_VERSION = "edc_access_version"


def access_version(user) -> int:
    """The account's access stamp: read with the user by the backend (no query), else 0."""
    try:
        stamp = user.access_stamp
    except AccessStamp.DoesNotExist:
        return 0
    return stamp.version if stamp is not None else 0


def has_second_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def second_factor_required(user) -> bool:
    return bool(settings.EDC_REQUIRE_2FA) and roles.has_any(user, roles.SECOND_FACTOR_REQUIRED)


def pending_step(user) -> str | None:
    """What a login of `user` still needs after the password, if anything."""
    if has_second_factor(user):
        return "verify"
    if second_factor_required(user):
        return "enrol"
    return None


class LockoutBackend(ModelBackend):
    """The model backend, refusing accounts locked after repeated failures."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username and selectors.locked_until(username) is not None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        """The session's user, with its access stamp (one join), its role names and its
        sites (array subqueries) in the same query: the middleware compares the stamp with the
        session's, every role check of the request reads the roles, and the site scoping
        names the sites in its queries (selectors.participants_for), at no cost. The query is
        written out once: every page runs it, and the ORM took longer to compile it than
        PostgreSQL to answer."""
        model = get_user_model()
        found = list(model._default_manager.raw(_user_sql(model), [user_id]))
        if not found:
            return None
        user = found[0]
        stamp = None
        if user.stamp_user_id is not None:
            stamp = AccessStamp.from_db(
                AccessStamp.objects.db, ["user_id", "version"], [user.pk, user.stamp_version]
            )
            AccessStamp.user.field.set_cached_value(stamp, user)
        # As select_related("access_stamp") leaves it: no row reads as DoesNotExist, no query.
        model.access_stamp.related.set_cached_value(user, stamp)
        roles.remember_role_names(user, user.edc_role_names)
        selectors.remember_site_ids(user, user.edc_site_ids)
        return user if self.user_can_authenticate(user) else None


_USER_SQL = """
SELECT {columns},
    ARRAY(SELECT g.name FROM auth_group g JOIN auth_user_groups ug ON ug.group_id = g.id
          WHERE ug.user_id = u.id) AS edc_role_names,
    ARRAY(SELECT m.site_id FROM trial_membership m WHERE m.user_id = u.id) AS edc_site_ids,
    s.user_id AS stamp_user_id, s.version AS stamp_version
FROM {users} u LEFT JOIN trial_accessstamp s ON s.user_id = u.id
WHERE u.id = %s
"""


@functools.cache
def _user_sql(model: Any) -> str:
    columns = ", ".join(f"u.{f.column}" for f in model._meta.concrete_fields)
    return _USER_SQL.format(columns=columns, users=model._meta.db_table)


class LoginForm(AuthenticationForm):
    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        # An account with no role in force may do nothing here: no session for it.
        if not roles.role_names(user):
            raise forms.ValidationError(
                _("This account has no role at present. Ask an administrator."),
                code="no_role",
            )

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if username:
            until = selectors.locked_until(username)
            if until is not None:
                actions.log_auth_event(AuthEventKind.LOGIN_REFUSED, username, request=self.request)
                raise forms.ValidationError(actions.locked_message(until), code="locked")
        try:
            return super().clean()
        except forms.ValidationError:
            # The failure was just logged (user_login_failed); it may have been the fifth.
            until = selectors.locked_until(username) if username else None
            if until is not None:
                raise forms.ValidationError(actions.locked_message(until), code="locked") from None
            raise


def _logged_in(sender, request, user, **kwargs) -> None:
    step = pending_step(user)
    session = getattr(request, "session", None)
    if session is not None:
        session[LAST_ACTIVITY] = time.time()
        session[ACCESS_VERSION] = access_version(user)
        # Resolved once per login: the pages read it from the session.
        languages.remember(request, user)
    if step is not None and session is not None:
        session[SECOND_FACTOR_PENDING] = step
        actions.log_auth_event(
            AuthEventKind.PASSWORD_OK, user.get_username(), user=user, request=request
        )
        return
    actions.log_auth_event(AuthEventKind.LOGIN, user.get_username(), user=user, request=request)


def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = str(credentials.get("username") or credentials.get("email") or "")
    if selectors.locked_until(username) is not None:
        # Attempts on a locked account are logged but do not extend the count.
        actions.log_auth_event(AuthEventKind.LOGIN_REFUSED, username, request=request)
    else:
        actions.record_failure(AuthEventKind.LOGIN_FAILED, username, request=request)


def _logged_out(sender, request, user, **kwargs) -> None:
    # An idle session's end is logged as such (trial/middleware.py), not as a logout.
    if user is not None and not getattr(request, "edc_session_expired", False):
        actions.log_auth_event(
            AuthEventKind.LOGOUT, user.get_username(), user=user, request=request
        )


def connect_signals() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="edc-auth-login")
    user_login_failed.connect(_login_failed, dispatch_uid="edc-auth-login-failed")
    user_logged_out.connect(_logged_out, dispatch_uid="edc-auth-logout")
