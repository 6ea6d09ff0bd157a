"""The submission app is a reporting layer above the others: it reads the domain apps' models
and selectors, and neither trial nor a domain app imports it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BELOW = ("trial", "eligibility", "dosing", "imaging", "followup")


def test_no_module_below_imports_the_submission_app():
    for app in BELOW:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                for name in names:
                    assert name.split(".")[0] != "submission", (path, name)


def test_the_pure_modules_import_no_django():
    for name in ("iso8601", "metadata", "codelists", "datasetjson", "compare", "define"):
        tree = ast.parse((ROOT / "submission" / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom | ast.Import):
                modules = (
                    [node.module]
                    if isinstance(node, ast.ImportFrom)
                    else [a.name for a in node.names]
                )
                for module in modules:
                    assert not (module or "").startswith(("django", "trial")), (name, module)
