"""What other apps read: the eligibility lab items, the cycle facts and the AE summary, each in
a fixed number of queries."""

from datetime import date, timedelta
from decimal import Decimal

from dosing import labs, selectors
from tests.dosing.conftest import cycle, lab, save
from trial import actions

C1_DATE = date(2025, 11, 3)


def test_lab_items_give_the_eligibility_panel_in_canonical_units(
    nurse, participant, django_assert_num_queries
):
    save(
        nurse,
        participant,
        "ELIG",
        "LAB",
        lab(creatinine_entered="1.2", creatinine_unit="mg/dL", creatinine_uln_entered="1.18"),
    )
    save(nurse, participant, "C1", "LAB", lab(haemoglobin_g_dl="9.1"))
    with django_assert_num_queries(1):
        items = selectors.lab_items(participant)
    assert set(items) == {f"LAB.{name}" for name in labs.CANONICAL_FIELDS}
    assert items["LAB.haemoglobin_g_dl"] == Decimal("13.20")  # the ELIG panel, not C1's
    assert items["LAB.neutrophils_mm3"] == Decimal("3200.00")
    assert items["LAB.creatinine_umol_l"] == Decimal("106.08")
    assert items["LAB.sample_date"] == date(2026, 1, 5)
    assert selectors.lab_items(participant, event="C1")["LAB.haemoglobin_g_dl"] == Decimal("9.10")


def test_lab_items_without_a_panel_are_all_none(participant, django_assert_num_queries):
    with django_assert_num_queries(1):
        items = selectors.lab_items(participant)
    assert items and all(value is None for value in items.values())


def test_cycle_facts_one_per_cycle_in_one_query(nurse, c1, django_assert_num_queries):
    save(
        nurse,
        c1,
        "C2",
        "CYCLE",
        {"dose_modification": "cancelled", "modification_reason": "toxicity"},
    )
    save(nurse, c1, "C3", "CYCLE", {"prescribed_gbq": "7.4"}, complete=False)
    with django_assert_num_queries(1):
        facts = selectors.cycle_facts(c1)
    assert [f["number"] for f in facts] == [1, 2, 3, 4]
    assert facts[0] == {
        "number": 1,
        "administered": True,
        "administration_date": C1_DATE,
        "dose_modification": "none",
        "modification_reason": None,
        "residual_uptake": True,
    }
    assert facts[1]["administered"] is False
    assert (facts[1]["dose_modification"], facts[1]["modification_reason"]) == (
        "cancelled",
        "toxicity",
    )
    assert facts[2]["administered"] is False  # a draft is not an administered cycle
    assert facts[3] == {**facts[3], "administered": False, "administration_date": None}


def test_cycle_facts_report_residual_uptake_after_c4(nurse, c1, django_assert_num_queries):
    day = C1_DATE
    for n in (2, 3, 4):
        day += timedelta(weeks=8)
        save(nurse, c1, f"C{n}", "CYCLE", cycle(day, residual_uptake="False" if n == 4 else "True"))
    with django_assert_num_queries(1):
        facts = selectors.cycle_facts(c1)
    assert all(f["administered"] for f in facts)
    assert facts[3]["residual_uptake"] is False


def ae_values(term, grade, **changes):
    values = {
        "term": term,
        "grade": str(grade),
        "onset_date": date(2026, 3, 10),
        "ongoing": True,
        "serious": "False",
        "relationship_iv_lutathera": "possible",
        "action_taken": "dose_not_changed",
        "outcome": "not_recovered",
    }
    return {**values, **changes}


def test_ae_summary_lists_every_event_with_its_highest_grade(
    nurse, participant, django_assert_num_queries
):
    save(nurse, participant, "LOG", "AE", ae_values("Nausea", 2), repeat=1)
    save(
        nurse,
        participant,
        "LOG",
        "AE",
        ae_values(
            "Abdominal pain",
            3,
            ongoing=False,
            end_date=date(2026, 3, 14),
            outcome="recovered",
            serious="True",
            serious_hospitalisation=True,
            awareness_at="2026-03-10T10:30",
        ),
        repeat=2,
    )
    save(nurse, participant, "LOG", "AE", ae_values("Fatigue", 1), repeat=3)
    save(nurse, participant, "LOG", "AE", ae_values("Headache", 1), repeat=4)
    actions.delete_crf(nurse, participant.forms.get(form="AE", repeat=4), reason="entered in error")
    with django_assert_num_queries(1):
        summary = selectors.ae_summary(participant)
    assert [(a["term"], a["highest_grade"], a["serious"], a["ongoing"]) for a in summary] == [
        ("Nausea", 2, False, True),
        ("Abdominal pain", 3, True, False),
        ("Fatigue", 1, False, True),
    ]
    assert summary[1]["deadline"] is not None  # serious, not yet reported
    assert summary[0]["deadline"] is None
    assert summary[1]["end_date"] == date(2026, 3, 14) and summary[0]["end_date"] is None
    assert [(a["row"].event, a["row"].form, a["row"].repeat) for a in summary] == [
        ("LOG", "AE", 1),
        ("LOG", "AE", 2),
        ("LOG", "AE", 3),
    ]
    assert {a["status"] for a in summary} == {a["row"].status for a in summary} != {"deleted"}


def test_the_ae_summary_card_renders_for_the_participant_page(nurse, participant, rf):
    from django.template.loader import render_to_string

    from trial import registry

    save(nurse, participant, "LOG", "AE", ae_values("Nausea", 2))
    panel = registry.PANELS["adverse_events"]
    context = {"participant": participant, "can_enter_data": True}
    html = render_to_string(panel.template, {**context, **panel.context(participant, nurse)})
    assert 'data-testid="ae-row" data-grade="2"' in html
    assert "Nausea" in html and "G2" in html
    assert f"/p/{participant.code}/LOG/AE/1/" in html


def test_lab_items_are_the_values_the_orm_reads_and_skip_a_deleted_panel(nurse, participant):
    # lab_items runs a statement built once from the model: the same values, of the same
    # types, as the ORM's reading of the panel; a deleted panel is not read.
    from dosing.models import LabPanel
    from trial.models import FormState, FormStatus

    save(nurse, participant, "ELIG", "LAB", lab())
    panel = LabPanel.objects.get(form_status__participant=participant, form_status__event="ELIG")
    orm = {f"LAB.{name}": getattr(panel, name) for name in labs.CANONICAL_FIELDS}
    items = selectors.lab_items(participant)
    assert items == orm
    assert {k: type(v) for k, v in items.items()} == {k: type(v) for k, v in orm.items()}
    FormStatus.objects.filter(pk=panel.form_status_id).update(status=FormState.DELETED)
    assert all(value is None for value in selectors.lab_items(participant).values())
