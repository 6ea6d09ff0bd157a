"""The SDTM package of the test demo (`seed_demo --participants 18 --seed 7`), built once for
the session on the demo's database; the export's log is rolled back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import transaction

from submission import actions, package
from tests.browser.conftest import (  # noqa: F401 - the browser test's fixtures
    browser_context_args,
    browser_type_launch_args,
    login,
)
from tests.conftest import _connected_to
from trial.exports.common import resolve_scope


@dataclass
class Built:
    directory: Path
    result: package.Result

    def json(self, code: str) -> dict:
        return json.loads((self.directory / f"{code.lower()}.json").read_text(encoding="utf-8"))

    def records(self, code: str) -> list[dict]:
        content = self.json(code)
        names = [c["name"] for c in content["columns"]]
        return [dict(zip(names, row, strict=True)) for row in content["rows"]]


@pytest.fixture(scope="session")
def sdtm(demo_database, django_db_blocker, tmp_path_factory) -> Built:
    directory = tmp_path_factory.mktemp("sdtm")
    with django_db_blocker.unblock(), _connected_to(demo_database), transaction.atomic():
        result = actions.export_package(resolve_scope(), directory, origin="tests")
        transaction.set_rollback(True)
    return Built(directory, result)
