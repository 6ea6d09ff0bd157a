"""Requirements traced to tests: the requirement list (docs/requirements.toml), the results of
the last test run, and the matrix between them. Pure: no Django import, so the pytest plugin
(tests/traceability_plugin.py) reads it before Django is set up.

A test declares what it proves with `@pytest.mark.req("ID", ...)`; the plugin records, for every
test run, each test's outcome and the IDs it declares in `var/traceability.json`; the
`traceability` command joins that file with the requirements into an HTML matrix."""

from __future__ import annotations

import html
import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS_FILE = ROOT / "docs" / "requirements.toml"
RESULTS_FILE = ROOT / "var" / "traceability.json"

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


@dataclass(frozen=True)
class Requirement:
    id: str
    source: str
    text: str


@dataclass(frozen=True)
class TestResult:
    nodeid: str
    outcome: str
    requirements: tuple[str, ...]


@dataclass(frozen=True)
class Row:
    requirement: Requirement
    tests: tuple[TestResult, ...]

    @property
    def status(self) -> str:
        """untested, failed (any of its tests failed or was skipped), or passed."""
        if not self.tests:
            return "untested"
        if all(t.outcome == PASSED for t in self.tests):
            return PASSED
        return FAILED


def load_requirements(path: Path = REQUIREMENTS_FILE) -> tuple[Requirement, ...]:
    """The requirements in file order; refuses a duplicate or incomplete entry, since a matrix
    over an ambiguous list would prove nothing."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    requirements: list[Requirement] = []
    seen: set[str] = set()
    for entry in data.get("requirement", []):
        missing = [key for key in ("id", "source", "text") if not str(entry.get(key, "")).strip()]
        if missing:
            raise ValueError(f"{path.name}: a requirement lacks {', '.join(missing)}: {entry}")
        if entry["id"] in seen:
            raise ValueError(f"{path.name}: requirement {entry['id']} is listed twice")
        seen.add(entry["id"])
        requirements.append(Requirement(entry["id"], entry["source"], entry["text"]))
    return tuple(requirements)


def unknown_ids(declared: Iterable[str], requirements: Iterable[Requirement]) -> list[str]:
    known = {r.id for r in requirements}
    return sorted({i for i in declared if i not in known})


def untested(
    requirements: Iterable[Requirement], results: Iterable[TestResult]
) -> list[Requirement]:
    covered = {req for result in results for req in result.requirements}
    return [r for r in requirements if r.id not in covered]


def matrix(requirements: Iterable[Requirement], results: Iterable[TestResult]) -> list[Row]:
    by_requirement: dict[str, list[TestResult]] = {}
    for result in results:
        for req in result.requirements:
            by_requirement.setdefault(req, []).append(result)
    return [
        Row(r, tuple(sorted(by_requirement.get(r.id, ()), key=lambda t: t.nodeid)))
        for r in requirements
    ]


def read_results(path: Path = RESULTS_FILE) -> tuple[str, list[TestResult]]:
    """(when the last run finished, its results); raises FileNotFoundError before any run."""
    data = json.loads(path.read_text(encoding="utf-8"))
    results = [
        TestResult(nodeid, entry["outcome"], tuple(entry["requirements"]))
        for nodeid, entry in data["tests"].items()
    ]
    return data["finished"], results


def write_results(
    path: Path, finished: str, results: Mapping[str, TestResult], *, replace: bool
) -> None:
    """A run of the whole suite replaces the file; a partial run updates the tests it ran and
    keeps the others' last result."""
    tests: dict[str, dict[str, object]] = {}
    if not replace and path.exists():
        tests = json.loads(path.read_text(encoding="utf-8")).get("tests", {})
    for nodeid, result in results.items():
        tests[nodeid] = {"outcome": result.outcome, "requirements": list(result.requirements)}
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"finished": finished, "tests": dict(sorted(tests.items()))}
    path.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")


def render_html(rows: list[Row], finished: str) -> str:
    """A self-contained page an inspector can open from the archive: one row per requirement,
    its tests and their last result."""
    counts = {"passed": 0, "failed": 0, "untested": 0}
    for row in rows:
        counts[row.status] += 1
    body = []
    for row in rows:
        req = row.requirement
        tests = (
            "<ul>"
            + "".join(
                f'<li class="{t.outcome}"><code>{html.escape(t.nodeid)}</code> '
                f"<b>{html.escape(t.outcome)}</b></li>"
                for t in row.tests
            )
            + "</ul>"
            if row.tests
            else "<em>no test</em>"
        )
        body.append(
            f'<tr class="{row.status}"><th scope="row" id="{html.escape(req.id)}">'
            f"{html.escape(req.id)}</th><td>{html.escape(req.source)}</td>"
            f"<td>{html.escape(req.text)}</td><td>{tests}</td>"
            f"<td>{html.escape(row.status)}</td></tr>"
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>Traceability matrix: requirements to tests</title><style>"
        "body{font-family:sans-serif;margin:1.5rem}table{border-collapse:collapse;width:100%}"
        "th,td{border:1px solid #999;padding:.3rem;vertical-align:top;text-align:left}"
        "ul{margin:0;padding-left:1rem}tr.untested,tr.failed{background:#fde2e1}"
        "li.failed,li.skipped{color:#9b1c1c}code{font-size:.85em}</style></head><body>"
        "<h1>Traceability matrix: requirements to tests</h1>"
        f"<p>Results of the test run finished {html.escape(finished)}: "
        f"{len(rows)} requirements, {counts['passed']} passed, {counts['failed']} with a "
        f"failed or skipped test, {counts['untested']} without a test.</p>"
        '<table><thead><tr><th scope="col">ID</th><th scope="col">Source</th>'
        '<th scope="col">Requirement</th><th scope="col">Tests (last result)</th>'
        '<th scope="col">Status</th></tr></thead><tbody>'
        + "".join(body)
        + "</tbody></table></body></html>\n"
    )
