"""Electronic signatures and their breaks: append-only records (trial/signatures.py seals
and verifies them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trial import signatures
from trial.audit import audited
from trial.models.participants import FormStatus, Participant


@audited
class Signature(models.Model):
    """An electronic signature (21 CFR 11.50, 11.70, 11.200): who signed what, when, meaning what.

    `content` is exactly what was signed (the canonical JSON of trial/signatures.py),
    `content_hash` its SHA-256 and `mac` the seal (HMAC-SHA256 with the server's key) over the
    signer, meaning, time, participant, signed object and content hash. Append-only: a later
    change of the signed data appends a SignatureBreak, a re-signing a new Signature (the
    older one is then superseded: derived, never written).
    """

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="signatures"
    )
    # The form-status row that represents the signed thing (e.g. the ELIGSIGN row), if any.
    row = models.ForeignKey(
        FormStatus, null=True, blank=True, on_delete=models.PROTECT, related_name="signatures"
    )
    kind = models.CharField(_("kind"), max_length=32)
    meaning = models.CharField(_("meaning"), max_length=300)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The name as it was at signing time: a later change of the account does not rewrite it.
    signer_name = models.CharField(_("signer"), max_length=300)
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)
    content = models.JSONField()
    content_hash = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)
    # The participant's signatures form a keyed chain: the n-th signature's link is an HMAC
    # over its seal and the (n-1)-th link (trial/signatures.py chain_link). A signature
    # deleted from the middle leaves a gap in the numbers and a link that no longer verifies;
    # the last one deleted leaves its insert event in the trail (verify_signatures reads both).
    sequence = models.PositiveIntegerField(null=True)
    chain = models.CharField(max_length=64, blank=True, default="")

    # Set by the selectors that read signatures in one statement (not columns).
    first_break_at: datetime | None
    first_break_changes: dict[str, Any] | None
    broken: bool
    stored_sections: dict[str, Any]

    class Meta:
        indexes = [models.Index(fields=["participant", "kind", "-signed_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "sequence"], name="signature_unique_sequence"
            )
        ]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.participant_id} {self.signer_name}"

    @property
    def first_break(self) -> SignatureBreak | None:
        """The break that invalidated this signature, if any. Selectors annotate it
        (first_break_at, first_break_changes) so that a page reads it without a query."""
        if "first_break_at" in self.__dict__:
            if self.first_break_at is None:
                return None
            return SignatureBreak(
                signature=self,
                at=self.first_break_at,
                changes=self.first_break_changes or {},
                mac=self.__dict__.get("first_break_mac") or "",
            )
        return self.breaks.order_by("at", "pk").first()

    @property
    def verdict(self) -> signatures.Verdict:
        """Verified (seal, content hash), then broken or not: see signatures.verify."""
        cached = self.__dict__.get("_verdict")
        if cached is None:
            cached = self.__dict__["_verdict"] = signatures.verify(self)
        return cached

    @property
    def is_valid(self) -> bool:
        """Sealed as signed and not broken since (re-verified on each access)."""
        self.__dict__.pop("_verdict", None)
        return signatures.verify(self).is_valid


@audited
class SignatureBreak(models.Model):
    """A signature's signed data changed after signing: when, and what (key -> [old, new]).

    Written in the transaction of the change that caused it, so its audit event carries that
    change's user and reason. Append-only, like the signature.
    """

    signature = models.ForeignKey(Signature, on_delete=models.PROTECT, related_name="breaks")
    at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField(default=dict, blank=True)
    # Sealed like a signature (trial/signatures.py seal_break): a break the application did not
    # write with the key (a row inserted by hand) is a failure of verify_signatures, not a
    # reason to stop checking the signature's data.
    mac = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["signature", "at"])]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"break of {self.signature_id} at {self.at:%Y-%m-%d %H:%M}"
