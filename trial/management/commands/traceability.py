"""Write the traceability matrix: each requirement of docs/requirements.toml, the tests that
declare it (`@pytest.mark.req`) and their result in the last test run.

    manage.py traceability --output FILE.html [--results var/traceability.json]
                         [--requirements docs/requirements.toml]

The results are those `make test` (or any pytest run) recorded last. Prints the counts and
exits 1 when a requirement has no test or a failed one, after writing the file."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trial import traceability


class Command(BaseCommand):
    help = "Write the matrix requirement -> tests -> last result as one HTML page."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", required=True, type=Path, help="the HTML file to write")
        parser.add_argument(
            "--requirements",
            type=Path,
            default=traceability.REQUIREMENTS_FILE,
            help="the requirements (default: %(default)s)",
        )
        parser.add_argument(
            "--results",
            type=Path,
            default=traceability.RESULTS_FILE,
            help="the results recorded by the last test run (default: %(default)s)",
        )

    def handle(self, *args, output: Path, requirements: Path, results: Path, **options) -> None:
        try:
            finished, tests = traceability.read_results(results)
        except FileNotFoundError:
            raise CommandError(
                f"No test results in {results}: run `make test` first, then this command."
            ) from None
        rows = traceability.matrix(traceability.load_requirements(requirements), tests)
        if output.parent and not output.parent.is_dir():
            raise CommandError(f"The folder {output.parent} does not exist.")
        output.write_text(traceability.render_html(rows, finished), encoding="utf-8")
        bad = [row for row in rows if row.status != traceability.PASSED]
        for row in bad:
            self.stdout.write(f"{row.requirement.id}: {row.status}")
        self.stdout.write(
            f"{len(rows)} requirements, {len(rows) - len(bad)} proved by passing tests, "
            f"{len(bad)} not; results of {finished}; written to {output}"
        )
        if bad:
            raise CommandError(f"{len(bad)} requirements are not proved by a passing test.")
