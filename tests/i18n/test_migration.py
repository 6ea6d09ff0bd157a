"""The sites that existed before languages: BDX and TLS become French, the others English."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("trial", "0012_languages")]
AFTER = [("trial", "0013_french_sites")]


@pytest.mark.django_db(transaction=True)
def test_bdx_and_tls_become_french():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    try:
        Site = executor.loader.project_state(BEFORE).apps.get_model("trial", "Site")
        for code in ("BDX", "TLS", "LYO"):
            Site.objects.create(code=code, name=code)
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        Site = executor.loader.project_state(AFTER).apps.get_model("trial", "Site")
        assert dict(Site.objects.values_list("code", "language")) == {
            "BDX": "fr",
            "TLS": "fr",
            "LYO": "en",
        }
        SiteEvent = executor.loader.project_state(AFTER).apps.get_model("trial", "SiteEvent")
        changed = SiteEvent.objects.filter(pgh_label="update").values_list("code", flat=True)
        assert sorted(changed) == ["BDX", "TLS"]  # audited, like any change of a site
    finally:
        MigrationExecutor(connection).migrate(latest)
