"""Imaging benchmark: the gate page, the dosimetry page and the study view.

A small real demo (seed_demo, whose participants go through the forms and the signed gate)
gives the gate and dosimetry pages; then PET rows for `--participants` more participants are
bulk-loaded (written directly: only the study view reads them) so that the study view plots
that many ratios. Reports the median and p95 server time and the SQL query count of each page.

    .venv/bin/python bench/bench_imaging.py [--participants 500] [--requests 100]

Target (issue 10): median under 50 ms for each page with 500 participants.
"""

from __future__ import annotations

import argparse
import random
import time

from _setup import fresh_database, record, summary

TARGET_MS = 50


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=500)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--demo", type=int, default=18)
    args = parser.parse_args()

    fresh_database("edc_bench_imaging")
    from datetime import date
    from decimal import Decimal

    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from imaging.models import Dosimetry, Gate, LesionSuv, OrganSuv, PetScan
    from trial import actions
    from trial.audit import audit_origin
    from trial.models import FormStatus, Site

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("seed_demo", "--participants", str(args.demo), "--seed", "7", verbosity=0)
    print(f"seed_demo --participants {args.demo}: {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    rng = random.Random(3)
    nurse = User.objects.get(username="nurse")
    site = Site.objects.get(code="BDX")
    with audit_origin(command="bench_imaging"), transaction.atomic():
        people = [
            actions.register_participant(nurse, site, date(2026, 3, 2))
            for _ in range(args.participants)
        ]
        rows = FormStatus.objects.bulk_create(
            FormStatus(participant=p, event=event, form=form)
            for p in people
            for event, form in (("PET-IAH", "PET_IAH"), ("PET-IV", "PET_IV"))
        )
        pets = PetScan.objects.bulk_create(PetScan(form_status=row) for row in rows)
        lesions, organs = [], []
        for pet in pets:
            factor = rng.uniform(1.5, 5) if pet.form_status.form == "PET_IAH" else 1
            for n in range(1, 6):
                high = Decimal(f"{rng.uniform(4, 12) * factor:.2f}")
                lesions.append(LesionSuv(pet=pet, number=n, suv_max=high, suv_mean=high / 2))
                organs.append(OrganSuv(pet=pet, organ=n, suv_mean=Decimal("5.00")))
        LesionSuv.objects.bulk_create(lesions)
        OrganSuv.objects.bulk_create(organs)
    print(
        f"bulk-loaded {args.participants} participants' PETs: {time.perf_counter() - started:.1f} s"
    )

    gate = Gate.objects.filter(decision="proceed").select_related("form_status__participant")
    code = gate.first().form_status.participant.code
    # The nurse works at BDX only: another site's participant is not found for her.
    dosi = (
        Dosimetry.objects.filter(form_status__participant__site=site)
        .select_related("form_status__participant")
        .order_by("pk")
        .first()
    )
    pages = {
        "gate page": (reverse("signature_sign", args=[code, "gate"]), "investigator"),
        "dosimetry page": (
            reverse("crf_edit", args=[dosi.form_status.participant.code, "DOSI", "DOSI", 1]),
            "nurse",
        ),
        f"study view ({args.participants + args.demo} participants)": (
            reverse("imaging:study"),
            "investigator",
        ),
    }
    failed = False
    for label, (url, username) in pages.items():
        client = Client()
        client.force_login(User.objects.get(username=username))
        for _ in range(5):
            assert client.get(url).status_code == 200
        samples = []
        for _ in range(args.requests):
            t0 = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        median, p95 = summary(samples)
        failed |= median > TARGET_MS
        print(f"{label}: median {median:.1f} ms, p95 {p95:.1f} ms, {len(ctx)} queries")
        record(
            f"imaging: {label}: median", f"< {TARGET_MS} ms", f"{median:.1f} ms", median < TARGET_MS
        )
    print(f"target: median < {TARGET_MS} ms: {'NOT MET' if failed else 'met'}")


if __name__ == "__main__":
    main()
