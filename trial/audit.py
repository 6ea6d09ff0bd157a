"""The audit trail's plumbing: which models are tracked, and the context each event carries.

Every clinical model is decorated with `@audited`: PostgreSQL triggers (django-pghistory) then
record each insert, update and delete, bulk updates and raw SQL included. Who, why, from where
and through which page or command travel in `pghistory.context`: the middleware and the
management commands name the origin (`audit_origin`), and each action opens its own context
(`audit_context`) with the acting user and the reason for change.

The event tables are append-only: pgtrigger's `append_only` triggers (PGHISTORY_APPEND_ONLY)
refuse UPDATE and DELETE; `install_guards` adds what pghistory does not: TRUNCATE refused on
every event table, the context table (who, why, from where) protected from deletion and from
any change once its transaction is over, writes to audited tables refused while a session asks
pgtrigger to skip its triggers, and the functions that write the trail run as their owner, so
the application's role itself needs no write privilege on it (trial/guards.py installs them).
README.md, "The database role", explains the database role that makes this hold against a
determined user too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import pghistory
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def audited(model_class: type) -> type:
    return pghistory.track(
        pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent()
    )(model_class)


# Where the current work comes from (the page and client address of a request, or the
# management command), set by the middleware and by commands; every action's context starts
# from it. Kept here rather than in a pghistory context, so that each action can open a
# context of its own through pghistory's public API.
_origin: ContextVar[dict[str, Any] | None] = ContextVar("edc_audit_origin", default=None)
# The metadata of the action running now, if any: a nested action joins it.
_action: ContextVar[dict[str, Any] | None] = ContextVar("edc_audit_action", default=None)


@contextmanager
def audit_origin(**values: Any) -> Iterator[None]:
    """Name where the work in the block comes from (url and client address, or command),
    without opening an audit context: each action in the block opens its own."""
    outer = _origin.get() or {}
    token = _origin.set({**outer, **{k: v for k, v in values.items() if v not in (None, "")}})
    try:
        yield
    finally:
        _origin.reset(token)


def _user_values(user: Any) -> dict[str, Any]:
    if user is None or getattr(user, "pk", None) is None:
        return {}
    return {"user": user.pk, "username": user.get_username()}


@contextmanager
def audit_context(user: Any = None, reason: str = "", **extra: Any) -> Iterator[None]:
    """Attach the acting user, the reason for change and the command to every row event in
    the block: one action, one pghistory context.

    Each top-level action opens a context of its own, starting from the origin (page and
    client address, or command), so two actions of one request keep their own reasons. An
    action called by another joins the caller's context and adds only what it lacks: it is
    part of the same change, and must not relabel it.
    """
    values: dict[str, Any] = {**extra, **_user_values(user)}
    if reason:
        values["reason"] = reason
    running = _action.get()
    if running is not None:
        missing = {k: v for k, v in values.items() if k not in running}
        if missing:
            running.update(missing)
            pghistory.context(**missing)  # called, not entered: adds to the open context
        yield
        return
    origin = _origin.get() or {}
    # An action run by a management command keeps both names: "seed_demo > save_crf".
    outer_command, command = origin.get("command"), values.get("command")
    if outer_command and command and command != outer_command:
        values["command"] = f"{outer_command} > {command}"
    metadata = {**origin, **values}
    token = _action.set(metadata)
    try:
        with pghistory.context(**metadata):
            yield
    finally:
        _action.reset(token)


# --- Origins as people read them ---------------------------------------------------------
# The context stores where a change came from as code: the action (`command` of a write
# session), after the management command that ran it ("seed_demo > save_crf"). The trail
# keeps the code (it is the record, and the exports carry it as is); the pages show these
# labels instead, in the reader's language. Every origin the code records has one
# (tests/trial/test_trail_words.py greps them).
ORIGINS: dict[str, Any] = {
    # Management commands and background work.
    "seed_demo": _("Demo data"),
    "mark_complete_for_demo": _("Demo data: form marked complete"),
    "send_reminders": _("Visit reminders"),
    "export_audit": _("Audit trail export (command)"),
    "export_data": _("Data export (command)"),
    "export_sdtm": _("SDTM package (command)"),
    "archive": _("Trial archive (command)"),
    "import_labs": _("Laboratory results import"),
    "bench_imaging": _("Performance measurement"),
    "render_pdf": _("PDF preparation"),
    "build_dsmb_report": _("DSMB report preparation"),
    "apply_assignments": _("Dated role assignments applied"),
    "apply_role_dates": _("Role assignment dates applied"),
    # Participants, forms, queries, locks.
    "register_participant": _("Participant registration"),
    "change_journey": _("Participant's journey changed"),
    "save_crf": _("Form saved"),
    "add_repeat": _("Form added"),
    "delete_crf": _("Form deleted"),
    "open_query": _("Query raised"),
    "answer_query": _("Query answered"),
    "close_query": _("Query closed"),
    "reopen_query": _("Query sent back"),
    "verify_items": _("Source data verified"),
    "lock_form": _("Form locked"),
    "unlock_form": _("Form unlocked"),
    "lock_event": _("Visit locked"),
    "unlock_event": _("Visit unlocked"),
    "lock_casebook": _("Casebook locked"),
    "unlock_casebook": _("Casebook unlocked"),
    "mark_reviewed": _("Audit trail reviewed"),
    "end_study": _("End of study"),
    # Signed decisions.
    "sign": _("Signature"),
    "sign_eligibility": _("Eligibility signed"),
    "sign_gate": _("Gate decision signed"),
    "sign_dosimetry_review": _("Dosimetry review signed"),
    "sign_ae_causality": _("Adverse event causality signed"),
    "record_gate_decision": _("Gate decision recorded"),
    # Laboratory import.
    "approve_lab_values": _("Imported laboratory values approved"),
    "reject_lab_values": _("Imported laboratory values rejected"),
    "choose_lab_panel": _("Laboratory panel chosen"),
    "save_csv_columns": _("Laboratory file columns saved"),
    "add_hospital_identifier": _("Hospital identifier added"),
    "remove_hospital_identifier": _("Hospital identifier removed"),
    # Documents.
    "request_pdf": _("PDF requested"),
    "retry_pdf": _("PDF requested again"),
    "request_package": _("SDTM package requested"),
    "retry_package": _("SDTM package requested again"),
    "build_package": _("SDTM package preparation"),
    "request_dsmb_report": _("DSMB report requested"),
    "retry_dsmb_report": _("DSMB report requested again"),
    # Accounts and administration.
    "log_auth_event": _("Login log"),
    "lift_lock": _("Account lock lifted"),
    "record_failure": _("Failed attempt recorded"),
    "enrol_second_factor": _("Second factor set up"),
    "verify_second_factor": _("Second factor confirmed"),
    "change_password": _("Password changed"),
    "set_email_reminders": _("E-mail reminders preference"),
    "set_language": _("Language preference"),
    "create_user": _("Account created"),
    "update_user": _("Account changed"),
    "activate_user": _("Account reactivated"),
    "deactivate_user": _("Account deactivated"),
    "reset_password": _("Password reset"),
    "reset_second_factor": _("Second factor reset"),
    "save_site": _("Site saved"),
    "assign_role": _("Role assigned"),
    "end_assignment": _("Role assignment ended"),
}
# Origins named with a variable part: "export audit_csv", "sign eligibility", "migrate 0013_x".
ORIGIN_PREFIXES: dict[str, Any] = {
    "export": _("Export"),
    "sign": _("Signature"),
    "migrate": _("Database update"),
}
# What a reader sees for an origin no label names: never the function's name.
SYSTEM_ACTION = _("System action")


def origin_label(command: str) -> str:
    """Where a change came from, as the reader's language says it: "seed_demo > save_crf"
    reads "Demo data — form saved". Empty for no origin."""
    parts = [part.strip() for part in str(command or "").split(">") if part.strip()]
    labels = [_one_origin(part) for part in parts]
    # "Demo data — form saved": the later parts continue the phrase (an acronym keeps its
    # capitals).
    labels[1:] = [
        label[:1].lower() + label[1:] if label[1:2].islower() else label for label in labels[1:]
    ]
    return " — ".join(labels)


def _one_origin(code: str) -> str:
    if code in ORIGINS:
        return str(ORIGINS[code])
    prefix, _sep, rest = code.partition(" ")
    if prefix in ORIGIN_PREFIXES and rest:
        what = _variable_origin(prefix, rest)
        if what:
            return gettext("%(what)s: %(detail)s") % {
                "what": ORIGIN_PREFIXES[prefix],
                "detail": what,
            }
        return str(ORIGIN_PREFIXES[prefix])
    return str(SYSTEM_ACTION)


def _variable_origin(prefix: str, rest: str) -> str:
    """The label of an origin's variable part (an export's kind, a signed decision), or ""."""
    # Imported here: the models import this module (`audited`).
    if prefix == "sign":
        from trial import signatures

        signable = signatures.get(rest)
        return str(signable.label) if signable is not None and signable.label else ""
    if prefix == "export":
        from trial.models import ExportKind

        return str(dict(ExportKind.choices).get(rest, ""))
    return ""
