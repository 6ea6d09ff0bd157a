"""Where a change came from, as people read it.

The audit context (trial/audit.py) stores the origin as code: the action (`command` of a
write session), after the management command that ran it ("seed_demo > save_crf"). The
trail keeps the code (it is the record, and the exports carry it as is); the pages of the
trail (History, the audit review, the system audit) show these labels instead, in the
reader's language, and keep the code in a data attribute.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from trial import signatures
from trial.models import ExportKind

# Every origin the code records has a label (tests/trial/test_trail_words.py greps them).
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
    "dsmb_report": _("DSMB report (command)"),
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
    if prefix == "sign":
        signable = signatures.get(rest)
        return str(signable.label) if signable is not None and signable.label else ""
    if prefix == "export":
        return str(dict(ExportKind.choices).get(rest, ""))
    return ""
