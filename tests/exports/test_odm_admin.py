"""ODM AdminData scoped to the export: the users of the exported sites only, each with their
real role (UserType and name) and a LocationRef for each of their sites; a Location for
each exported site only."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.conftest import make_user
from tests.exports.odm_check import ODM, unresolved_refs
from trial import roles
from trial.exports import odm
from trial.exports.common import resolve_scope


def users_of(data: bytes) -> dict[str, ET.Element]:
    root = ET.fromstring(data)
    return {u.findtext(ODM + "LoginName"): u for u in root.iter(ODM + "User")}


def locations(element: ET.Element) -> list[str]:
    return [ref.get("LocationOID") for ref in element.iter(ODM + "LocationRef")]


@pytest.mark.req("E6.4.2.5")
def test_a_monitors_bdx_export_lists_only_the_bdx_users_with_their_roles(story, monitor):
    for data in (
        b"".join(odm.transactional(resolve_scope(monitor))),
        b"".join(odm.snapshot(resolve_scope(monitor))),
    ):
        users = users_of(data)
        # The TLS nurse (charlie) is not a user of BDX.
        assert set(users) == {"system", "alice", "ivan", "mona"}
        assert users["ivan"].get("UserType") == "Investigator"
        assert users["mona"].get("UserType") == "Sponsor"
        assert users["alice"].get("UserType") == "Other"
        assert "Research nurse" in users["alice"].findtext(ODM + "DisplayName")
        for name in ("alice", "ivan", "mona"):
            assert locations(users[name]) == ["LOC.BDX"]
        root = ET.fromstring(data)
        assert [loc.get("OID") for loc in root.iter(ODM + "Location")] == ["LOC.BDX"]
        assert unresolved_refs(data) == []


def test_the_whole_trail_lists_every_site_and_each_users_sites(story, bdx, tls):
    both = make_user("dora", roles.DATA_MANAGER, bdx, tls)
    users = users_of(b"".join(odm.transactional(resolve_scope())))
    assert {"alice", "ivan", "mona", "charlie", "dora"} <= set(users)
    assert locations(users["charlie"]) == ["LOC.TLS"]
    assert locations(users[both.username]) == ["LOC.BDX", "LOC.TLS"]
    assert users["dora"].get("UserType") == "Sponsor"


def test_a_site_export_keeps_the_data_managers_who_reach_every_site(story, data_manager, tls):
    """A data manager of BDX reaches TLS's participants too (queries, locks): the TLS export
    lists them, so each of their changes there resolves."""
    data = b"".join(odm.transactional(resolve_scope(site="TLS")))
    users = users_of(data)
    assert set(users) == {"system", "charlie", "dana"}
    assert unresolved_refs(data) == []
