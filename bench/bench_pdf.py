"""PDF benchmark: one filled form, the casebook of the participant with the longest journey,
and the blank CRF book, rendered as the worker renders them (trial/pdf.py), pages and seconds.

    .venv/bin/python bench/bench_pdf.py [--participants 12]

A fresh database gets the demo participants (seed_demo: every app's forms, signatures);
the casebook is the one of the participant with the most forms entered.
Targets (issue 13): one form < 1 s, the casebook < 8 s, the blank book < 10 s.
"""

from __future__ import annotations

import argparse
import time

from _setup import fresh_database, record

TARGETS = {"form": 1.0, "casebook": 8.0, "blank book": 10.0}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=3, help="runs per PDF; the best is kept")
    args = parser.parse_args()
    fresh_database("bench_pdf")
    from django.core.management import call_command
    from django.db.models import Count, Q

    from trial import pdf
    from trial.models import FormState, Participant

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--participants", str(args.participants), verbosity=0)
    participant = (
        Participant.objects.select_related("site")
        .annotate(n=Count("forms", filter=~Q(forms__status=FormState.NOT_STARTED)))
        .order_by("-n")
        .first()
    )
    row = (
        participant.forms.filter(event="SCR", form="DEMOG")
        .select_related("participant__site")
        .first()
    )
    print(f"participant {participant.code}: {participant.n} forms entered, {participant.status}")
    pdf.blank_book_pdf()  # warm: imports, fonts
    cases = {
        "form": lambda: pdf.form_pdf(row),
        "casebook": lambda: pdf.casebook_pdf(participant),
        "blank book": lambda: pdf.blank_book_pdf(),
    }
    for name, render in cases.items():
        best, rendered = float("inf"), None
        for _ in range(args.repeat):
            start = time.perf_counter()
            rendered = render()
            best = min(best, time.perf_counter() - start)
        verdict = "OK" if best < TARGETS[name] else "TOO SLOW"
        print(
            f"{name:>10}: {rendered.pages:>4} pages, {best:.2f} s, "
            f"{len(rendered.content) / 1024:.0f} KiB (target < {TARGETS[name]:.0f} s: {verdict})"
        )
        record(f"PDF: {name}", f"< {TARGETS[name]:.0f} s", f"{best:.2f} s", best < TARGETS[name])


if __name__ == "__main__":
    main()
