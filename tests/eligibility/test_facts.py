"""Gathering the facts the rules read: every item key, in a fixed number of queries."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from eligibility import facts, rules
from eligibility.models import IahContraindications, InclusionImaging
from tests.eligibility import helpers as h
from trial import actions

pytestmark = pytest.mark.django_db

# Every "<FORM>.<field>" the rules may read, except the IV cycles (C<n>.*), which are not items.
RULE_KEYS = {
    key
    for criterion in rules.CRITERIA
    for key in criterion.items
    if not key.startswith(("C1.", "C2.", "C3.", "C4."))
}


def test_every_item_the_rules_read_is_gathered_from_the_forms(eligible):
    items = facts.facts_for(eligible, h.TODAY).items
    assert set(items) >= RULE_KEYS, RULE_KEYS - set(items)
    assert all(items[key] is not None for key in RULE_KEYS - {"REPRO.contraception_method"})
    assert items["VITALS.ecog"] == 1
    assert items["IMAGING.measurable_target_lesions"] == 3
    assert items["IAHCI.bilirubin_umol_l"] == Decimal("12.0")
    assert items["LAB.platelets_mm3"] == 180_000
    # Kept for the record, never read by the rules: the bilirubin as typed and its unit.
    assert "IAHCI.bilirubin_entered" not in items and "IAHCI.bilirubin_unit" not in items


def test_the_crafted_participant_is_eligible_with_every_criterion_decided(eligible):
    evaluation = rules.evaluate(facts.facts_for(eligible, h.TODAY))
    assert evaluation.result == rules.ELIGIBLE
    assert evaluation.unassessed == ()


def test_cycles_come_from_the_dosing_forms(eligible):
    cycles = {c.number: c for c in facts.cycles(eligible)}
    assert sorted(cycles) == [1, 2, 3, 4]
    assert cycles[4] == rules.Cycle(
        number=4,
        administered=True,
        administration_date=h.CYCLE_DATES[4],
        dose_modification="none",
        modification_reason=None,
        residual_uptake=True,
    )


def test_a_cycle_saved_as_a_draft_is_not_entered_yet_rather_than_not_given(nurse, screened):
    h.save(nurse, screened, "C4", "CYCLE", {**h.cycle_data(4)}, complete=False)
    # C4 draft: dosing reports administered False; the rules must wait for it, not fail I3.
    evaluation = rules.evaluate(facts.facts_for(screened, h.TODAY))
    (i3,) = [c for c in evaluation.criteria if c.code == "I3"]
    assert i3.status == rules.CANNOT_ASSESS
    assert i3.missing == ("C4.administered",)


def test_a_cancelled_cycle_is_not_administered(nurse, bdx):
    participant = actions.register_participant(nurse, bdx, h.CONSENT_DAY)
    for number in (1, 2, 3):
        h.save(nurse, participant, f"C{number}", "CYCLE", h.cycle_data(number))
    h.save(
        nurse,
        participant,
        "C4",
        "CYCLE",
        {
            "dose_modification": "cancelled",
            "modification_reason": "other",
            "modification_details": "participant declined",
        },
    )
    cycles = {c.number: c for c in facts.cycles(participant)}
    assert cycles[4].administered is False
    (i3,) = [
        c for c in rules.evaluate(facts.facts_for(participant, h.TODAY)).criteria if c.code == "I3"
    ]
    assert i3.status == rules.NOT_MET


def test_consent_time_is_read_on_the_site_calendar(nurse, bdx):
    # 00:30 in Paris is the previous day in UTC: the consent day is the Paris one.
    participant = actions.register_participant(nurse, bdx, h.CONSENT_DAY)
    h.save(
        nurse,
        participant,
        "SCR",
        "CONSENT",
        {**h.consent_data(), "consent_datetime": f"{h.CONSENT_DAY.isoformat()}T00:30"},
    )
    value = facts.screening_items(participant)[facts.CONSENT_KEY]
    assert isinstance(value, datetime)
    assert value.date() == h.CONSENT_DAY
    assert value.utcoffset() != timedelta(0)  # Europe/Paris, never UTC


def test_drafts_count_as_entered(nurse, screened):
    h.save(nurse, screened, "ELIG", "VITALS", {"ecog": "3"}, complete=False)
    assert facts.screening_items(screened)["VITALS.ecog"] == 3


def test_bilirubin_typed_in_mg_dl_is_stored_in_umol_l_with_the_child_pugh_score(nurse, screened):
    h.save(
        nurse,
        screened,
        "SCR",
        "IAHCI",
        {**h.iahci_data(), "bilirubin_entered": "2.5", "bilirubin_unit": "mg/dL"},
        confirm=True,
    )
    row = IahContraindications.objects.get(form_status__participant=screened)
    assert row.bilirubin_entered == Decimal("2.5") and row.bilirubin_unit == "mg/dL"
    assert row.bilirubin_umol_l == Decimal("42.75")  # 2.5 x 17.1, exact
    # 42.75 µmol/L: 2 points; albumin 40, INR 1.0, no ascites or encephalopathy: 1 each.
    assert (row.child_pugh_score, row.child_pugh_class) == (6, "A")


def test_measurable_target_lesions_are_counted_from_the_lesions(nurse, screened):
    h.save(nurse, screened, "SCR", "CONSENT", h.consent_data())
    h.save(nurse, screened, "SCR", "IMAGING", h.imaging_data([("liver", "30")], []))
    imaging = InclusionImaging.objects.get(form_status__participant=screened)
    assert imaging.measurable_target_lesions == 1
    assert [str(t) for t in imaging.target_lesions.all()] == ["T1"]


def _full_and_empty(nurse, bdx):
    empty = actions.register_participant(nurse, bdx, h.CONSENT_DAY)
    full = h.eligible_participant(nurse, bdx)
    return [
        type(p).objects.get(pk=p.pk)  # fresh objects: nothing cached
        for p in (empty, full)
    ]


def test_screening_items_cost_one_query_whatever_is_entered(nurse, bdx, django_assert_num_queries):
    for participant in _full_and_empty(nurse, bdx):
        with django_assert_num_queries(1):
            facts.screening_items(participant)


def test_facts_cost_a_fixed_number_of_queries(nurse, bdx, django_assert_num_queries):
    # One for the screening forms, one for the eligibility lab, one for the cycles: the
    # same with nothing entered and with everything entered.
    for participant in _full_and_empty(nurse, bdx):
        with django_assert_num_queries(3):
            facts.facts_for(participant, date.today())


# --- The forms speak the rules' codes ----------------------------------------------------------
def test_choice_codes_are_the_ones_the_rules_read():
    from eligibility import calculations, models, presentation

    assert set(models.PrimarySite.values) == set(rules.PRIMARY_SITES)
    assert set(models.PregnancyTest.values) == set(rules.PREGNANCY_TEST_RESULTS)
    assert set(models.Ascites.values) == set(calculations.CP_ASCITES_POINTS)
    assert set(models.Encephalopathy.values) == set(calculations.CP_ENCEPHALOPATHY_POINTS)
    assert rules.NO_CONTRACEPTION in models.Contraception.values
    assert set(models.Ecog.values) == set(rules.ECOG_VALUES)
    # The translated criterion texts are the protocol's, one for each criterion.
    assert {c.code: c.text for c in rules.CRITERIA} == {
        code: str(text) for code, text in presentation.CRITERION_TEXT.items()
    }


def test_the_screening_items_are_the_values_the_orm_reads(eligible):
    # screening_items reads every form in one prebuilt statement (JSON and native date
    # arrays); each value and its type must be what the ORM gives for the same row.
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    zone = ZoneInfo(eligible.site.time_zone)
    expected = {}
    for form, (event, model) in facts.FORM_MODELS.items():
        data = model.objects.get(
            form_status__participant=eligible, form_status__event=event, form_status__form=form
        )
        for field in facts._item_field_objects(model):
            value = getattr(data, field.name)
            if isinstance(value, datetime):
                value = timezone.localtime(value, zone)
            expected[f"{form}.{field.name}"] = value
    items = facts.screening_items(eligible)
    assert items == expected
    assert {k: type(v) for k, v in items.items()} == {k: type(v) for k, v in expected.items()}
    assert any(isinstance(v, Decimal) for v in items.values())
    assert items["CONSENT.consent_datetime"].tzinfo == zone


def test_the_signature_check_reads_the_facts_on_the_evaluation_date(eligible, investigator):
    # facts_as_signed reads the sign-off's date with the screening forms (one statement):
    # the same facts as facts_for on selectors.evaluation_date, before and after sign-off.
    from eligibility import selectors

    def as_before():
        return facts.facts_for(eligible, selectors.evaluation_date(eligible))

    assert facts.facts_as_signed(eligible) == as_before()
    assert facts.facts_as_signed(eligible).signoff_date == facts.site_today(eligible)
    from eligibility import actions as eligibility_actions
    from tests.conftest import PASSWORD

    eligibility_actions.sign_eligibility(investigator, PASSWORD, eligible, decision="eligible")
    signed = facts.facts_as_signed(eligible)
    assert signed == as_before()
    assert signed.signoff_date == selectors.signoff_of(eligible).signoff_date
