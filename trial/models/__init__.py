"""The trial app's tables, one module per concern; everything is importable from here
(`from trial.models import FormStatus`), and pghistory puts the event models it generates
(`SiteEvent`, `FormStatusEvent`, ...) in this package too.

- sites: sites and memberships;
- participants: participants, the form-status table and the base of every CRF's data model;
- signatures: electronic signatures and their breaks;
- accounts: the login log, preferences, and the account tables in the audit trail;
- queries: queries and source-data verification marks;
- jobs: reminders sent, PDF jobs and the export log;
- review: the audit ledger and the reviewers' marks;
- administration: dated role assignments and each account's access stamp;
- trail: what the database records beside each audit context (role, transaction, time).
"""

from trial.models.accounts import (
    AuditedTOTPDevice,
    AuditedUser,
    AuditedUserGroups,
    AuthEvent,
    AuthEventKind,
    UserPreference,
)
from trial.models.administration import AccessStamp, RoleAssignment
from trial.models.jobs import (
    ExportKind,
    ExportLog,
    PdfJob,
    PdfJobStatus,
    PdfKind,
    ReminderKind,
    ReminderSent,
)
from trial.models.participants import (
    CrfModel,
    ExactDecimalField,
    FormState,
    FormStatus,
    Participant,
    ParticipantStatus,
    exact_decimal,
    optional_decimal,
    yes_no,
)
from trial.models.queries import Query, QueryMessage, QueryMessageKind, QueryState, SdvMark
from trial.models.review import AuditEntry, AuditReview, LedgerQueue
from trial.models.signatures import Signature, SignatureBreak
from trial.models.sites import Membership, Site, default_language
from trial.models.trail import ContextStamp

__all__ = [
    "AccessStamp",
    "ContextStamp",
    "RoleAssignment",
    "AuditEntry",
    "LedgerQueue",
    "AuditReview",
    "AuditedTOTPDevice",
    "AuditedUser",
    "AuditedUserGroups",
    "AuthEvent",
    "AuthEventKind",
    "CrfModel",
    "ExactDecimalField",
    "ExportKind",
    "ExportLog",
    "FormState",
    "FormStatus",
    "Membership",
    "Participant",
    "ParticipantStatus",
    "PdfJob",
    "PdfJobStatus",
    "PdfKind",
    "Query",
    "QueryMessage",
    "QueryMessageKind",
    "QueryState",
    "ReminderKind",
    "ReminderSent",
    "SdvMark",
    "Signature",
    "SignatureBreak",
    "Site",
    "UserPreference",
    "default_language",
    "exact_decimal",
    "optional_decimal",
    "yes_no",
]
