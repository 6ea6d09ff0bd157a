"""Item-group rows keep their identity: a permanent label that never renumbers (T1-T5 target
lesions, E1... extra-hepatic lesions), deletions refused while other data depend on the row,
follow-up measurements paired with the baseline lesion by identity. Each test reproduces a
finding of the trial-logic review (rows keyed by position), then checks the fix."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from eligibility.models import InclusionImaging, TargetLesion
from followup.models import RecistAssessment
from imaging.models import ExtraHepaticLesion
from submission.domains.common import lesion_id
from tests.eligibility import helpers as eh
from tests.followup import helpers as h
from tests.imaging import helpers as ih
from trial import actions
from trial import crf as crf_registry
from trial.forms import REASONS
from trial.models import FormStatus


@pytest.fixture
def fu(nurse, bdx):
    return h.follow_up_participant(nurse, bdx)


def imaging_post(participant, targets: list[dict], **extra) -> dict:
    """The inclusion imaging as the page posts it: `targets` rows, saved ones with their id
    (and "DELETE": "on" to remove one), the saved non-target lesion kept."""
    imaging = InclusionImaging.objects.get(form_status__participant=participant)
    data = eh.imaging_data([], [])
    data.update(ct_date=h.SCREENING + timedelta(days=2), mri_date=h.BASELINE_IMAGING, **extra)
    saved = sum(1 for row in targets if "id" in row)
    data.update(eh.formset_data("target", targets, 5, initial=saved))
    nt = imaging.non_target_lesions.get()
    data.update(eh.formset_data("nontarget", [{"id": nt.pk, "organ": "bone"}], 4, initial=1))
    return data


def saved_targets(participant) -> list[TargetLesion]:
    return list(TargetLesion.objects.filter(imaging__form_status__participant=participant))


def save_imaging(user, participant, data):
    participant.refresh_from_db()
    bound = eh.bind(participant, "SCR", "IMAGING", data)
    assert bound.is_valid(), [(fs.errors, fs.non_form_errors()) for fs in bound.formsets]
    row = FormStatus.objects.get(pk=bound.row.pk)
    return actions.save_crf(
        user, row, bound.crf_data(), expected_version=row.version, reason="transcription error"
    )


def without_t1(participant) -> dict:
    t1, t2, t3 = saved_targets(participant)
    return imaging_post(
        participant,
        [
            {"id": t1.pk, "organ": "liver", "diameter_mm": "32", "DELETE": "on"},
            {"id": t2.pk, "organ": "liver", "diameter_mm": "25"},
            {"id": t3.pk, "organ": "lymph_node", "diameter_mm": "18"},
        ],
    )


def test_deleting_t1_leaves_t2_and_t3_their_labels(nurse, fu):
    save_imaging(nurse, fu, without_t1(fu))
    assert [(t.number, t.diameter_mm) for t in saved_targets(fu)] == [
        (2, Decimal("25.0")),
        (3, Decimal("18.0")),
    ]
    # A lesion added later takes a free label, never an existing one.
    t2, t3 = saved_targets(fu)
    save_imaging(
        nurse,
        fu,
        imaging_post(
            fu,
            [
                {"id": t2.pk, "organ": "liver", "diameter_mm": "25"},
                {"id": t3.pk, "organ": "lymph_node", "diameter_mm": "18"},
                {"organ": "lung", "diameter_mm": "14"},
            ],
        ),
    )
    assert [(t.number, t.organ) for t in saved_targets(fu)] == [
        (1, "lung"),
        (2, "liver"),
        (3, "lymph_node"),
    ]


def test_follow_up_measures_the_baseline_lesions_by_identity(nurse, fu):
    save_imaging(nurse, fu, without_t1(fu))  # T2 25 mm, T3 18 mm: baseline sum 43
    form = h.bind_recist(
        fu,
        "M3",
        h.recist_values(h.visit_day(3)),
        [
            {"number": 2, "present": "True", "size_mm": "20"},
            {"number": 3, "present": "True", "size_mm": "9"},
        ],
    )
    assert [form.measurements.row_label(i) for i in range(2)] == ["T2", "T3"]
    h.save_form(nurse, form)
    m3 = RecistAssessment.objects.get(form_status__participant=fu, form_status__event="M3")
    assert list(m3.measurements.values_list("number", "size_mm")) == [
        (2, Decimal("20.0")),
        (3, Decimal("9.0")),
    ]
    assert (m3.baseline_sum_mm, m3.sum_mm) == (Decimal("43.0"), Decimal("29.0"))


def test_deleting_a_baseline_lesion_with_follow_up_measurements_is_refused(nurse, fu):
    h.save_recist(nurse, fu, "M3", h.visit_day(3), 22, 16, 12)
    h.save_recist(nurse, fu, "M6", h.visit_day(6), 22, 16, 12)
    fu.refresh_from_db()
    bound = eh.bind(fu, "SCR", "IMAGING", without_t1(fu))
    # On the page: refused beside the row, naming what depends on it.
    assert not bound.is_valid()
    t1_row = bound.target_lesions.forms[0]
    message = " ".join(t1_row.non_field_errors())
    assert "T1" in message and "M3" in message and "M6" in message
    assert "not evaluable" in message

    # And by the action itself, whatever posts to it.
    row = fu.forms.get(event="SCR", form="IMAGING")
    spec = crf_registry.get("IMAGING")
    instance = spec.model.objects.get(form_status=row)
    data = {f.name: getattr(instance, f.name) for f in spec.item_fields}
    data["target_lesions"] = [
        {"number": t.number, "organ": t.organ, "location": "", "diameter_mm": t.diameter_mm}
        for t in saved_targets(fu)[1:]
    ]
    with pytest.raises(actions.ActionRefused, match="M3.*M6"):
        actions.save_crf(nurse, row, data, expected_version=row.version, reason="wrong lesion")
    assert [t.number for t in saved_targets(fu)] == [1, 2, 3]


def test_the_refusal_is_shown_on_the_page_with_what_was_typed(nurse, nurse_client, fu):
    h.save_recist(nurse, fu, "M3", h.visit_day(3), 22, 16, 12)
    data = without_t1(fu)
    data["target-1-diameter_mm"] = "26"
    posted = {f"crf-{k}": "" if v is None else str(v) for k, v in data.items()}
    row = fu.forms.get(event="SCR", form="IMAGING")
    url = reverse("crf_edit", args=[fu.code, "SCR", "IMAGING", 1])
    response = nurse_client.post(
        url,
        {
            **posted,
            "version": str(row.version),
            "save_complete": "",
            "change-reason": REASONS[1][0],
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "T1 cannot be removed" in page and "M3" in page
    assert 'value="26"' in page
    assert [t.diameter_mm for t in saved_targets(fu)][1] == Decimal("25.0")


def test_extra_hepatic_rows_keep_their_labels(nurse, investigator, bdx):
    participant = ih.enrolled(nurse, investigator, bdx)
    ih.save(nurse, participant, "PET-IAH", "PETLES", *ih.lesions_data())
    values, groups = ih.pet_data(ih.IAH_INJECTION)
    groups["extrahepatic"] = [
        {"location": "bone T10", "suv_max": "9.5"},
        {"location": "lung", "suv_max": "6"},
    ]
    ih.save(nurse, participant, "PET-IAH", "PET_IAH", values, groups)
    # E1 removed (blanked): the lung lesion stays E2.
    groups["extrahepatic"] = [
        {"number": "", "location": "", "suv_max": ""},
        {"number": "2", "location": "lung", "suv_max": "6"},
    ]
    ih.save(nurse, participant, "PET-IAH", "PET_IAH", values, groups, reason="not a metastasis")
    rows = ExtraHepaticLesion.objects.filter(pet__form_status__participant=participant)
    assert [(r.number, r.location) for r in rows] == [(2, "lung")]
    form = crf_registry.bind(participant.forms.get(event="PET-IAH", form="PET_IAH"), participant)
    assert form.extrahepatic.row_labels[0] == "E2"


def test_the_submission_names_lesions_by_their_label():
    assert lesion_id("IMAGING", "target_lesions", 2) == "T2"
    assert lesion_id("IMAGING", "non_target_lesions", 1) == "NT1"
    assert lesion_id("PET_IAH", "extrahepatic", 3) == "E3"


def test_an_index_lesion_with_suvs_cannot_be_removed(nurse, investigator, bdx):
    participant = ih.enrolled(nurse, investigator, bdx)
    ih.enter_pets(nurse, participant)
    values, groups = ih.lesions_data()
    groups["index_lesions"][1] = {"segment": "", "diameter_mm": ""}  # L2 blanked
    row = participant.forms.get(event="PET-IAH", form="PETLES")
    bound = ih.bind(participant, "PET-IAH", "PETLES", values, groups, complete=False)
    assert bound.is_valid()
    with pytest.raises(actions.ActionRefused, match="L2 cannot be removed.*PET-IAH, PET-IV"):
        actions.save_crf(
            nurse, row, bound.crf_data(), expected_version=row.version, reason="wrong lesion"
        )
