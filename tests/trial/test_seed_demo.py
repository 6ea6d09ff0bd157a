from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.conftest import DEMO_PARTICIPANTS
from trial import roles, selectors
from trial.models import Participant


def test_seed_demo_creates_sites_staff_and_every_stage(demo):
    # `demo`: seed_demo --participants 18 --seed 7, run once for the session (tests/conftest.py).
    assert set(Participant.objects.values_list("site__code", flat=True)) == {"BDX", "TLS"}
    statuses = set(Participant.objects.values_list("status", flat=True))
    assert statuses == {
        "screening",
        "screen_failure",
        "enrolled",
        "follow_up",
        "completed",
        "withdrawn",
    }
    expected_roles = {
        "nurse": roles.NURSE,
        "investigator": roles.INVESTIGATOR,
        "monitor": roles.MONITOR,
        "datamanager": roles.DATA_MANAGER,
        "admin": roles.ADMINISTRATOR,
        "nurse2": roles.NURSE,
    }
    for username, role in expected_roles.items():
        user = User.objects.get(username=username)
        assert user.check_password("trial-demo-2026")
        assert roles.role_names(user) == {role}
    nurse = User.objects.get(username="nurse")
    assert set(selectors.participants_for(nurse).values_list("site__code", flat=True)) == {"BDX"}
    # Demographics holds data for everyone (its app's demo hook).
    assert (
        not Participant.objects.filter(forms__form="DEMOG")
        .exclude(forms__status="complete", forms__form="DEMOG")
        .exists()
    )
    # The monitoring visit leaves work in the review queues: a weight corrected by query after
    # verification, a height corrected three times.
    from trial.models import AuditEntry, Query

    sdv = AuditEntry.objects.filter(after_sdv=True, item="weight_kg", label="update").get()
    # (The showcase's open query is another: tests/trial/test_demo_showcase.py.)
    assert sdv.username == "nurse" and Query.objects.get(item="weight_kg").state == "answered"
    often = AuditEntry.objects.filter(often_changed=True, item="height_cm")
    assert often.filter(label="update").count() == 3 and not often.exclude(site__code="BDX")


def test_seed_demo_if_empty_does_nothing_the_second_time(demo):
    assert Participant.objects.count() == DEMO_PARTICIPANTS
    call_command("seed_demo", "--participants", "3", "--if-empty")
    assert Participant.objects.count() == DEMO_PARTICIPANTS


def test_seed_demo_refuses_a_bad_count(db):
    with pytest.raises(CommandError, match="between 0 and 5000"):
        call_command("seed_demo", "--participants", "-1")


def test_nurse_logs_in_and_sees_bdx_participants_only(client, demo):
    assert client.login(username="nurse", password="trial-demo-2026")
    page = client.get(reverse("participant_list")).content.decode()
    assert "BDX-001" in page and "TLS-001" not in page


def test_roles_created_in_code_match_the_protocol(db):
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ALL)


def test_the_demo_staff_read_their_sites_language_but_the_monitor_chose_english(db):
    from trial import actions, languages

    users = actions.create_demo_staff("demo-password-1")
    assert {s.code: s.language for s in actions.demo_sites()} == {"BDX": "fr", "TLS": "fr"}
    assert languages.language_of(users["nurse"]) == "fr"
    assert languages.language_of(users["nurse2"]) == "fr"
    assert languages.language_of(users["monitor"]) == "en"


def test_the_demo_staff_sign_in_their_language(db):
    # Without --language, the staff write as they read: the BDX investigator in French, so a
    # signature's stated meaning is stored in French, as signing on the page would store it.
    from django.utils import translation

    from trial.models import Signature

    call_command("seed_demo", "--participants", "9", "--seed", "3", verbosity=0)
    with translation.override("fr"):
        french = translation.gettext("I confirm this participant is eligible")
    assert french != "I confirm this participant is eligible"
    meanings = set(Signature.objects.filter(kind="eligibility").values_list("meaning", flat=True))
    assert french in meanings
    assert "I confirm this participant is eligible" not in meanings
