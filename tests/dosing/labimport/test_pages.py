"""The pages: upload (nurses, investigators, data managers), a participant's queue (approve,
reject with a reason, choose a panel, hospital identifiers) and the sites' CSV columns (data
managers). Refusals show on the page with what was typed; nothing answers a server error."""

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from dosing.labimport.models import (
    HospitalIdentifier,
    ImportedLabValue,
    SiteCsvColumns,
    ValueState,
)
from dosing.models import LabPanel
from tests.dosing.labimport.conftest import HOSPITAL_SYSTEM, data, import_data
from trial.models import UserPreference

UPLOAD = "/dosing/labs/import/"
SETTINGS = "/dosing/labs/settings/"


def queue_url(participant) -> str:
    return f"/dosing/p/{participant.code}/labs/"


def upload(client, name, site, **extra):
    return client.post(
        UPLOAD, {"file": SimpleUploadedFile(name, data(name)), "site": site.pk, **extra}
    )


def test_a_nurse_uploads_a_file_and_sees_its_values_and_flags(client, nurse, c1, bdx):
    client.force_login(nurse)
    page = client.get(UPLOAD)
    assert page.status_code == 200 and b'name="file"' in page.content
    response = upload(client, "tenfold.csv", bdx)
    text = response.content.decode()
    assert "tenfold.csv imported (sha256" in text
    assert 'data-flags="tenfold"' in text and ImportedLabValue.objects.count() == 2
    again = upload(client, "tenfold.csv", bdx).content.decode()
    assert "was already imported on" in again and "nothing new queued" in again
    assert ImportedLabValue.objects.count() == 2


def test_a_refused_upload_lists_every_problem_and_a_check_writes_nothing(client, nurse, c1, bdx):
    client.force_login(nurse)
    text = upload(client, "bad_number.csv", bdx).content.decode()
    assert 'data-refused="true"' in text
    assert text.count("<li><strong>line") == 3
    assert "“environ 200” is not a number." in text
    checked = upload(client, "tenfold.csv", bdx, dry_run="on").content.decode()
    assert "Dry run of tenfold.csv" in checked
    assert not ImportedLabValue.objects.exists()
    empty = client.post(UPLOAD, {"site": bdx.pk}).content.decode()
    assert "This field is required." in empty


def test_who_may_upload(client, monitor, administrator, data_manager, investigator, c1, bdx):
    for user, status in (
        (monitor, 404),
        (administrator, 404),
        (data_manager, 200),
        (investigator, 200),
    ):
        client.force_login(user)
        assert client.get(UPLOAD).status_code == status, user


def test_the_queue_page_runs_a_fixed_number_of_queries(
    client, nurse, c1, second, bdx, django_assert_num_queries
):
    client.force_login(nurse)
    import_data(nurse, "tenfold.csv", site=bdx)
    client.get(queue_url(c1))  # sessions, caches
    with django_assert_num_queries(9) as few:  # 10 before the roles came with the user
        client.get(queue_url(c1))
    import_data(nurse, "bundle_two_participants.json", site=bdx)
    ImportedLabValue.objects.filter(code="2160-0").update(state=ValueState.REJECTED)
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(queue_url(c1))
    assert page.content.decode().count('data-testid="queued-value"') == 12


def test_approve_a_panel_and_reject_a_value_from_the_page(client, nurse, c1, bdx):
    client.force_login(nurse)
    import_data(nurse, "browser_panel.csv", site=bdx)
    row = c1.forms.get(event="C2", form="LAB")
    values = {v.code: v.pk for v in ImportedLabValue.objects.all()}
    approvable = [pk for code, pk in values.items() if code != "Sodium"]
    post = {"action": "approve", "key": f"g{row.pk}", "value": approvable, f"version-{row.pk}": "0"}
    refused = client.post(queue_url(c1), post)
    assert refused.status_code == 200
    text = refused.content.decode()
    assert "Confirm that you checked the flagged values: Platelets" in text
    assert 'id="confirm-g' in text  # the confirmation box is there
    done = client.post(queue_url(c1), {**post, "confirm": "1"})
    assert done.status_code == 302
    assert LabPanel.objects.get(form_status=row).platelets_entered == 21
    # Rejecting without a reason keeps the page, the value and says why.
    key = f"v{values['Sodium']}"
    kept = client.post(
        queue_url(c1), {"action": "reject", "key": key, "value": values["Sodium"], "reason": " "}
    )
    assert "Give a reason for rejecting." in kept.content.decode()
    assert ImportedLabValue.objects.get(code="Sodium").is_pending
    client.post(
        queue_url(c1),
        {"action": "reject", "key": key, "value": values["Sodium"], "reason": "not ours"},
    )
    assert ImportedLabValue.objects.get(code="Sodium").rejection_reason == "not ours"
    page = client.get(queue_url(c1)).content.decode()
    assert 'data-testid="queue-empty"' in page and "Approved into IV cycle 2" in page


def test_a_panel_is_chosen_from_the_page(client, nurse, c1, bdx):
    client.force_login(nurse)
    import_data(nurse, "single_observation.json", site=bdx)
    value = ImportedLabValue.objects.get()
    elig = c1.forms.get(event="ELIG", form="LAB")
    client.post(queue_url(c1), {"action": "choose", "value": value.pk, "row": elig.pk})
    assert ImportedLabValue.objects.get().chosen_row == elig
    other = c1.forms.get(event="C2", form="CYCLE")
    page = client.post(queue_url(c1), {"action": "choose", "value": value.pk, "row": other.pk})
    assert "Choose one of this participant&#x27;s lab panels." in page.content.decode()
    client.post(queue_url(c1), {"action": "choose", "value": value.pk, "row": ""})
    assert ImportedLabValue.objects.get().chosen_row is None


def test_hostile_posts_are_refused_on_the_page(client, nurse, c1, bdx):
    client.force_login(nurse)
    import_data(nurse, "single_observation.json", site=bdx)
    for body in (
        {"action": "approve", "value": ["x", "²", "9" * 40]},
        {"action": "approve"},
        {"action": "reject", "value": "-1", "reason": "r"},
        {"action": "choose", "value": "1", "row": "abc"},
        {"action": "unlink", "identifier": "abc", "reason": "r"},
        {"action": "link", "link-system": "", "link-value": ""},
        {"action": "explode"},
        {"action": "approve", "value": "1", "version-x": "y"},
    ):
        response = Client(raise_request_exception=False)
        response.force_login(nurse)
        answer = response.post(queue_url(c1), body)
        assert answer.status_code == 200, body
        assert 'data-testid="queue-error"' in answer.content.decode(), body
    assert ImportedLabValue.objects.get().is_pending


def test_who_may_decide_on_the_page(client, monitor, tls_nurse, nurse, c1, bdx):
    import_data(nurse, "single_observation.json", site=bdx)
    value = ImportedLabValue.objects.get()
    client.force_login(monitor)
    page = client.get(queue_url(c1)).content.decode()
    assert 'data-testid="queued-value"' in page and 'data-testid="approve-value"' not in page
    assert client.post(queue_url(c1), {"action": "approve", "value": value.pk}).status_code == 404
    client.force_login(tls_nurse)
    assert client.get(queue_url(c1)).status_code == 404
    assert ImportedLabValue.objects.get().is_pending


def test_hospital_identifiers_are_added_and_removed_with_a_reason(client, nurse, c1):
    client.force_login(nurse)
    response = client.post(
        queue_url(c1),
        {"action": "link", "link-system": HOSPITAL_SYSTEM, "link-value": "IPP-1"},
    )
    assert response.status_code == 302
    link = HospitalIdentifier.objects.get()
    assert (link.participant, link.value, link.added_by) == (c1, "IPP-1", nurse)
    taken = client.post(
        queue_url(c1),
        {"action": "link", "link-system": HOSPITAL_SYSTEM, "link-value": "IPP-1"},
    ).content.decode()
    assert "This identifier already names a participant." in taken
    assert 'value="IPP-1"' in taken  # what was typed stays in the box
    client.post(queue_url(c1), {"action": "unlink", "identifier": link.pk, "reason": ""})
    assert HospitalIdentifier.objects.exists()
    client.post(queue_url(c1), {"action": "unlink", "identifier": link.pk, "reason": "typo"})
    assert not HospitalIdentifier.objects.exists()
    page = client.get(queue_url(c1)).content.decode()
    assert "Hospital identifier removed" in page and "typo" in page


def test_the_participant_page_shows_the_values_waiting(client, nurse, tls_nurse, c1, bdx):
    client.force_login(nurse)
    page = client.get(f"/p/{c1.code}/").content.decode()
    waiting = f"/dosing/p/{c1.code}/labs/waiting/"
    assert f'hx-get="{waiting}"' in page and f'href="{queue_url(c1)}"' in page
    assert 'data-count="0"' in client.get(waiting).content.decode()
    import_data(nurse, "tenfold.csv", site=bdx)
    assert 'data-testid="lab-pending" data-count="2"' in client.get(waiting).content.decode()
    client.force_login(tls_nurse)
    assert client.get(waiting).status_code == 404


def test_a_data_manager_sets_a_sites_csv_columns(client, data_manager, nurse, c1, bdx):
    client.force_login(nurse)
    assert client.get(SETTINGS).status_code == 404
    client.force_login(data_manager)
    assert client.get(SETTINGS).status_code == 200
    assert client.get(f"{SETTINGS}?site=NOPE").status_code == 404
    form = client.get(f"{SETTINGS}?site=BDX").content.decode()
    assert 'value="participant"' in form  # the default header, to start from
    columns = {
        "participant": "N° patient",
        "sampled_at": "Date",
        "code": "Examen",
        "value": "Résultat",
        "unit": "Unité",
        "low": "",
        "high": "",
        "delimiter": ";",
        "identifier_system": "",
    }
    empty = client.post(f"{SETTINGS}?site=BDX", {**columns, "value": ""}).content.decode()
    assert "This field is required." in empty and "N° patient" in empty
    assert client.post(f"{SETTINGS}?site=BDX", columns).status_code == 302
    assert SiteCsvColumns.objects.get(site=bdx).code == "Examen"
    text = "N° patient;Date;Examen;Résultat;Unité\nBDX-001;26/12/2025;Hb;13,1;g/dL\n"
    client.force_login(nurse)
    response = client.post(
        UPLOAD, {"file": SimpleUploadedFile("lab.csv", text.encode()), "site": bdx.pk}
    )
    assert "1 results of 1 participants queued" in response.content.decode()


def test_a_french_nurse_reads_the_queue_in_french_with_decimal_commas(nurse, c1, bdx):
    import_data(nurse, "tenfold.csv", site=bdx)
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    UserPreference.objects.update_or_create(user=nurse, defaults={"language": "fr"})
    client.force_login(nurse)
    page = client.get(queue_url(c1)).content.decode()
    assert '<h1 class="h4 mb-0">Résultats de laboratoire de l\'hôpital</h1>' in page
    assert "12,9 g/dL" in page  # 12,9 as the lab wrote it, in French
    assert "facteur dix par rapport à la valeur précédente ou saisie" in page
    upload_page = client.get(UPLOAD).content.decode()
    assert "Importer des résultats de laboratoire" in upload_page


def test_the_lab_form_says_results_wait_for_approval(client, nurse, c1, bdx):
    client.force_login(nurse)
    form_url = f"/p/{c1.code}/C2/LAB/1/"
    assert 'data-testid="lab-imports-waiting"' not in client.get(form_url).content.decode()
    import_data(nurse, "tenfold.csv", site=bdx)
    page = client.get(form_url).content.decode()
    assert "2 lab results from the hospital wait for approval." in page
    assert f'href="{queue_url(c1)}"' in page
