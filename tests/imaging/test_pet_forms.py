from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from imaging import selectors
from imaging.models import LesionSuv, PetScan
from tests.imaging import helpers as h


def test_pets_are_saved_with_their_groups_and_net_activity(scanned):
    iah = PetScan.objects.get(form_status__participant=scanned, form_status__form="PET_IAH")
    assert iah.net_injected_mbq is not None
    # 180 MBq 20 min before, 8 MBq 10 min after, 68Ga 67.71 min.
    expected = 180 * 2 ** (-20 / 67.71) - 8 * 2 ** (10 / 67.71)
    assert abs(float(iah.net_injected_mbq) - expected) < 0.06
    assert LesionSuv.objects.filter(pet=iah).count() == 5
    assert scanned.dates.get("PET-IAH") == iah.scan_date
    summary = selectors.summary(scanned)
    assert summary.patient_ratio_text == "3.80"
    assert summary.met


def test_suvmax_below_suvmean_is_refused_and_kept(nurse, enrolled):
    values, groups = h.pet_data(h.IAH_INJECTION)
    groups["lesion_suvs"][2] = {"suv_max": "5", "suv_mean": "6"}
    bound = h.bind(enrolled, "PET-IAH", "PET_IAH", values, groups)
    assert not bound.is_valid()
    row = bound.lesion_suvs.forms[2]
    assert "below SUVmean" in str(row.errors["suv_max"])
    assert row["suv_max"].value() == "5"


def test_suv_out_of_range_is_refused(enrolled):
    values, groups = h.pet_data(h.IAH_INJECTION)
    groups["lesion_suvs"][0] = {"suv_max": "250", "suv_mean": "6"}
    groups["organ_suvs"][0] = {"suv_mean": "0"}
    bound = h.bind(enrolled, "PET-IAH", "PET_IAH", values, groups)
    assert not bound.is_valid()
    assert bound.lesion_suvs.forms[0].errors["suv_max"]
    assert bound.organ_suvs.forms[0].errors["suv_mean"]


def test_scan_before_injection_is_refused(enrolled):
    values, groups = h.pet_data(
        h.IAH_INJECTION, scan_start_at=h.dt(h.IAH_INJECTION - timedelta(minutes=5))
    )
    bound = h.bind(enrolled, "PET-IAH", "PET_IAH", values, groups)
    assert not bound.is_valid()
    assert "before the injection" in str(bound.errors["scan_start_at"])


def test_pet_iv_under_10_hours_is_refused(nurse, enrolled):
    h.save(nurse, enrolled, "PET-IAH", "PET_IAH", *h.pet_data(h.IAH_INJECTION))
    enrolled.refresh_from_db()
    values, groups = h.pet_data(h.IAH_INJECTION + timedelta(hours=9), h.IV_SUVS, iah=False)
    bound = h.bind(enrolled, "PET-IV", "PET_IV", values, groups)
    assert not bound.is_valid()
    assert "at least 10 h" in str(bound.errors["injection_at"])


def test_pet_iv_just_after_10_hours_asks_to_confirm_with_the_residue(nurse, enrolled):
    h.save(nurse, enrolled, "PET-IAH", "PET_IAH", *h.pet_data(h.IAH_INJECTION))
    enrolled.refresh_from_db()
    values, groups = h.pet_data(
        h.IAH_INJECTION + timedelta(hours=10, minutes=3), h.IV_SUVS, iah=False
    )
    bound = h.bind(enrolled, "PET-IV", "PET_IV", values, groups)
    assert not bound.is_valid()
    assert bound.needs_confirmation
    assert "0.2" in str(bound.errors["injection_at"]) and "%" in str(bound.errors["injection_at"])
    h.save(nurse, enrolled, "PET-IV", "PET_IV", values, groups, confirm=True)


def test_pet_iv_after_28_days_is_a_warning(nurse, enrolled):
    h.save(nurse, enrolled, "PET-IAH", "PET_IAH", *h.pet_data(h.IAH_INJECTION - timedelta(days=40)))
    enrolled.refresh_from_db()
    values, groups = h.pet_data(h.IAH_INJECTION, h.IV_SUVS, iah=False)
    bound = h.bind(enrolled, "PET-IV", "PET_IV", values, groups)
    assert not bound.is_valid() and bound.needs_confirmation


def test_a_missing_lesion_leaves_the_gate_uncomputed_naming_the_cells(nurse, enrolled):
    h.save(nurse, enrolled, "PET-IAH", "PET_IAH", *h.pet_data(h.IAH_INJECTION))
    enrolled.refresh_from_db()
    suvs = list(h.IV_SUVS)
    suvs[3] = ("", "")
    values, groups = h.pet_data(h.IV_INJECTION, suvs, iah=False)
    bound = h.bind(enrolled, "PET-IV", "PET_IV", values, groups, complete=False)
    assert bound.is_valid(), bound.errors
    from trial import actions
    from trial.models import FormStatus

    row = FormStatus.objects.get(pk=bound.row.pk)
    actions.save_crf(nurse, row, bound.crf_data(), expected_version=row.version, complete=False)
    summary = selectors.summary(enrolled)
    assert summary.patient_ratio is None
    assert summary.missing == ["PET-IV L4 SUVmax"]
    assert "PET-IV L4 SUVmax" in selectors.missing_text(summary)


def test_a_complete_pet_needs_every_lesion(enrolled):
    suvs = list(h.IAH_SUVS)
    suvs[0] = ("", "")
    bound = h.bind(enrolled, "PET-IAH", "PET_IAH", *h.pet_data(h.IAH_INJECTION, suvs))
    assert not bound.is_valid()
    assert "L1" in str(bound.non_field_errors())


def test_a_changed_suv_is_recorded_as_a_group_change(nurse, scanned):
    values, groups = h.pet_data(h.IAH_INJECTION)
    groups["lesion_suvs"][0] = {"suv_max": "41", "suv_mean": "20"}
    h.save(nurse, scanned, "PET-IAH", "PET_IAH", values, groups, reason="transcription error")
    row = LesionSuv.objects.get(
        pet__form_status__participant=scanned, pet__form_status__form="PET_IAH", number=1
    )
    assert row.suv_max == Decimal("41.00")
