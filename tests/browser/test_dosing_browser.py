"""A nurse records cycle 2 with a grade-3 neutropenia, sees the advice before cycle 3 and opens
the adverse event pre-filled from the lab finding."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dosing.models import AdverseEvent, CycleAdministration, LabPanel
from tests.dosing.conftest import cycle, lab, save
from trial import actions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def type_normal_platelets_kidney_and_liver(page) -> None:
    """The rest of a pre-cycle panel, every value within its limits, typed as a nurse does."""
    for name, value in (
        ("platelets_entered", "190"),
        ("platelets_lln_entered", "150"),
        ("creatinine_entered", "78"),
        ("creatinine_uln_entered", "104"),
        ("alt_u_l", "24"),
        ("alt_uln", "40"),
        ("ast_u_l", "21"),
        ("ast_uln", "40"),
        ("bilirubin_entered", "9"),
        ("bilirubin_uln_entered", "21"),
    ):
        page.fill(f"input[name=crf-{name}]", value)


def test_nurse_records_c2_with_grade_3_neutropenia_and_opens_the_adverse_event(
    login, live_server, nurse, participant, output_path
):
    today = timezone.localdate()
    c1 = today - timedelta(weeks=12)
    c2 = c1 + timedelta(weeks=8)
    sample = c2 - timedelta(days=2)
    save(nurse, participant, "C1", "LAB", lab(sample_date=c1 - timedelta(days=3)))
    save(nurse, participant, "C1", "CYCLE", cycle(c1))

    page = login(nurse)
    page.goto(f"{live_server.url}/p/{participant.code}/")
    page.click("li[data-event=C2] a.form-chip[data-form=LAB]")

    # The pre-cycle panel: neutrophils typed per mm3; the grade appears while typing.
    page.fill("input[name=crf-sample_date]", sample.isoformat())
    page.fill("input[name=crf-haemoglobin_g_dl]", "12.1")
    page.fill("input[name=crf-haemoglobin_lln]", "12")
    page.select_option("select[name=crf-neutrophils_unit]", "/mm3")
    page.fill("input[name=crf-neutrophils_lln_entered]", "1800")
    page.fill("input[name=crf-neutrophils_entered]", "800")
    expect(page.get_by_test_id("grade-neutrophils")).to_have_attribute("data-grade", "3")
    expect(page.get_by_test_id("grade-ae-neutrophils")).to_be_visible()
    expect(page.locator("#limit-unit-neutrophils")).to_have_text("/mm³")
    page.fill("input[name=crf-lymphocytes_entered]", "1.4")
    type_normal_platelets_kidney_and_liver(page)
    expect(page.get_by_test_id("grade-alt")).to_have_attribute("data-grade", "0")
    page.click("button[name=save_complete]")
    expect(page.get_by_test_id("participant-code")).to_have_text(participant.code)
    panel = LabPanel.objects.get(form_status__event="C2")
    assert (panel.neutrophils_mm3, panel.neutrophils_unit) == (800, "/mm3")

    # Cycle 2 was given at full dose (the nurse records what was given).
    page.click("li[data-event=C2] a.form-chip[data-form=CYCLE]")
    expect(page.get_by_test_id("dose-advice")).to_have_attribute("data-action", "withhold")
    page.fill("input[name=crf-administration_date]", c2.isoformat())
    page.fill("input[name=crf-prescribed_gbq]", "7.4")
    page.fill("input[name=crf-administered_gbq]", "7400")
    page.select_option("select[name=crf-amino_acids]", "True")
    page.select_option("select[name=crf-residual_uptake]", "True")
    page.select_option("select[name=crf-dose_modification]", "none")
    page.click("button[name=save_complete]")
    expect(page.locator("#error_1_id_crf-administered_gbq")).to_contain_text(
        "did you mean 7.4 GBq?"
    )
    expect(page.locator("input[name=crf-administration_date]")).to_have_value(c2.isoformat())
    page.fill("input[name=crf-administered_gbq]", "7.35")
    page.click("button[name=save_complete]")
    expect(page.get_by_test_id("participant-code")).to_have_text(participant.code)
    assert CycleAdministration.objects.get(form_status__event="C2").administration_date == c2

    # Before cycle 3: the label says withhold, from the C2 panel.
    page.click("li[data-event=C3] a.form-chip[data-form=CYCLE]")
    advice = page.get_by_test_id("dose-advice")
    expect(advice).to_have_attribute("data-action", "withhold")
    expect(page.get_by_test_id("advice-headline")).to_have_text(
        "Withhold the dose, then give 3.7 GBq"
    )
    expect(page.get_by_test_id("advice-rule")).to_contain_text(
        "neutrophil count decreased grade 3 (800/mm3)"
    )
    shot = Path(output_path) / "dose-advice.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000

    # The finding opens a new adverse event, pre-filled, in a new tab.
    with page.context.expect_page() as opened:
        page.get_by_test_id("open-ae-neutrophils").click()
    ae = opened.value
    ae.wait_for_load_state()
    expect(ae.locator("input[name=crf-term]")).to_have_value("Neutrophil count decreased")
    expect(ae.locator("input[name=crf-grade][value='3']")).to_be_checked()
    expect(ae.locator("input[name=crf-onset_date]")).to_have_value(sample.isoformat())
    expect(ae.get_by_test_id("ae-soc")).to_contain_text("Investigations")

    # The term picker: typing lists CTCAE terms with their SOC; picking keeps the grade.
    ae.fill("input[name=crf-term]", "neutrophil")
    result = ae.get_by_test_id("ctcae-result").filter(has_text="Neutrophil count decreased")
    expect(result).to_contain_text("Investigations")
    result.click()
    expect(ae.locator("input[name=crf-term]")).to_have_value("Neutrophil count decreased")
    expect(ae.locator("input[name=crf-grade][value='3']")).to_be_checked()
    expect(ae.locator("input[name=crf-grade][value='5']")).to_have_count(0)

    ae.check("input[name=crf-ongoing]")
    ae.select_option("select[name=crf-serious]", "False")
    ae.select_option("select[name=crf-relationship_iv_lutathera]", "probable")
    ae.select_option("select[name=crf-action_taken]", "dose_delayed")
    ae.select_option("select[name=crf-outcome]", "recovering")
    ae.click("button[name=save_complete]")
    expect(ae.get_by_test_id("participant-code")).to_have_text(participant.code)
    event = AdverseEvent.objects.get()
    assert (event.term, event.grade, event.onset_date, event.ongoing) == (
        "Neutrophil count decreased",
        3,
        sample,
        True,
    )


def test_a_french_nurse_reads_the_ctcae_terms_of_the_advice_in_english(
    login, live_server, nurse, participant, output_path
):
    # The French page names a CTCAE term in French with its official English beside it,
    # marked lang="en" for a screen reader; what the nurse types is saved and shown back.
    actions.set_language(nurse, "fr")
    today = timezone.localdate()
    c1 = today - timedelta(weeks=10)
    c2 = c1 + timedelta(weeks=8)
    save(nurse, participant, "C1", "LAB", lab(sample_date=c1 - timedelta(days=3)))
    save(nurse, participant, "C1", "CYCLE", cycle(c1))

    page = login(nurse)
    page.goto(f"{live_server.url}/p/{participant.code}/")
    page.click("li[data-event=C2] a.form-chip[data-form=LAB]")
    page.fill("input[name=crf-sample_date]", (c2 - timedelta(days=2)).isoformat())
    page.fill("input[name=crf-haemoglobin_g_dl]", "13")
    page.fill("input[name=crf-haemoglobin_lln]", "12")
    page.select_option("select[name=crf-neutrophils_unit]", "/mm3")
    page.fill("input[name=crf-neutrophils_lln_entered]", "1800")
    page.fill("input[name=crf-neutrophils_entered]", "3000")
    page.fill("input[name=crf-lymphocytes_entered]", "0,4")  # the French decimal comma
    type_normal_platelets_kidney_and_liver(page)
    expect(page.get_by_test_id("grade-lymphocytes")).to_have_attribute("data-grade", "3")
    page.click("button[name=save_complete]")
    expect(page.get_by_test_id("participant-code")).to_have_text(participant.code)
    expect(page.locator("li[data-event=C2] a.form-chip[data-form=LAB]")).to_have_attribute(
        "data-status", "complete"
    )

    # Lymphopenia alone does not change the dose: the full dose, and the term in both tongues.
    page.click("li[data-event=C2] a.form-chip[data-form=CYCLE]")
    expect(page.get_by_test_id("dose-advice")).to_have_attribute("data-action", "give")
    rule = page.get_by_test_id("advice-rule")
    expect(rule).to_contain_text("(Lymphocyte count decreased)")
    expect(rule.locator("span[lang=en]")).to_have_text("Lymphocyte count decreased")
    expect(rule).to_contain_text("à elle seule, ne modifie pas la dose")
    shot = Path(output_path) / "dose-advice-fr.png"
    page.get_by_test_id("dose-advice").screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000

    page.fill("input[name=crf-administration_date]", c2.isoformat())
    page.fill("input[name=crf-prescribed_gbq]", "7,4")
    page.fill("input[name=crf-administered_gbq]", "7,35")
    page.select_option("select[name=crf-amino_acids]", "True")
    page.select_option("select[name=crf-residual_uptake]", "True")
    page.select_option("select[name=crf-dose_modification]", "none")
    page.click("button[name=save_complete]")
    expect(page.get_by_test_id("participant-code")).to_have_text(participant.code)
    expect(page.locator("li[data-event=C2] a.form-chip[data-form=CYCLE]")).to_have_attribute(
        "data-status", "complete"
    )
    page.screenshot(path=str(Path(output_path) / "participant-fr.png"), full_page=True)
    page.click("li[data-event=C2] a.form-chip[data-form=CYCLE]")
    expect(page.locator("input[name=crf-administered_gbq]")).to_have_value("7,35")
    given = CycleAdministration.objects.get(form_status__event="C2")
    assert (given.administration_date, str(given.administered_gbq)) == (c2, "7.35")
