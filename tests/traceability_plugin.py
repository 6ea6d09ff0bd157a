"""The requirements' side of the test run (tests/conftest.py registers it).

Each test declares what it proves with `@pytest.mark.req("ID", ...)`. At the end of a run this
plugin records every test's outcome and declared IDs in var/traceability.json (what the
`traceability` command reads), and fails the run when a test names an ID that
docs/requirements.toml does not list or, on a run of the whole suite, when a requirement has no
test. Under pytest-xdist the workers attach the IDs to their reports and the controller does
the rest, so the check sees every test whichever worker ran it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from trial import traceability

_RANK = {traceability.PASSED: 0, traceability.SKIPPED: 1, traceability.FAILED: 2}


class TraceabilityPlugin:
    def __init__(
        self,
        requirements_file: Path = traceability.REQUIREMENTS_FILE,
        results_file: Path = traceability.RESULTS_FILE,
    ) -> None:
        self.requirements_file = requirements_file
        self.results_file = results_file
        self.outcomes: dict[str, str] = {}
        self.declared: dict[str, tuple[str, ...]] = {}
        self.problems: list[str] = []

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            ids = tuple(arg for mark in item.iter_markers("req") for arg in mark.args)
            item.user_properties.append(("requirements", ids))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # A test's result is the worst of its setup, call and teardown.
        previous = self.outcomes.get(report.nodeid, traceability.PASSED)
        self.outcomes[report.nodeid] = max(previous, report.outcome, key=_RANK.__getitem__)
        for name, value in report.user_properties:
            if name == "requirements":
                self.declared[report.nodeid] = tuple(value)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if hasattr(session.config, "workerinput"):  # an xdist worker: the controller records
            return
        if not self.outcomes:
            return
        requirements = traceability.load_requirements(self.requirements_file)
        results = {
            nodeid: traceability.TestResult(nodeid, outcome, self.declared.get(nodeid, ()))
            for nodeid, outcome in self.outcomes.items()
        }
        whole = _is_whole_suite(session.config)
        traceability.write_results(
            self.results_file,
            datetime.now(UTC).isoformat(timespec="seconds"),
            results,
            replace=whole,
        )
        declared = [i for result in results.values() for i in result.requirements]
        for unknown in traceability.unknown_ids(declared, requirements):
            users = sorted(n for n, r in results.items() if unknown in r.requirements)
            self.problems.append(
                f"requirement {unknown} is not in {self.requirements_file.name} "
                f"(declared by {', '.join(users)})"
            )
        if whole:
            for requirement in traceability.untested(requirements, results.values()):
                self.problems.append(
                    f"requirement {requirement.id} ({requirement.source}) has no test"
                )
        if self.problems:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.problems:
            terminalreporter.section("requirements traceability", red=True)
            for problem in self.problems:
                terminalreporter.line(problem, red=True)


def _is_whole_suite(config: pytest.Config) -> bool:
    """A run of the configured test paths with nothing deselected: only then may a requirement
    without a test be blamed on the suite rather than on the selection."""
    option = config.option
    return (
        config.args_source == pytest.Config.ArgsSource.TESTPATHS
        and not option.keyword
        and not option.markexpr
        and not getattr(option, "lf", False)
        and not getattr(option, "deselect", None)
        and not getattr(option, "exitfirst", False)
    )
