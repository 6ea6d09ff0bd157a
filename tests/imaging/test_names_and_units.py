"""Issue 21: lesions (L1-L5 with their Couinaud segment), organs and time points carry their
names, and every value its unit, wherever an item appears: the forms, the PDFs, the query item
list, the SDV list, History and the exports."""

from __future__ import annotations

import csv

import pytest
from django.urls import reverse

from imaging import actions
from tests.conftest import PASSWORD
from tests.imaging import helpers as h
from trial import actions as trial_actions
from trial import pdf, queries, sdv
from trial.exports import data_csv
from trial.exports.common import Scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def dosed(nurse, investigator, scanned):
    actions.sign_gate(investigator, PASSWORD, scanned, "proceed")
    scanned.refresh_from_db()
    h.enter_iah_and_dosimetry(nurse, scanned)
    scanned.refresh_from_db()
    return scanned


def _row(participant, form):
    return participant.forms.get(form=form)


def test_the_query_item_list_names_rows_and_units_in_form_order(scanned):
    labels = queries.item_labels(_row(scanned, "PET_IAH"))
    addresses = [address for address, _label in labels]
    named = dict(labels)
    # The form's own items in the form's order, the derived ones after them, then the rows.
    assert addresses[:3] == ["radiopharmaceutical", "measured_activity_mbq", "measured_at"]
    assert addresses.index("complications_detail") < addresses.index("net_injected_mbq")
    assert addresses.index("net_injected_mbq") < addresses.index("lesion_suvs[1].suv_max")
    assert named["measured_activity_mbq"] == "Measured activity (MBq)"
    assert named["net_injected_mbq"] == "Net injected activity (MBq)"
    assert named["lesion_suvs[2].suv_max"] == "Index lesion SUVs · L2 (segment IV) · SUVmax"
    assert named["organ_suvs[1].suv_mean"] == "Organ SUVmean · Left kidney · SUVmean"
    assert named["organ_suvs[5].suv_mean"] == "Organ SUVmean · Bone marrow · SUVmean"
    assert named["extrahepatic[1].location"] == "Extra-hepatic lesions · E1 · Location"
    assert addresses.index("lesion_suvs[5].suv_mean") < addresses.index("organ_suvs[1].suv_mean")


def test_the_dosimetry_and_index_lesions_name_time_points_volumes_and_units(dosed):
    named = dict(queries.item_labels(_row(dosed, "DOSI")))
    assert named["time_points[1].act_l1"] == "Time points · 4 h · L1 (segment II) (MBq)"
    assert named["time_points[4].act_kidney_r"] == "Time points · 168 h · Right kidney (MBq)"
    lesions = dict(queries.item_labels(_row(dosed, "PETLES")))
    assert lesions["index_lesions[3].diameter_mm"] == (
        "Index lesions · L3 (segment VI) · Longest diameter (mm)"
    )
    dose = dict(queries.item_labels(_row(dosed, "IAHDOSE")))
    assert dose["net_administered_gbq"] == "Net administered activity (GBq)"


def test_the_raise_query_page_lists_named_items(client, monitor, scanned):
    client.force_login(monitor)
    row = _row(scanned, "PET_IAH")
    page = client.get(reverse("query_raise", args=[scanned.code, row.event, row.form, 1]))
    html = page.content.decode()
    assert "Organ SUVmean · Left kidney · SUVmean" in html
    assert "#1" not in html


def test_the_sdv_list_follows_form_order_and_marks_derived_values(client, monitor, scanned):
    row = _row(scanned, "PET_IAH")
    items = sdv.form_items(row)
    assert [i for i, _l, _s in items] == [a for a, _l in queries.item_labels(row)]
    states = {item: state for item, _label, state in items}
    assert states["net_injected_mbq"] == sdv.DERIVED == states["scan_date"]
    assert states["weight_kg"] == sdv.TO_VERIFY

    client.force_login(monitor)
    url = reverse("crf_edit", args=[scanned.code, row.event, row.form, 1])
    html = client.get(url).content.decode()
    derived = html[html.index('data-item="net_injected_mbq"') :]
    derived = derived[: derived.index("</li>")]
    assert "not verifiable at source" in derived and 'type="checkbox"' not in derived

    # Verifying the whole form verifies what has a source, and counts only that.
    before = sdv.participant_progress([row]).total
    client.post(
        reverse("sdv_verify", args=[scanned.code, row.event, row.form, 1]), {"verify_all": "1"}
    )
    states = sdv.item_states([row])[row.pk]
    assert states["net_injected_mbq"] == sdv.TO_VERIFY and states["weight_kg"] == sdv.VERIFIED
    progress = sdv.participant_progress([row])
    assert progress.total == before == len(items) - 2
    assert progress.verified == progress.total


def test_a_derived_value_ticked_anyway_is_not_verified(client, monitor, scanned):
    row = _row(scanned, "PET_IAH")
    client.force_login(monitor)
    url = reverse("sdv_verify", args=[scanned.code, row.event, row.form, 1])
    client.post(url, {"item": ["net_injected_mbq", "weight_kg"]})
    states = sdv.item_states([row])[row.pk]
    assert states["net_injected_mbq"] == sdv.TO_VERIFY and states["weight_kg"] == sdv.VERIFIED
    with pytest.raises(trial_actions.ActionRefused):
        trial_actions.verify_items(monitor, row, ["no_such_item"])


def test_history_names_rows_and_units(client, nurse, scanned):
    client.force_login(nurse)
    row = _row(scanned, "PET_IAH")
    html = client.get(reverse("crf_history", args=[scanned.code, row.event, row.form, 1]))
    html = html.content.decode()
    assert "Net injected activity (MBq)" in html
    for name in ("Left kidney", "Right kidney", "Spleen", "Healthy liver", "Bone marrow"):
        assert f'<th scope="row">{name}</th>' in html
    assert '<th scope="row">L2 (segment IV)</th>' in html
    assert '<th scope="row">#' not in html
    # Times in the site's zone, as typed (not UTC ISO).
    assert h.dt(h.IAH_INJECTION).replace("T", " ") in html


def test_the_pdf_names_rows_and_units(dosed):
    html = pdf.form_html(_row(dosed, "PET_IAH"))
    assert "Left kidney" in html and "L2 (segment IV)" in html and "E1" in html
    net = html[html.index("Net injected activity") :]
    assert "MBq" in net[: net.index("</tr>")]
    dose = pdf.form_html(_row(dosed, "IAHDOSE"))
    net = dose[dose.index("Net administered activity") :]
    assert "GBq" in net[: net.index("</tr>")]
    dosi = pdf.form_html(_row(dosed, "DOSI"))
    assert "4 h" in dosi and "168 h" in dosi and "L1 (segment II) (MBq)" in dosi
    lesions = pdf.form_html(_row(dosed, "PETLES"))
    assert "Longest diameter (mm)" in lesions


def test_the_exports_name_rows_and_give_units(dosed, tmp_path):
    data_csv.write(Scope(), tmp_path)
    organs = list(csv.DictReader((tmp_path / "pet_iah__organ_suvs.csv").open()))
    assert [r["group_repeat_label"] for r in organs] == [
        "Left kidney",
        "Right kidney",
        "Spleen",
        "Healthy liver",
        "Bone marrow",
    ]
    points = list(csv.DictReader((tmp_path / "dosi__time_points.csv").open()))
    assert [r["group_repeat_label"] for r in points] == ["4 h", "24 h", "72 h", "168 h"]
    dictionary = {
        (d["file"], d["field"]): d for d in csv.DictReader((tmp_path / "dictionary.csv").open())
    }
    assert dictionary[("iahdose.csv", "net_administered_gbq")]["unit"] == "GBq"
    assert dictionary[("pet_iah.csv", "net_injected_mbq")]["unit"] == "MBq"
    assert dictionary[("dosi__time_points.csv", "act_kidney_l")]["unit"] == "MBq"
    assert dictionary[("dosi__time_points.csv", "act_kidney_l")]["label"] == "Left kidney"
    assert dictionary[("petles__index_lesions.csv", "diameter_mm")]["unit"] == "mm"
    assert dictionary[("recist__measurements.csv", "size_mm")]["unit"] == "mm"
    assert dictionary[("recist.csv", "change_baseline_pct")]["unit"] == "%"


def test_the_forms_name_rows_and_show_units(client, nurse, dosed):
    client.force_login(nurse)
    dosi = client.get(reverse("crf_edit", args=[dosed.code, "DOSI", "DOSI", 1])).content.decode()
    assert "L1 (segment II)" in dosi and 'aria-label="4 h (±2 h) · L1 (segment II)"' in dosi
    pet = client.get(reverse("crf_edit", args=[dosed.code, "PET-IAH", "PET_IAH", 1]))
    pet = pet.content.decode()
    assert '<th scope="row" class="small text-nowrap">L2 (segment IV)</th>' in pet
    assert '<th scope="row" class="small text-nowrap">Left kidney</th>' in pet
    lesions = client.get(reverse("crf_edit", args=[dosed.code, "PET-IAH", "PETLES", 1]))
    header = lesions.content.decode().split("<thead>")[1].split("</thead>")[0]
    assert "Longest diameter" in header and "mm" in header
    dose = client.get(reverse("crf_edit", args=[dosed.code, "IAH", "IAHDOSE", 1])).content
    assert b"GBq</div>" in dose
