"""The morning reminders on crafted dates: what is due, to whom, exactly once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from trial import actions, reminders
from trial.models import (
    FormState,
    FormStatus,
    Participant,
    ParticipantStatus,
    ReminderKind,
    ReminderSent,
)

C1 = date(2026, 1, 5)
NOTICE_DAY = date(2026, 2, 16)  # C2 opens 2026-02-23 (C1 + 7 weeks)
LAST_DAY = date(2026, 3, 9)  # C2 closes (C1 + 9 weeks)


@pytest.fixture
def people(nurse, investigator):
    nurse.email, investigator.email = "alice@example.org", "ivan@example.org"
    nurse.save()
    investigator.save()
    return nurse, investigator


@pytest.fixture
def cycled(participant):
    """A participant whose first cycle is dated: cycle 2's window follows from it."""
    dates = {**participant.event_dates, "C1": C1.isoformat()}
    Participant.objects.filter(pk=participant.pk).update(event_dates=dates)
    participant.refresh_from_db()
    return participant


def kinds(day: date, **filters) -> set[tuple[str, str]]:
    return {
        (i.kind, i.event)
        for i in reminders.compute(reminders.as_of_day(day))
        if all(getattr(i, k) == v for k, v in filters.items())
    }


@pytest.mark.req("REM.WINDOW")
def test_the_window_reminder_comes_seven_days_ahead_not_the_day_before(cycled):
    assert (ReminderKind.WINDOW_OPENS, "C2") not in kinds(NOTICE_DAY - timedelta(days=1))
    assert (ReminderKind.WINDOW_OPENS, "C2") in kinds(NOTICE_DAY)
    # The day before the window opens, nothing is said about C2 any more.
    assert not {k for k in kinds(date(2026, 2, 22)) if k[1] == "C2"}


@pytest.mark.req("REM.OVERDUE")
def test_overdue_from_the_first_day_after_the_window(cycled):
    assert (ReminderKind.OVERDUE, "C2") not in kinds(LAST_DAY)
    assert (ReminderKind.OVERDUE, "C2") in kinds(LAST_DAY + timedelta(days=1))
    item = next(
        i
        for i in reminders.compute(reminders.as_of_day(LAST_DAY + timedelta(days=1)))
        if i.event == "C2"
    )
    assert item.url == reverse("crf_edit", args=[cycled.code, "C2", "CYCLE", 1])


@pytest.mark.req("REM.OVERDUE")
def test_nothing_for_a_visit_marked_missed(cycled):
    FormStatus.objects.filter(participant=cycled, event="C2", form="CYCLE").update(
        status=FormState.MISSED
    )
    assert not {k for k in kinds(LAST_DAY + timedelta(days=1)) if k[1] == "C2"}
    assert not {k for k in kinds(NOTICE_DAY) if k[1] == "C2"}


@pytest.mark.req("REM.SAE")
@pytest.mark.req("REM.QUERY")
@pytest.mark.req("REM.OVERDUE", "REM.QUERY")
@pytest.mark.parametrize("status", [ParticipantStatus.COMPLETED, ParticipantStatus.WITHDRAWN])
def test_nothing_after_the_end_of_study(cycled, status):
    assert kinds(LAST_DAY + timedelta(days=1))
    Participant.objects.filter(pk=cycled.pk).update(status=status)
    assert kinds(LAST_DAY + timedelta(days=1)) == set()


@pytest.mark.req("REM.ONCE")
def test_one_digest_per_person_and_nothing_sent_twice(cycled, people, tls_participant):
    nurse, investigator = people
    day = LAST_DAY + timedelta(days=1)
    first = reminders.run(day)
    # Overdue C2 goes to the site (nurse and investigator), plus whatever else is due.
    assert {m.to[0] for m in mail.outbox} == {"alice@example.org", "ivan@example.org"}
    assert len(mail.outbox) == 2
    body = next(m.body for m in mail.outbox if m.to == ["alice@example.org"])
    assert f"Participant {cycled.code}" in body
    assert tls_participant.code not in body
    assert first.sent == ReminderSent.objects.count() > 0
    second = reminders.run(day)
    assert len(mail.outbox) == 2
    assert (second.sent, second.already) == (0, first.sent)
    assert ReminderSent.objects.filter(participant=cycled, event="C2", kind="overdue").count() == 2


@pytest.mark.req("REM.WINDOW")
def test_the_window_notice_goes_to_nurses_only(cycled, people):
    reminders.run(NOTICE_DAY)
    log = ReminderSent.objects.filter(kind=ReminderKind.WINDOW_OPENS)
    assert {r.recipient.username for r in log} == {"alice"}


def test_a_person_may_turn_the_email_off_and_keep_the_todo(cycled, people, client):
    nurse, _ = people
    client.force_login(nurse)
    response = client.post(reverse("profile"), {})
    assert response.status_code == 302
    reminders.run(LAST_DAY + timedelta(days=1))
    assert [m.to for m in mail.outbox] == [["ivan@example.org"]]
    todo = client.get(reverse("todo")).content.decode()
    assert cycled.code in todo
    assert reverse("crf_edit", args=[cycled.code, "C2", "CYCLE", 1]) in todo


def test_the_condition_is_checked_again_before_sending(cycled, people, monkeypatch):
    day = LAST_DAY + timedelta(days=1)
    real = reminders.compute
    calls = []

    def settled_meanwhile(as_of, participants=None):
        calls.append(participants)
        if participants is not None:  # the re-check, just before sending
            Participant.objects.filter(pk=cycled.pk).update(status=ParticipantStatus.WITHDRAWN)
        return real(as_of, participants)

    monkeypatch.setattr(reminders, "compute", settled_meanwhile)
    result = reminders.run(day)
    assert result.sent == 0 and mail.outbox == []


@pytest.mark.req("REM.ELIGIBILITY")
def test_eligibility_unsigned_for_three_days_reaches_the_investigator(participant, people):
    done_at = datetime(2026, 4, 1, 9, tzinfo=UTC)
    FormStatus.objects.filter(participant=participant, event__in=["SCR", "ELIG"]).exclude(
        form="ELIGSIGN"
    ).update(status=FormState.COMPLETE, updated_at=done_at)
    assert (ReminderKind.ELIGIBILITY_UNSIGNED, "ELIG") not in kinds(date(2026, 4, 3))
    assert (ReminderKind.ELIGIBILITY_UNSIGNED, "ELIG") in kinds(date(2026, 4, 4))
    reminders.run(date(2026, 4, 4))
    log = ReminderSent.objects.filter(kind=ReminderKind.ELIGIBILITY_UNSIGNED)
    assert {r.recipient.username for r in log} == {"ivan"}


def test_the_command_prints_its_count_last(cycled, people, capsys):
    day = (LAST_DAY + timedelta(days=1)).isoformat()
    call_command("send_reminders", "--date", day, "--dry-run")
    dry = capsys.readouterr().out.strip().splitlines()
    assert ReminderSent.objects.count() == 0 and mail.outbox == []
    call_command("send_reminders", "--date", day)
    out = capsys.readouterr().out.strip().splitlines()
    n = ReminderSent.objects.count()
    assert out[-1] == f"{n} sent, 0 already sent" == dry[-1]
    call_command("send_reminders", "--date", day)
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"0 sent, {n} already sent"


@pytest.mark.req("REM.ONCE")
def test_the_log_is_for_data_managers(cycled, people, client, data_manager, nurse):
    reminders.run(LAST_DAY + timedelta(days=1))
    client.force_login(nurse)
    assert client.get(reverse("reminder_log")).status_code == 404
    client.force_login(data_manager)
    page = client.get(reverse("reminder_log")).content.decode()
    assert "alice@example.org" in page and cycled.code in page


def test_the_beat_runs_the_task_each_morning():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["morning-reminders"]
    assert entry["task"] == "trial.tasks.send_reminders"
    assert entry["schedule"].hour == {settings.REMINDER_HOUR}


@pytest.mark.req("REM.SAE")
def test_a_serious_ae_past_its_deadline_reaches_the_investigator(participant, people):
    from dosing.models import AdverseEvent

    row = actions.next_repeat(participant, "AE")
    row.status = FormState.IN_PROGRESS
    row.save()
    aware = datetime(2026, 5, 4, 10, tzinfo=UTC)
    AdverseEvent.objects.create(form_status=row, term="Nausea", serious=True, awareness_at=aware)
    key = (ReminderKind.SAE_UNREPORTED, f"LOG/AE/{row.repeat}")
    assert key not in kinds(date(2026, 5, 5))  # 07:00 Paris on the 5th: 21 h after
    assert key in kinds(date(2026, 5, 6))
    AdverseEvent.objects.filter(form_status=row).update(reported_to_sponsor_at=aware)
    assert key not in kinds(date(2026, 5, 6))


@pytest.mark.req("REM.ONCE")
def test_the_beat_task_run_twice_sends_nothing_twice(cycled, people):
    from trial import tasks

    day = (LAST_DAY + timedelta(days=1)).isoformat()
    first = tasks.send_reminders.apply(kwargs={"day": day}).get()
    second = tasks.send_reminders.apply(kwargs={"day": day}).get()
    n = ReminderSent.objects.count()
    assert first == f"{n} sent, 0 already sent"
    assert second == f"0 sent, {n} already sent"
    assert len(mail.outbox) == 2


@pytest.mark.req("REM.QUERY")
def test_a_query_waiting_over_seven_days_reaches_the_site(participant, people, monitor, nurse):
    from trial.models import Query

    demog = participant.forms.get(form="DEMOG")
    query = actions.open_query(monitor, demog, item="", text="Source of the demographics?")
    raised = datetime(2026, 5, 1, 9, tzinfo=UTC)
    Query.objects.filter(pk=query.pk).update(opened_at=raised)
    key = (ReminderKind.QUERY_OPEN, f"Q{query.pk}")
    assert key not in kinds(date(2026, 5, 8))
    assert key in kinds(date(2026, 5, 9))
    reminders.run(date(2026, 5, 9))
    log = ReminderSent.objects.filter(kind=ReminderKind.QUERY_OPEN)
    assert {r.recipient.username for r in log} >= {"alice"}
    # Answered: nothing more to remind.
    actions.answer_query(nurse, query, text="The passport, seen on 1 May.")
    assert key not in kinds(date(2026, 5, 10))


# --- Reminders follow their duty, not the study status ------------------------------------

ENDED = [ParticipantStatus.COMPLETED, ParticipantStatus.WITHDRAWN, ParticipantStatus.SCREEN_FAILURE]


@pytest.mark.parametrize("status", ENDED)
def test_an_unreported_serious_ae_is_reminded_after_the_end_of_study(participant, people, status):
    from dosing.models import AdverseEvent

    row = actions.next_repeat(participant, "AE")
    row.status = FormState.IN_PROGRESS
    row.save()
    aware = datetime(2026, 5, 4, 10, tzinfo=UTC)
    AdverseEvent.objects.create(form_status=row, term="Nausea", serious=True, awareness_at=aware)
    Participant.objects.filter(pk=participant.pk).update(status=status)
    key = (ReminderKind.SAE_UNREPORTED, f"LOG/AE/{row.repeat}")
    assert key in kinds(date(2026, 5, 6))
    reminders.run(date(2026, 5, 6))
    sent = ReminderSent.objects.filter(kind=ReminderKind.SAE_UNREPORTED, participant=participant)
    assert {r.recipient.username for r in sent} == {"ivan"}
    # Until it is marked reported.
    AdverseEvent.objects.filter(form_status=row).update(reported_to_sponsor_at=aware)
    assert key not in kinds(date(2026, 5, 7))


@pytest.mark.parametrize("status", ENDED)
def test_an_open_query_is_reminded_after_the_end_of_study(
    participant, people, monitor, nurse, status
):
    from trial.models import Query

    demog = participant.forms.get(form="DEMOG")
    query = actions.open_query(monitor, demog, item="", text="Source of the demographics?")
    Query.objects.filter(pk=query.pk).update(opened_at=datetime(2026, 5, 1, 9, tzinfo=UTC))
    Participant.objects.filter(pk=participant.pk).update(status=status)
    key = (ReminderKind.QUERY_OPEN, f"Q{query.pk}")
    assert key in kinds(date(2026, 5, 9))
    actions.answer_query(nurse, query, text="The passport, seen on 1 May.")
    assert key not in kinds(date(2026, 5, 10))


@pytest.mark.parametrize("status", ENDED)
def test_visit_reminders_stop_at_the_end_of_study_the_duties_do_not(
    cycled, people, monitor, status
):
    from trial.models import Query

    day = LAST_DAY + timedelta(days=1)
    query = actions.open_query(monitor, cycled.forms.get(form="DEMOG"), item="", text="Source?")
    Query.objects.filter(pk=query.pk).update(opened_at=datetime(2026, 2, 1, 9, tzinfo=UTC))
    assert (ReminderKind.OVERDUE, "C2") in kinds(day)
    Participant.objects.filter(pk=cycled.pk).update(status=status)
    left = kinds(day)
    assert left == {(ReminderKind.QUERY_OPEN, f"Q{query.pk}")}
