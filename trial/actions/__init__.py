"""Every write of the trial, one module per concern; views, commands and the domain apps call
these (`from trial import actions; actions.save_crf(...)`), and nothing else writes.

Each action runs in one write session (`write`, trial/actions/session.py): the transaction,
the locks (participant first, then its form rows), the audit context, the form-status
transitions, then at the end the derived values, the journey and the signatures, each once.

- errors: the refusals, and the checks every action makes;
- session: the write session;
- formstatus: the one writer of the form-status table (used by the session);
- crf: save_crf, add_repeat, delete_crf;
- participants: register_participant, change_journey;
- signing: sign_decision (and sign), the signer's password check;
- signature_breaks: signatures broken by a change, and the e-mail that says so;
- locks: forms, events and casebooks locked and unlocked;
- queries: queries and source-data verification;
- accounts: the login log and lockout, the second factor, passwords, preferences;
- administration: the administrator's accounts, sites and dated role assignments;
- jobs: PDF jobs, the reminders' log, the audit-trail review marks and the ledger's filing;
- demo: seed_demo's sites, staff and participants.
"""

from trial.actions.accounts import (
    change_password,
    end_sessions,
    enrol_second_factor,
    lift_lock,
    locked_message,
    log_auth_event,
    record_failure,
    record_failure_durably,
    set_email_reminders,
    set_language,
    verify_second_factor,
)
from trial.actions.administration import (
    apply_assignments,
    apply_role_dates,
    assign_role,
    create_user,
    end_assignment,
    reset_password,
    reset_second_factor,
    save_site,
    set_active,
    update_user,
)
from trial.actions.crf import add_repeat, delete_crf, next_repeat, save_crf
from trial.actions.demo import (
    DEMO_SITES,
    DEMO_STAFF,
    create_demo_staff,
    demo_sites,
    import_demo_journey,
    import_demo_participant,
    mark_complete_for_demo,
)
from trial.actions.errors import (
    AccountLocked,
    ActionRefused,
    Locked,
    ReasonRequired,
    StaleVersion,
    WrongPassword,
    require_reach,
)
from trial.actions.formstatus import ensure_expected_forms
from trial.actions.jobs import (
    JobResult,
    claim_reminders,
    file_review_ledger,
    mark_reviewed,
    pdf_done,
    pdf_failed,
    pdf_progress,
    pdf_requeued,
    request_pdf,
    retry_pdf,
    retry_stored_job,
    run_stored_job,
    start_pdf_job,
)
from trial.actions.locks import (
    lock_casebook,
    lock_event,
    lock_form,
    unlock_casebook,
    unlock_event,
    unlock_form,
)
from trial.actions.participants import change_journey, register_participant
from trial.actions.queries import (
    QUERY_TEXT_MAX,
    answer_query,
    close_query,
    open_query,
    reopen_query,
    verify_items,
)
from trial.actions.session import WriteSession, batch_transaction, current, write
from trial.actions.signature_breaks import notify_signature_breaks, refresh_signatures
from trial.actions.signing import (
    SIGNER_CHECK_VALID,
    SignerVerified,
    decision_for,
    record_signature,
    sign,
    sign_decision,
    signers_checked_once,
    verify_signer,
)
from trial.changes import UNCHANGED, Effects, JourneyChange
from trial.reasons import QUERY_REASON

__all__ = [
    "DEMO_SITES",
    "DEMO_STAFF",
    "QUERY_REASON",
    "QUERY_TEXT_MAX",
    "SIGNER_CHECK_VALID",
    "UNCHANGED",
    "AccountLocked",
    "ActionRefused",
    "Effects",
    "JobResult",
    "JourneyChange",
    "Locked",
    "ReasonRequired",
    "SignerVerified",
    "StaleVersion",
    "WriteSession",
    "WrongPassword",
    "add_repeat",
    "answer_query",
    "apply_assignments",
    "apply_role_dates",
    "assign_role",
    "change_journey",
    "change_password",
    "claim_reminders",
    "close_query",
    "batch_transaction",
    "create_demo_staff",
    "create_user",
    "current",
    "decision_for",
    "delete_crf",
    "demo_sites",
    "end_assignment",
    "end_sessions",
    "enrol_second_factor",
    "file_review_ledger",
    "ensure_expected_forms",
    "import_demo_journey",
    "import_demo_participant",
    "lift_lock",
    "lock_casebook",
    "lock_event",
    "lock_form",
    "locked_message",
    "log_auth_event",
    "mark_complete_for_demo",
    "mark_reviewed",
    "next_repeat",
    "notify_signature_breaks",
    "open_query",
    "pdf_done",
    "pdf_failed",
    "pdf_progress",
    "pdf_requeued",
    "record_failure",
    "record_failure_durably",
    "record_signature",
    "refresh_signatures",
    "register_participant",
    "reopen_query",
    "request_pdf",
    "require_reach",
    "reset_password",
    "reset_second_factor",
    "retry_pdf",
    "retry_stored_job",
    "run_stored_job",
    "save_crf",
    "save_site",
    "set_active",
    "set_email_reminders",
    "set_language",
    "sign",
    "sign_decision",
    "start_pdf_job",
    "unlock_casebook",
    "unlock_event",
    "unlock_form",
    "update_user",
    "verify_items",
    "verify_second_factor",
    "signers_checked_once",
    "verify_signer",
    "write",
]
