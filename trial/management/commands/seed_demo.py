"""Load invented demo data: two sites, one user per role, participants at every stage."""

from __future__ import annotations

import random
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from trial import actions, demo_monitoring, languages, registry, selectors
from trial import demo as trial_demo
from trial.audit import audit_origin

DEMO_APPS = ("eligibility", "dosing", "imaging", "followup")
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

    def handle(self, *args, **options) -> None:
        # Every row event of the run names the command that caused it.
        with audit_origin(command="seed_demo"):
            self._handle(*args, **options)

    def _handle(
        self, *args, participants: int, seed: int, if_empty: bool, language: str | None, **options
    ) -> None:
        if participants < 0 or participants > 5000:
            raise CommandError("--participants must be between 0 and 5000.")
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
            self._fill(participants, seed, users, started)

    def _fill(self, participants: int, seed: int, users: dict, started: float) -> None:
        rng = random.Random(seed)
        today = trial_demo.demo_today()
        registered = registry.demo_hooks(DEMO_APPS)
        hooks = [h.fill for h in registered if h.fill is not None]
        # finish(created) runs once every app has filled every participant: a step that needs
        # other apps' data (the eligibility sign-off reads labs and cycles) belongs there.
        finishers = [h.finish for h in registered if h.finish is not None]
        created = []
        sites = actions.demo_sites()
        showcase = list(
            trial_demo.SHOWCASE_STAGES if participants >= trial_demo.SHOWCASE_FROM else ()
        )
        spread = 0
        for index in range(participants):
            # A quarter at TLS, whose stages follow the index: 4 and the 9 stages share no
            # factor, so TLS sees every stage of a large enough demo.
            site = sites[1] if index % 4 == 3 else sites[0]
            nurse = users["nurse"] if site.code == "BDX" else users["nurse2"]
            if site.code == "BDX" and showcase:
                # The first BDX participants show one stage each (README, "The demo's
                # participants"), with values of their own whatever the seed.
                own = trial_demo.showcase_rng(showcase[0])
                journey, fill_rng = trial_demo.plan_showcase(showcase.pop(0), today, own), own
            else:
                stage = trial_demo.stage_for(index, participants)
                if site.code == "BDX" and participants >= trial_demo.SHOWCASE_FROM:
                    order = trial_demo.BDX_SPREAD_AFTER_SHOWCASE
                    stage, spread = order[spread % len(order)], spread + 1
                journey, fill_rng = trial_demo.plan_journey(stage, today, rng), rng
            # One transaction per participant: its dozens of actions commit (and flush the
            # write-ahead log) once, each still in its own write session and audit context,
            # without a savepoint each.
            with actions.batch_transaction():
                participant = actions.import_demo_participant(nurse, site, journey)
                for fill in hooks:
                    fill(participant, journey, fill_rng, nurse)
            created.append((participant, journey))
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
