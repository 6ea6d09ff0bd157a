"""Requirements traced to tests (issue 27 part 4): the requirement list, the pytest plugin that
records what each test proves and fails the suite on a requirement without a test, and the
`traceability` command's matrix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from eligibility.rules import CRITERIA
from trial import traceability

ROOT = Path(__file__).resolve().parents[2]

REQUIREMENTS = """
[[requirement]]
id = "R1"
source = "rule one"
text = "the first rule"

[[requirement]]
id = "R2"
source = "rule two"
text = "the second rule"

[[requirement]]
id = "R3"
source = "rule three"
text = "a rule nothing proves"
"""

CHECKS = """
import pytest

@pytest.mark.req("R1")
def test_proves_r1():
    assert True

@pytest.mark.req("R2")
def test_fails_r2():
    assert False

@pytest.mark.parametrize("x", [pytest.param(1, marks=pytest.mark.req("R1"))])
def test_a_case_proves_r1(x):
    assert x == 1

def test_proves_nothing():
    assert True
"""

CONFTEST = """
from pathlib import Path
from tests.traceability_plugin import TraceabilityPlugin

HERE = Path(__file__).parent

def pytest_configure(config):
    config.pluginmanager.register(
        TraceabilityPlugin(HERE / "requirements.toml", HERE / "results.json"), "traceability"
    )
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "requirements.toml").write_text(REQUIREMENTS)
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "test_checks.py").write_text(textwrap.dedent(CHECKS))
    (tmp_path / "conftest.py").write_text(textwrap.dedent(CONFTEST))
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\ntestpaths = checks\nmarkers =\n    req(*ids): what a test proves\n"
    )
    return tmp_path


def run_pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:django", "-p", "no:cacheprovider"]
        + ["-p", "no:locust", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def results(project: Path) -> dict[str, dict[str, object]]:
    return json.loads((project / "results.json").read_text())["tests"]


def test_the_list_holds_every_eligibility_criterion_and_the_claimed_clauses() -> None:
    ids = {r.id for r in traceability.load_requirements()}
    assert {f"ELIG.{c.code}" for c in CRITERIA} <= ids
    assert {"P11.10e", "P11.50", "P11.70", "A11.9", "A11.14", "E6.4.2.4"} <= ids
    assert all(r.source and r.text for r in traceability.load_requirements())


def test_a_duplicate_or_incomplete_requirement_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text(REQUIREMENTS + '\n[[requirement]]\nid = "R1"\nsource = "s"\ntext = "t"\n')
    with pytest.raises(ValueError, match="R1 is listed twice"):
        traceability.load_requirements(path)
    path.write_text('[[requirement]]\nid = "R9"\nsource = ""\ntext = "t"\n')
    with pytest.raises(ValueError, match="lacks source"):
        traceability.load_requirements(path)


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "xdist"])
def test_the_whole_suite_fails_on_a_requirement_without_a_test(
    project: Path, workers: list[str]
) -> None:
    run = run_pytest(project, *workers)
    assert run.returncode == 1, run.stdout
    assert "requirement R3 (rule three) has no test" in run.stdout
    assert "R1 (rule one) has no test" not in run.stdout
    recorded = results(project)
    assert recorded["checks/test_checks.py::test_proves_r1"] == {
        "outcome": "passed",
        "requirements": ["R1"],
    }
    assert recorded["checks/test_checks.py::test_a_case_proves_r1[1]"]["requirements"] == ["R1"]
    assert recorded["checks/test_checks.py::test_fails_r2"]["outcome"] == "failed"
    assert recorded["checks/test_checks.py::test_proves_nothing"]["requirements"] == []


def test_covering_the_last_requirement_makes_the_suite_pass(project: Path) -> None:
    checks = project / "checks" / "test_checks.py"
    checks.write_text(
        checks.read_text().replace("assert False", "assert True")
        + '\n@pytest.mark.req("R3")\ndef test_proves_r3():\n    assert True\n'
    )
    run = run_pytest(project)
    assert run.returncode == 0, run.stdout
    assert "requirements traceability" not in run.stdout


def test_an_unknown_id_fails_even_a_partial_run(project: Path) -> None:
    checks = project / "checks" / "test_checks.py"
    checks.write_text(
        checks.read_text() + '\n@pytest.mark.req("R7")\ndef test_typo():\n    assert True\n'
    )
    run = run_pytest(project, "checks/test_checks.py::test_typo")
    assert run.returncode == 1, run.stdout
    assert "requirement R7 is not in requirements.toml" in run.stdout
    assert "has no test" not in run.stdout


def test_a_partial_run_keeps_the_other_tests_last_result(project: Path) -> None:
    run_pytest(project)
    run = run_pytest(project, "checks/test_checks.py::test_proves_r1")
    assert run.returncode == 0, run.stdout  # a selection is not blamed for R3
    recorded = results(project)
    assert recorded["checks/test_checks.py::test_fails_r2"]["outcome"] == "failed"
    assert recorded["checks/test_checks.py::test_proves_r1"]["outcome"] == "passed"


def test_the_matrix_names_each_requirement_its_tests_and_their_result(
    project: Path, tmp_path: Path
) -> None:
    run_pytest(project)
    output = tmp_path / "matrix.html"
    with pytest.raises(CommandError, match="2 requirements are not proved"):
        call_command(
            "traceability",
            output=output,
            requirements=project / "requirements.toml",
            results=project / "results.json",
        )
    page = output.read_text()
    row = {r.requirement.id: r for r in traceability.matrix(*_read(project))}
    assert row["R1"].status == "passed" and len(row["R1"].tests) == 2
    assert row["R2"].status == "failed" and row["R3"].status == "untested"
    assert '<tr class="passed"><th scope="row" id="R1">R1</th>' in page
    assert "checks/test_checks.py::test_fails_r2</code> <b>failed</b>" in page
    assert '<tr class="untested"><th scope="row" id="R3">R3</th>' in page
    assert "<em>no test</em>" in page


def test_the_matrix_asks_for_a_test_run_first(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="run `make test` first"):
        call_command("traceability", output=tmp_path / "m.html", results=tmp_path / "none.json")


def _read(project: Path) -> tuple[tuple[traceability.Requirement, ...], list]:
    _, tests = traceability.read_results(project / "results.json")
    return traceability.load_requirements(project / "requirements.toml"), tests
