"""Audit benchmark: the cost of the audit triggers on a form save.

Saves the same Demographics form 1,000 times on the audited table (pghistory triggers, with the
audit context of user and reason, as save_crf sets it) and 1,000 times on an identical table
without triggers, interleaved in one run, each save its own transaction as in the application;
reports both medians and their ratio.

    .venv/bin/python bench/bench_audit.py [--saves 1000]

The untracked twin is a table created with raw SQL (`CREATE TABLE ... (LIKE ...)` copies the
columns, defaults, constraints and indexes but no trigger) and a model declared here at run time
for a throwaway app label: nothing is added to the project's apps or migrations.
Target (issue 26): the audited save costs at most 1.25 times the plain one (the review
ledger is filed off the save path: the trigger only queues the events).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from _setup import fresh_database, record, summary

TARGET = 1.25


def twins(
    database: str = "edc_bench_audit",
) -> tuple[Callable[..., float], Callable[[int], float], Callable[[], int]]:
    """A fresh, migrated database with one Demographics form and its untracked twin: the
    timed save of each (one transaction per save, the audited one in the nurse's audit
    context as save_crf opens it, or with `context=False` in none), and the count of the
    audited table's events."""
    fresh_database(database)
    from datetime import date
    from decimal import Decimal

    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection, models, transaction

    from eligibility.models import Demographics
    from trial import actions, roles
    from trial.audit import audit_context
    from trial.history import event_model_for
    from trial.models import Membership, Site

    call_command("migrate", verbosity=0)
    site = Site.objects.create(code="BDX", name="CHU de Bordeaux")
    nurse = User.objects.create_user("nurse", password="bench-password-1", first_name="Claire")
    nurse.groups.add(Group.objects.get(name=roles.NURSE))
    Membership.objects.create(user=nurse, site=site)
    participant = actions.register_participant(nurse, site, date(2026, 3, 2))
    row = participant.forms.get(form="DEMOG")
    values = {
        "birth_date": date(1960, 4, 2),
        "sex": "F",
        "height_cm": Decimal("163.0"),
        "weight_kg": Decimal("61.5"),
    }
    audited = Demographics.objects.create(form_status=row, **values)

    plain_table = "bench_plain_demographics"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {plain_table} (LIKE {Demographics._meta.db_table} "
            "INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES INCLUDING IDENTITY)"
        )
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
            [plain_table],
        )
        assert cursor.fetchone()[0] == 0, "the twin table must have no trigger"

    attrs = {
        "__module__": __name__,
        "Meta": type("Meta", (), {"app_label": "bench_audit", "db_table": plain_table}),
    }
    for field in Demographics._meta.local_fields:
        clone = field.clone()
        if isinstance(clone, models.OneToOneField):
            clone.remote_field.related_name = "+"
        attrs[field.name] = clone
    PlainDemographics = type("PlainDemographics", (models.Model,), attrs)
    plain = PlainDemographics.objects.create(form_status=row, **values)

    weights = (Decimal("61.5"), Decimal("62.0"))

    def save_audited(i: int, context: bool = True) -> float:
        audited.weight_kg = weights[i % 2]  # a real change each time: the trigger records it
        started = time.perf_counter()
        with transaction.atomic():
            if context:
                with audit_context(nurse, reason="transcription error"):
                    audited.save()
            else:
                audited.save()
        return (time.perf_counter() - started) * 1000

    def save_plain(i: int) -> float:
        plain.weight_kg = weights[i % 2]
        started = time.perf_counter()
        with transaction.atomic():
            plain.save()
        return (time.perf_counter() - started) * 1000

    events = event_model_for(Demographics)
    return save_audited, save_plain, events.objects.count


def interleaved(
    save_audited: Callable[[int], float], save_plain: Callable[[int], float], saves: int
) -> tuple[list[float], list[float]]:
    """`saves` timed saves of each, one after the other: interleaved, so that a busy moment
    of the machine weighs on both alike."""
    audited_ms, plain_ms = [], []
    for i in range(saves):
        audited_ms.append(save_audited(i))
        plain_ms.append(save_plain(i))
    return audited_ms, plain_ms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--saves", type=int, default=1000)
    parser.add_argument("--warm-up", type=int, default=50)
    args = parser.parse_args()

    save_audited, save_plain, count_events = twins()
    interleaved(save_audited, save_plain, args.warm_up)
    events_before = count_events()
    audited_ms, plain_ms = interleaved(save_audited, save_plain, args.saves)
    recorded = count_events() - events_before
    assert recorded == args.saves, f"expected {args.saves} audit events, got {recorded}"

    audited_median, audited_p95 = summary(audited_ms)
    plain_median, plain_p95 = summary(plain_ms)
    ratio = audited_median / plain_median
    print(f"Form saves: {args.saves} audited and {args.saves} untracked, interleaved, one run")
    print(
        f"  audited  (triggers + context): median {audited_median:.3f} ms, p95 {audited_p95:.3f} ms"
    )
    print(f"  untracked twin table:          median {plain_median:.3f} ms, p95 {plain_p95:.3f} ms")
    print(f"  audit events recorded: {recorded}")
    verdict = "within" if ratio <= TARGET else "ABOVE"
    print(f"  ratio audited / untracked: {ratio:.2f} ({verdict} the {TARGET} target)")
    record(
        "audited save / untracked twin (medians)",
        f"<= {TARGET}",
        f"{ratio:.2f} ({audited_median:.2f} / {plain_median:.2f} ms)",
        ratio <= TARGET,
    )


if __name__ == "__main__":
    main()
