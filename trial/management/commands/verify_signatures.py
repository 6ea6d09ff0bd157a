"""Verify every electronic signature: its record against its seal and content hash, its
place in its participant's keyed chain, every break against its seal, no signature gone
that the audit trail saw inserted, and for each current signature no valid break has
broken, the signed data as it stands now against what was signed.

    manage.py verify_signatures

Prints one line per failure (participant, kind, signer, why) and exits 1 if any; otherwise
prints how many signatures were verified and exits 0. A change of the signed data that no
break records (an edit of the database around the application), a deleted signature, and a
break not sealed by the application (a row inserted by hand) are failures.
"""

from __future__ import annotations

from collections import defaultdict

from django.core.management.base import BaseCommand, CommandError

from trial import signatures
from trial.history import event_model_of
from trial.models import Participant, Signature, SignatureBreak


class Command(BaseCommand):
    help = "Verify the seal of every signature and the data of every current signature."

    def handle(self, *args, **options) -> None:
        all_signatures = list(
            Signature.objects.select_related("participant", "row")
            .order_by("participant_id", "sequence", "signed_at", "pk")
            .iterator(chunk_size=200)
        )
        by_id = {signature.pk: signature for signature in all_signatures}
        failures = [*self._deleted(set(by_id))]
        breaks: dict[int, list[SignatureBreak]] = defaultdict(list)
        for brk in SignatureBreak.objects.order_by("at", "pk"):
            breaks[brk.signature_id].append(brk)
        chains: dict[int, list[Signature]] = defaultdict(list)
        latest: dict[tuple[int, str], Signature] = {}
        for signature in sorted(all_signatures, key=lambda s: (s.signed_at, s.pk)):
            chains[signature.participant_id].append(signature)
            latest[(signature.participant_id, signatures.current_key(signature))] = signature
        chain_faults: dict[int, str] = {}
        for chain in chains.values():
            chain_faults.update(
                signatures.chain_faults(sorted(chain, key=lambda s: (s.sequence or 0, s.pk)))
            )
        current = {signature.pk for signature in latest.values()}
        for signature in all_signatures:
            for why in self._faults(signature, breaks.get(signature.pk, []), chain_faults):
                failures.append(self._line(signature, why))
            if (
                signature.pk in current
                and not self._validly_broken(signature, breaks.get(signature.pk, []))
                and (why := self._data_fault(signature))
            ):
                failures.append(self._line(signature, why))
        for line in failures:
            self.stdout.write(line)
        if failures:
            raise CommandError(f"{len(failures)} failures among {len(all_signatures)} signatures.")
        self.stdout.write(f"{len(all_signatures)} signatures verified.")

    @staticmethod
    def _line(signature: Signature, why: str) -> str:
        return (
            f"FAIL {signature.participant.code} {signature.kind} "
            f"signer={signature.signer_name} (user {signature.signer_id}) "
            f"signed_at={signature.signed_at.isoformat()}: {why}"
        )

    @staticmethod
    def _faults(
        signature: Signature, breaks: list[SignatureBreak], chain_faults: dict[int, str]
    ) -> list[str]:
        faults = []
        if why := signatures.record_fault(signature):
            faults.append(f"record altered ({why})")
        if signature.pk in chain_faults:
            faults.append(f"chain of signatures broken ({chain_faults[signature.pk]})")
        for brk in breaks:
            if why := signatures.break_fault(brk, signature):
                faults.append(f"break {brk.pk} at {brk.at.isoformat()}: {why}")
        return faults

    @staticmethod
    def _validly_broken(signature: Signature, breaks: list[SignatureBreak]) -> bool:
        return any(not signatures.break_fault(brk, signature) for brk in breaks)

    @staticmethod
    def _deleted(present: set[int]) -> list[str]:
        """Signatures the audit trail saw inserted that are no longer there."""
        events = event_model_of(Signature)
        inserted = (
            events.objects.filter(pgh_label="insert")
            .exclude(pgh_obj_id__in=present)
            .values_list("pgh_obj_id", "participant_id", "kind", "signer_name", "signed_at")
        )
        codes = dict(Participant.objects.values_list("pk", "code"))
        return [
            f"FAIL {codes.get(pid, pid)} {kind} signer={signer} signed_at={at.isoformat()}: "
            f"signature {pk} deleted (its insert is in the audit trail)"
            for pk, pid, kind, signer, at in inserted
        ]

    @staticmethod
    def _data_fault(signature: Signature) -> str:
        signable = signatures.get(signature.kind)
        if signable is None:
            return "unknown kind: its data cannot be recomputed"
        if signable.per_row and signature.row is None:
            return "signed per row, but its row is gone"
        content = signatures.normalise(signable.payload_of(signature.participant, signature.row))
        if signatures.digest(content) == signature.content_hash:
            return ""
        changed = ", ".join(sorted(signatures.diff(signature.content, content))[:5])
        return f"the signed data changed without a recorded break ({changed})"
