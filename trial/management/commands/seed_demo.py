"""Load invented demo data: two sites, one user per role, participants at every stage."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import translation

from trial import actions, demo_fill, demo_monitoring, demo_worker, languages, registry, selectors
from trial import demo as trial_demo
from trial.audit import audit_origin

# Nine BDX participants of the showcase, then the random spread over every stage at both
# sites: 21 leave 12 for the spread (5 at TLS), so it too has every stage.
DEFAULT_PARTICIPANTS = 21


class Command(BaseCommand):
    help = "Create demo sites, users and N invented participants spread over the whole journey."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--participants", type=int, default=DEFAULT_PARTICIPANTS)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when participants already exist."
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help="the language the demo's staff write in (what a signature's meaning is "
            "stored in); default: the investigator's, French for the demo's BDX",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            help="processes filling participants at once (default: one per core plus one from "
            f"{demo_fill.PARALLEL_FROM} participants, else 1; always 1 inside a transaction)",
        )

    def handle(self, *args, **options) -> None:
        # Every row event of the run names the command that caused it.
        with audit_origin(command="seed_demo"):
            self._handle(*args, **options)

    def _handle(
        self,
        *args,
        participants: int,
        seed: int,
        if_empty: bool,
        language: str | None,
        jobs: int | None,
        **options,
    ) -> None:
        if participants < 0 or participants > 5000:
            raise CommandError("--participants must be between 0 and 5000.")
        if jobs is not None and not 1 <= jobs <= demo_fill.MAX_JOBS:
            raise CommandError(f"--jobs must be between 1 and {demo_fill.MAX_JOBS}.")
        if jobs is None:
            jobs = demo_fill.default_jobs(participants)
        if connection.in_atomic_block:
            # Workers have connections of their own: they would not see this transaction's
            # registrations, nor could it roll theirs back.
            jobs = 1
        started = time.monotonic()
        users = actions.create_demo_staff(settings.DEMO_PASSWORD)
        if if_empty and selectors.participant_count() > 0:
            self.stdout.write("Demo data already loaded; nothing to do.")
            return
        # The staff act in their language, as on their pages: a signature's stated meaning is
        # stored as the signer read it.
        # The investigator's password is verified at the first signature, not at each one.
        with (
            translation.override(language or languages.language_of(users["investigator"])),
            actions.signers_checked_once(),
        ):
            self._fill(participants, seed, users, started, jobs)

    def _fill(self, participants: int, seed: int, users: dict, started: float, jobs: int) -> None:
        today = trial_demo.demo_today()
        # finish(created) runs once every app has filled every participant: a step that needs
        # other apps' data (the eligibility sign-off reads labs and cycles) belongs there.
        registered = registry.demo_hooks(demo_fill.DEMO_APPS)
        finishers = [h.finish for h in registered if h.finish is not None]
        planned = demo_fill.plan(participants, seed, actions.demo_sites(), today)
        tasks = demo_fill.register(planned, users)
        if jobs > 1:
            demo_worker.fill_all(tasks, jobs, translation.get_language())
        else:
            for task in tasks:
                demo_fill.fill_one(task, users)
        created = demo_fill.in_order(tasks)
        for finish in finishers:
            finish(created)
        demo_monitoring.run(created, users)
        # The review ledger of the whole demo, filed now rather than by the first reader.
        actions.file_review_ledger()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data: {participants} participants in {time.monotonic() - started:.1f} s. "
                f"Logins: nurse, investigator, monitor, datamanager, admin (BDX), nurse2 (TLS)."
            )
        )
