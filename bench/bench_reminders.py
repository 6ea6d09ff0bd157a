"""Reminder benchmark: the morning computation for many participants.

    .venv/bin/python bench/bench_reminders.py [--participants 10000]

A fresh database gets that many participants spread over every stage of the journey (screening,
cycles, enrolled, follow-up), each with its form-status rows, some started, some missed, a few
serious AEs; then `trial.reminders.compute` runs for one morning, timed, with its SQL queries
counted, at a tenth of the size and at full size (the count must not grow).
Target (issue 13): under 10 s for 10,000 participants, a fixed number of queries.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, timedelta

from _setup import fresh_database, record

TARGET_S = 10.0


def populate(n: int, site, user, start: int = 0) -> None:
    from django.db import connection

    from trial import schedule
    from trial.models import FormState, FormStatus, Participant

    # Bench data only: the audit triggers are not what is measured, and would make the
    # 200,000 form-status inserts take many minutes (superuser session of the private server).
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    rng = random.Random(13 + start)
    today = date(2026, 12, 1)
    people = []
    for i in range(start, start + n):
        screening = today - timedelta(days=rng.randint(0, 700))
        dates = {"SCR": screening.isoformat()}
        stage = rng.choice(["screening", "cycles", "enrolled", "follow_up"])
        status = schedule.SCREENING
        c = screening
        for k in range(1, 5 if stage != "screening" else rng.randint(1, 4)):
            c = c + timedelta(weeks=8)
            if c > today:
                break
            dates[f"C{k}"] = c.isoformat()
        if stage in ("enrolled", "follow_up") and "C4" in dates:
            status = schedule.ENROLLED
            pet = date.fromisoformat(dates["C4"]) + timedelta(weeks=2)
            if pet <= today:
                dates["PET-IAH"] = pet.isoformat()
                dates["PET-IV"] = (pet + timedelta(days=7)).isoformat()
            if stage == "follow_up":
                status = schedule.FOLLOW_UP
        people.append(
            Participant(
                site=site,
                code=f"BDX-{i + 1:05d}",
                sequence=i + 1,
                status=status,
                screening_date=screening,
                event_dates=dates,
                created_by=user,
            )
        )
    Participant.objects.bulk_create(people, batch_size=2000)
    rows = []
    for p in Participant.objects.filter(sequence__gt=start, sequence__lte=start + n):
        done = set(p.event_dates)
        for event in schedule.applicable_events(p.status, "", p.dates):
            for form in event.forms:
                if event.code in done:
                    state = FormState.COMPLETE
                else:
                    state = rng.choices(
                        [FormState.NOT_STARTED, FormState.MISSED, FormState.IN_PROGRESS],
                        [90, 5, 5],
                    )[0]
                rows.append(FormStatus(participant=p, event=event.code, form=form, status=state))
    FormStatus.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = DEFAULT")
        # Statistics, as a live database has them (autovacuum): else the planner guesses.
        cursor.execute("ANALYZE trial_participant, trial_formstatus")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=10000)
    args = parser.parse_args()
    fresh_database("bench_reminders")
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from trial import reminders
    from trial.models import Site

    call_command("migrate", verbosity=0)
    site = Site.objects.create(code="BDX", name="CHU de Bordeaux")
    user = User.objects.create_user("bench")
    as_of = reminders.as_of_day(date(2026, 12, 1))
    small = args.participants // 10
    t0 = time.perf_counter()
    populate(small, site, user)
    for label, size in (("small", small), ("full", args.participants)):
        if label == "full":
            populate(args.participants - small, site, user, start=small)
            print(
                f"populated {args.participants} participants in {time.perf_counter() - t0:.0f} s",
                flush=True,
            )
        reminders.compute(as_of)  # warm (imports, registry)
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            items = reminders.compute(as_of)
            seconds = time.perf_counter() - start
        kinds: dict[str, int] = {}
        for item in items:
            kinds[str(item.kind)] = kinds.get(str(item.kind), 0) + 1
        print(
            f"{size:>6} participants: {seconds:.2f} s, {len(queries)} queries, "
            f"{len(items)} items {dict(sorted(kinds.items()))}",
            flush=True,
        )
    verdict = "OK" if seconds < TARGET_S else "TOO SLOW"
    print(f"target < {TARGET_S:.0f} s for {args.participants}: {verdict}")
    record(
        f"reminders, {args.participants} participants",
        f"< {TARGET_S:.0f} s",
        f"{seconds:.2f} s",
        seconds < TARGET_S,
    )


if __name__ == "__main__":
    main()
