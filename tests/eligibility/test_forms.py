"""Bad input on the screening forms: refused beside the field, unusual values confirmed,
nothing typed lost."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from eligibility.models import InclusionImaging
from tests.eligibility import helpers as h

pytestmark = pytest.mark.django_db

TOMORROW = h.TODAY + timedelta(days=1)


def errors_of(participant, event, form, data, *, complete=True):
    bound = h.bind(participant, event, form, data, complete=complete)
    assert not bound.is_valid()
    return bound


# --- Dates ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("event", "form", "field", "value"),
    [
        ("SCR", "CONSENT", "consent_datetime", f"{TOMORROW.isoformat()}T09:00"),
        ("SCR", "IMAGING", "ct_date", TOMORROW),
        ("SCR", "DISEASE", "diagnosis_date", TOMORROW),
        ("ELIG", "VITALS", "assessment_date", TOMORROW),
    ],
)
def test_dates_in_the_future_are_refused(screened, event, form, field, value):
    data = {**(h.SCREENING.get(form) or h.vitals_data)(), field: value}
    bound = errors_of(screened, event, form, data)
    assert "future" in bound.errors[field][0]


def test_a_consent_dated_after_a_study_procedure_is_refused(nurse, screened):
    h.save(nurse, screened, "SCR", "CONSENT", h.consent_data())
    h.save(nurse, screened, "SCR", "IMAGING", h.imaging_data())
    ct_day = h.CONSENT_DAY + timedelta(days=2)
    late = {**h.consent_data(), "consent_datetime": f"{(ct_day + timedelta(days=1))}T09:00"}
    bound = errors_of(screened, "SCR", "CONSENT", late)
    (message,) = bound.errors["consent_datetime"]
    assert "before every study procedure" in message
    assert "inclusion CT" in message
    assert ct_day.isoformat() in message  # English dates are ISO, never month first


@pytest.mark.parametrize("form", ["IMAGING", "VITALS"])
def test_a_procedure_dated_before_the_consent_is_refused(nurse, screened, form):
    h.save(nurse, screened, "SCR", "CONSENT", h.consent_data())
    early = h.CONSENT_DAY - timedelta(days=1)
    if form == "IMAGING":
        event, field, data = "SCR", "ct_date", {**h.imaging_data(), "ct_date": early}
    else:
        event, field, data = (
            "ELIG",
            "assessment_date",
            {**h.vitals_data(), "assessment_date": early},
        )
    bound = errors_of(screened, event, form, data)
    assert "before the consent" in bound.errors[field][0]


def test_progression_under_ssa_cannot_precede_its_start(screened):
    data = h.disease_data()
    data["ssa_progression_date"] = data["cold_ssa_start_date"] - timedelta(days=1)
    bound = errors_of(screened, "SCR", "DISEASE", data)
    assert "cannot precede the SSA start" in bound.errors["ssa_progression_date"][0]


# --- Ranges and confirmations ------------------------------------------------------------------
def test_a_weight_of_700_kg_is_refused_saying_what_is_expected(screened):
    bound = errors_of(screened, "ELIG", "VITALS", {**h.vitals_data(), "weight_kg": "700"})
    assert bound.errors["weight_kg"] == ["Enter a value between 25 and 250 kg."]
    assert not bound.needs_confirmation


def test_a_weight_of_35_kg_asks_the_nurse_to_confirm(nurse, screened):
    bound = errors_of(screened, "ELIG", "VITALS", {**h.vitals_data(), "weight_kg": "35"})
    assert bound.needs_confirmation
    assert "35 kg is unusual" in bound.errors["weight_kg"][0]
    assert "Tick the confirmation box" in bound.errors["weight_kg"][0]
    vitals = h.save(
        nurse, screened, "ELIG", "VITALS", {**h.vitals_data(), "weight_kg": "35"}, confirm=True
    )
    assert vitals.weight_kg == 35


def test_the_diastolic_pressure_must_be_below_the_systolic(screened):
    data = {**h.vitals_data(), "systolic_bp": "90", "diastolic_bp": "95"}
    bound = errors_of(screened, "ELIG", "VITALS", data)
    assert "below the systolic" in bound.errors["diastolic_bp"][0]


@pytest.mark.parametrize("field", ["bilirubin_entered", "albumin_g_l", "inr"])
def test_a_zero_child_pugh_lab_value_is_refused(screened, field):
    bound = errors_of(screened, "SCR", "IAHCI", {**h.iahci_data(), field: "0"})
    assert bound.errors[field][0].startswith("Enter a value between")


def test_creatinine_of_zero_is_refused_on_the_eligibility_lab(nurse, screened):
    h.save(nurse, screened, "SCR", "CONSENT", h.consent_data())
    bound = errors_of(screened, "ELIG", "LAB", {**h.lab_data(), "creatinine_entered": "0"})
    assert "creatinine_entered" in bound.errors


def test_a_copy_of_the_consent_not_given_is_confirmed(screened):
    bound = errors_of(screened, "SCR", "CONSENT", {**h.consent_data(), "copy_given": "False"})
    assert bound.needs_confirmation
    assert "keep a copy" in bound.errors["copy_given"][0]


# --- Complete versus draft -------------------------------------------------------------------
def test_a_draft_saves_half_filled_but_a_complete_form_needs_every_item(nurse, screened):
    data = {**h.cardio_data(), "stroke": ""}  # a blank yes/no is "not answered", not "no"
    bound = errors_of(screened, "SCR", "CARDIO", data)
    assert bound.errors["stroke"] == ["This field is required."]
    cardio = h.save(nurse, screened, "SCR", "CARDIO", data, complete=False)
    assert cardio.stroke is None and cardio.heart_failure is False


def test_lvef_is_needed_only_with_carcinoid_heart_disease(screened):
    data = {**h.cardio_data(), "carcinoid_heart_disease": "True", "lvef_percent": ""}
    bound = errors_of(screened, "SCR", "CARDIO", data)
    assert "lvef_percent" in bound.errors
    assert h.bind(
        screened, "SCR", "CARDIO", {**data, "carcinoid_heart_disease": "False"}
    ).is_valid()


def test_a_woman_of_childbearing_potential_needs_contraception_and_a_pregnancy_test(
    nurse, screened
):
    h.save(nurse, screened, "SCR", "DEMOG", h.demographics_data())
    data = {**h.repro_data(), "childbearing_potential": "True", "pregnancy_test_result": ""}
    bound = errors_of(screened, "SCR", "REPRO", data)
    assert set(bound.errors) >= {"contraception_method", "pregnancy_test_result"}
    ok = {**data, "contraception_method": "iud", "pregnancy_test_result": "negative"}
    assert h.bind(screened, "SCR", "REPRO", ok).is_valid()


def test_childbearing_potential_is_refused_for_a_man(nurse, screened):
    h.save(nurse, screened, "SCR", "DEMOG", {**h.demographics_data(), "sex": "M"})
    data = {**h.repro_data(), "childbearing_potential": "True", "contraception_method": "none"}
    bound = errors_of(screened, "SCR", "REPRO", data)
    assert "women only" in bound.errors["childbearing_potential"][0]


# --- RECIST baseline ---------------------------------------------------------------------------
def lesion_errors(participant, targets, non_targets=()):
    bound = h.bind(participant, "SCR", "IMAGING", h.imaging_data(targets, list(non_targets)))
    assert not bound.is_valid()
    formset = bound.target_lesions
    return [str(e) for e in formset.non_form_errors()], [dict(f.errors) for f in formset.forms]


def test_at_most_two_target_lesions_per_organ(nurse, screened):
    h.save(nurse, screened, "SCR", "CONSENT", h.consent_data())
    general, _rows = lesion_errors(screened, [("liver", "30"), ("liver", "20"), ("liver", "15")])
    assert general and "at most 2 target lesions per organ" in general[0]
    assert "Liver" in general[0]


def test_at_most_five_target_lesions(nurse, screened):
    h.save(nurse, screened, "SCR", "CONSENT", h.consent_data())
    six = [(o, "20") for o in ("liver", "liver", "lung", "lung", "bone", "bone")]
    general, _rows = lesion_errors(screened, six)
    assert general == ["RECIST 1.1 allows at most 5 target lesions."]


@pytest.mark.parametrize(
    ("organ", "diameter", "expected"),
    [("lymph_node", "12", "15 mm short axis"), ("liver", "8", "at least 10 mm")],
)
def test_target_lesions_too_small_to_measure_are_refused(
    nurse, screened, organ, diameter, expected
):
    h.save(nurse, screened, "SCR", "CONSENT", h.consent_data())
    _general, rows = lesion_errors(screened, [(organ, diameter)])
    assert expected in rows[0]["diameter_mm"][0]


def test_a_lesion_row_begun_must_be_finished(nurse, screened):
    h.save(nurse, screened, "SCR", "CONSENT", h.consent_data())
    _general, rows = lesion_errors(screened, [("liver", "")])
    assert rows[0]["diameter_mm"] == ["Required for each lesion listed."]


def test_lesions_are_edited_keep_their_labels_and_are_recounted(nurse, screened):
    h.save(nurse, screened, "SCR", "CONSENT", h.consent_data())
    h.save(nurse, screened, "SCR", "IMAGING", h.imaging_data())
    imaging = InclusionImaging.objects.get(form_status__participant=screened)
    t1, t2, t3 = imaging.target_lesions.all()
    data = {**h.imaging_data([], ["bone"])}
    data.update(
        h.formset_data(
            "target",
            [
                {"id": t1.pk, "organ": "liver", "diameter_mm": "32", "DELETE": "on"},
                {"id": t2.pk, "organ": "liver", "diameter_mm": "25"},
                {"id": t3.pk, "organ": "lymph_node", "diameter_mm": "18"},
            ],
            5,
            initial=3,
        )
    )
    nt = imaging.non_target_lesions.get()
    data.update(h.formset_data("nontarget", [{"id": nt.pk, "organ": "bone"}], 4, initial=1))
    h.save(nurse, screened, "SCR", "IMAGING", data)
    imaging.refresh_from_db()
    assert imaging.measurable_target_lesions == 2
    # Each lesion keeps its permanent label: with T1 removed, T2 and T3 stay T2 and T3.
    lesions = [(t.number, t.organ, t.diameter_mm) for t in imaging.target_lesions.all()]
    assert lesions == [(2, "liver", Decimal("25.0")), (3, "lymph_node", Decimal("18.0"))]


def test_a_complete_imaging_form_without_target_lesions_counts_zero(nurse, screened):
    h.save(nurse, screened, "SCR", "CONSENT", h.consent_data())
    h.save(nurse, screened, "SCR", "IMAGING", h.imaging_data([], []))
    assert InclusionImaging.objects.get().measurable_target_lesions == 0


def test_a_draft_imaging_form_without_lesions_is_not_measured_yet(nurse, screened):
    h.save(nurse, screened, "SCR", "IMAGING", h.imaging_data([], []), complete=False)
    assert InclusionImaging.objects.get().measurable_target_lesions is None


# --- Through the page --------------------------------------------------------------------------
def test_nothing_typed_is_lost_when_the_page_refuses_a_value(nurse_client, screened):
    url = reverse("crf_edit", args=[screened.code, "ELIG", "VITALS", 1])
    posted = {f"crf-{k}": str(v) for k, v in {**h.vitals_data(), "weight_kg": "700"}.items()}
    response = nurse_client.post(url, {**posted, "version": "0", "save_complete": ""})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter a value between 25 and 250 kg." in page
    assert 'value="700"' in page and 'value="128"' in page and 'value="72"' in page
    assert screened.forms.get(event="ELIG", form="VITALS").version == 0


def test_the_imaging_page_shows_the_lesion_tables(nurse_client, screened):
    response = nurse_client.get(reverse("crf_edit", args=[screened.code, "SCR", "IMAGING", 1]))
    page = response.content.decode()
    assert 'name="crf-target-TOTAL_FORMS"' in page
    assert page.count('name="crf-target-') >= 5 * 3  # five rows of organ, location, diameter
    assert 'data-testid="nontarget-lesions"' in page
