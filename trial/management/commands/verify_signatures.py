"""Verify every electronic signature: its record against its seal and content hash, and for
each current unbroken signature, the signed data as it stands now against what was signed.

    manage.py verify_signatures

Prints one line per failure (participant, kind, signer, why) and exits 1 if any; otherwise
prints how many signatures were verified and exits 0. A change of the signed data that no
break records (an edit of the database around the application) is a failure.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from trial import signatures
from trial.models import Signature, SignatureBreak


class Command(BaseCommand):
    help = "Verify the seal of every signature and the data of every current signature."

    def handle(self, *args, **options) -> None:
        broken_ids = set(SignatureBreak.objects.values_list("signature_id", flat=True))
        latest: dict[tuple[int, str], int] = {}
        failures = checked = 0
        queryset = Signature.objects.select_related("participant").order_by(
            "participant_id", "kind", "signed_at", "pk"
        )
        all_signatures = list(queryset.iterator(chunk_size=200))
        for signature in all_signatures:
            latest[(signature.participant_id, signature.kind)] = signature.pk
        for signature in all_signatures:
            checked += 1
            why = signatures.record_fault(signature)
            if why:
                why = f"record altered ({why})"
            elif (
                latest[(signature.participant_id, signature.kind)] == signature.pk
                and signature.pk not in broken_ids
            ):
                why = self._data_fault(signature)
            if why:
                failures += 1
                self.stdout.write(
                    f"FAIL {signature.participant.code} {signature.kind} "
                    f"signer={signature.signer_name} (user {signature.signer_id}) "
                    f"signed_at={signature.signed_at.isoformat()}: {why}"
                )
        if failures:
            raise CommandError(f"{failures} of {checked} signatures failed verification.")
        self.stdout.write(f"{checked} signatures verified.")

    @staticmethod
    def _data_fault(signature: Signature) -> str:
        signable = signatures.get(signature.kind)
        if signable is None:
            return "unknown kind: its data cannot be recomputed"
        content = signatures.normalise(signable.payload(signature.participant))
        if signatures.digest(content) == signature.content_hash:
            return ""
        changed = ", ".join(sorted(signatures.diff(signature.content, content))[:5])
        return f"the signed data changed without a recorded break ({changed})"
