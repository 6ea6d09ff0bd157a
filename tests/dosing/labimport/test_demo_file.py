"""The demo file the README names imports into the demo's queues without a problem, with the
flags it was written to show."""

from pathlib import Path

from dosing.labimport import actions, flags

DEMO_FILE = Path(__file__).resolve().parents[3] / "dosing/labimport/data/demo_lab_results.json"


def test_the_readmes_demo_file_reads_and_shows_its_flags(demo):
    outcome = actions.import_file(None, DEMO_FILE.name, DEMO_FILE.read_bytes(), dry_run=True)
    assert not outcome.refused, outcome.problems
    assert len(outcome.entries) == 15
    assert {p.code for p in outcome.participants} == {"BDX-001", "BDX-002"}
    by_code = {entry.value.resource_id: entry.flags for entry in outcome.entries}
    assert flags.UNKNOWN_CODE in by_code["demo-15"]  # C-reactive protein: not a panel item
    assert "demo-4" in by_code  # the platelets slipped tenfold (flagged once in a window)
    assert (
        "README.md" and "demo_lab_results.json" in (DEMO_FILE.parents[3] / "README.md").read_text()
    )
