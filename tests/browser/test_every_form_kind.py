"""Every form kind of the registry, typed by a French nurse in Chromium at 1366 x 768.

The participants are brought to each stage through the actions (the test helpers' stories);
then, for each form kind, the nurse (or the investigator, for the signed decisions):
- finds every item visible and wide enough, item groups included, at 1366 and 1024 px, and
  Tab moves through each group row by row, field by field;
- saves once with one value wrong: the error summary shows and takes focus, links to the
  wrong item, nothing is stored, and everything else typed is still on the page;
- corrects it (and ticks the confirmation of unusual values when asked) and saves;
- opens the form again and reads back every value.

One walk, one live server, one login per role. What fails is collected per form kind, with
a screenshot, and reported together at the end: one invisible table does not hide the others.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError

from imaging.actions import sign_gate
from tests.browser import typist
from tests.conftest import PASSWORD
from tests.dosing.conftest import NORMAL_LAB
from tests.eligibility import helpers as eh
from tests.followup import helpers as fh
from tests.imaging import helpers as ih
from trial import actions
from trial import crf as crf_registry
from trial.models import FormStatus, Participant, Site

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDE, NARROW = 1366, 1024
TODAY = timezone.localdate()


# --- Values as the nurse types them ----------------------------------------------------------


def items(**values: Any) -> dict[str, Any]:
    return {f"crf-{name}": value for name, value in values.items()}


def rows(prefix: str, *given: dict[str, Any]) -> dict[str, Any]:
    return {f"crf-{prefix}-{i}-{k}": v for i, row in enumerate(given) for k, v in row.items()}


def consent() -> dict[str, Any]:
    return items(
        consent_datetime=datetime.combine(eh.CONSENT_DAY, datetime.min.time()).replace(hour=9),
        form_version="2.1",
        copy_given="True",
    )


def demographics() -> dict[str, Any]:
    return items(birth_date=eh.BIRTH, sex="F", height_cm="165", weight_kg="70.5")


def disease() -> dict[str, Any]:
    return items(**eh.disease_data())


def cardio() -> dict[str, Any]:
    return items(**eh.cardio_data())


def iahci() -> dict[str, Any]:
    return items(**eh.iahci_data())


def reproduction() -> dict[str, Any]:
    return items(
        **{
            **eh.repro_data(),
            "childbearing_potential": "True",
            "contraception_method": "iud",
            "pregnancy_test_result": "negative",
        }
    )


def inclusion_imaging() -> dict[str, Any]:
    values = {k: v for k, v in eh.imaging_data().items() if not k.startswith(("target", "non"))}
    return {
        **items(**values),
        **rows(
            "target",
            {"organ": "liver", "location": "segment VII", "diameter_mm": "32"},
            {"organ": "liver", "location": "segment IV", "diameter_mm": "25.5"},
            {"organ": "lymph_node", "location": "hepatic hilum", "diameter_mm": "18"},
            {"organ": "lung", "location": "right lower lobe", "diameter_mm": "14"},
            {"organ": "peritoneum", "location": "omentum", "diameter_mm": "21"},
        ),
        **rows(
            "nontarget",
            {"organ": "bone", "location": "T10"},
            {"organ": "lymph_node", "location": "para-aortic"},
            {"organ": "peritoneum", "location": "nodules"},
        ),
    }


def cycle_one() -> dict[str, Any]:
    return items(
        **{
            **eh.cycle_data(1),
            "last_ssa_date": eh.CYCLE_DATES[1] - timedelta(days=35),
            # Only after a modification: "none" here.
            "modification_reason": None,
            "modification_details": None,
        }
    )


def lab(sample: date) -> dict[str, Any]:
    return items(**{**NORMAL_LAB, "sample_date": sample})


def adverse_event() -> dict[str, Any]:
    return items(
        term="Nausea",
        term_specify=None,  # only for an "Other, specify" term
        grade="2",
        onset_date=TODAY - timedelta(days=30),
        end_date=TODAY - timedelta(days=28),
        ongoing=False,
        serious="False",
        **dict.fromkeys(
            (
                "serious_death",
                "serious_life_threatening",
                "serious_hospitalisation",
                "serious_disability",
                "serious_congenital_anomaly",
                "serious_other_important",
            ),
            False,
        ),
        awareness_at=None,  # a serious event's
        reported_to_sponsor_at=None,  # a serious event's
        relationship_iv_lutathera="probable",
        relationship_iah_procedure=None,  # no IAH procedure yet
        relationship_iah_lutathera=None,  # no IAH dose yet
        action_taken="dose_not_changed",
        outcome="recovered",
    )


def medication() -> dict[str, Any]:
    return items(
        name="Ondansetron",
        indication="Nausea",
        dose="8 mg twice a day",
        route="oral",
        start_date=TODAY - timedelta(days=40),
        stop_date=TODAY - timedelta(days=27),
        ongoing=False,
    )


def vitals() -> dict[str, Any]:
    return items(**{**eh.vitals_data(), "weight_kg": "68.5"})


def pet_lesions() -> dict[str, Any]:
    values, groups = ih.lesions_data()
    return {
        **items(**values),
        **rows(
            "index_lesions",
            *[{**r, "diameter_mm": str(r["diameter_mm"])} for r in groups["index_lesions"]],
        ),
    }


def pet(injection: datetime, suvs: list, *, iah: bool) -> dict[str, Any]:
    values, groups = ih.pet_data(injection, suvs, iah=iah)
    if iah:
        values["complications_detail"] = None  # only with complications
    extra = [
        {"location": "bone T10", "suv_max": "9.5"},
        {"location": "lung, right lower lobe", "suv_max": "6.25"},
        {"location": "para-aortic node", "suv_max": "4"},
    ]
    return {
        **items(**{**values, "weight_kg": "70.5"}),
        **rows("lesion_suvs", *groups["lesion_suvs"]),
        **rows("organ_suvs", *groups["organ_suvs"]),
        **rows("extrahepatic", *extra),
    }


def iah_dose() -> dict[str, Any]:
    return items(**{**ih.iah_dose_data(), "complications_detail": None})  # only with complications


def dosimetry() -> dict[str, Any]:
    given = ih.dosimetry_rows()
    given[0]["act_kidney_r"] = "180.85"
    return {
        **items(comments="Acquisitions as planned"),
        **rows("time_points", *given),
        **rows("volumes", *ih.voi_rows()),
    }


def visit(month: int) -> dict[str, Any]:
    return items(
        visit_date=fh.visit_day(month),
        ecog="1",
        systolic_bp="128",
        diastolic_bp="78",
        heart_rate="72",
        weight_kg="68.5",
        missed="False",
        missed_reason=None,  # only for a missed visit
    )


def recist() -> dict[str, Any]:
    values = fh.recist_values(fh.visit_day(3))
    values.update(new_lesion_site=None, progression_site=None)  # only with new lesions, PD
    return {
        **items(**values),
        **rows(
            "measurements",
            # One lesion each, measured: no split, merge or "not evaluable" (state left blank).
            *[
                {"present": "True", "size_mm": s, "state": None, "merged_into": None}
                for s in ("30", "24.5", "17")
            ],
        ),
    }


def end_of_study() -> dict[str, Any]:
    return items(
        status="withdrew_consent",
        end_date=TODAY - timedelta(days=1),
        death_date=None,  # only after a death
        death_cause=None,
        details="Moved abroad; follow-up continues with the local oncologist.",
    )


# --- Stages, built through the actions ------------------------------------------------------


def registered(nurse: User, site: Site) -> Participant:
    return actions.register_participant(nurse, site, eh.CONSENT_DAY)


def before_signoff(nurse: User, site: Site) -> Participant:
    participant = registered(nurse, site)
    eh.enter_cycles(nurse, participant)
    eh.enter_screening(nurse, participant)
    eh.save(nurse, participant, "ELIG", "LAB", eh.lab_data())
    participant.refresh_from_db()
    return participant


def enrolled(nurse: User, investigator: User, site: Site) -> Participant:
    return ih.enrolled(nurse, investigator, site)


def proceeded(nurse: User, investigator: User, site: Site) -> Participant:
    participant = ih.enrolled(nurse, investigator, site)
    ih.enter_pets(nurse, participant)
    sign_gate(investigator, PASSWORD, participant, "proceed")
    participant.refresh_from_db()
    return participant


# (event, form, values, role); a log form's event is "LOG" (a new entry). Each form kind once
# (the lab panel at C1 stands for those of ELIG, IAH and the follow-up visits).
Step = tuple[str, str, Any, str]


def walk(nurse: User, investigator: User, site: Site) -> list[tuple[Participant, list[Step]]]:
    return [
        (
            registered(nurse, site),
            [
                ("SCR", "CONSENT", consent, "nurse"),
                ("SCR", "DEMOG", demographics, "nurse"),
                ("SCR", "DISEASE", disease, "nurse"),
                ("SCR", "CARDIO", cardio, "nurse"),
                ("SCR", "IAHCI", iahci, "nurse"),
                ("SCR", "REPRO", reproduction, "nurse"),
                ("SCR", "IMAGING", inclusion_imaging, "nurse"),
                ("C1", "LAB", lambda: lab(eh.CYCLE_DATES[1] - timedelta(days=3)), "nurse"),
                ("C1", "CYCLE", cycle_one, "nurse"),
                ("LOG", "AE", adverse_event, "nurse"),
                ("LOG", "CM", medication, "nurse"),
            ],
        ),
        (
            before_signoff(nurse, site),
            [
                ("ELIG", "VITALS", vitals, "nurse"),
                ("ELIG", "ELIGSIGN", {"decision": "eligible"}, "investigator"),
            ],
        ),
        (
            enrolled(nurse, investigator, site),
            [
                ("PET-IAH", "PETLES", pet_lesions, "nurse"),
                (
                    "PET-IAH",
                    "PET_IAH",
                    lambda: pet(ih.IAH_INJECTION, ih.IAH_SUVS, iah=True),
                    "nurse",
                ),
                ("PET-IV", "PET_IV", lambda: pet(ih.IV_INJECTION, ih.IV_SUVS, iah=False), "nurse"),
                ("GATE", "GATE", {"decision": "proceed"}, "investigator"),
            ],
        ),
        (
            proceeded(nurse, investigator, site),
            [
                ("IAH", "IAHDOSE", iah_dose, "nurse"),
                ("DOSI", "DOSI", dosimetry, "nurse"),
            ],
        ),
        (
            fh.follow_up_participant(nurse, site),
            [
                ("M3", "FU", lambda: visit(3), "nurse"),
                ("M3", "RECIST", recist, "nurse"),
                ("EOS", "EOS", end_of_study, "nurse"),
            ],
        ),
    ]


# --- The nurse at the keyboard ----------------------------------------------------------------


def as_typed(value: Any, control: typist.Control) -> Any:
    """A value as the reader types it, as the box's placeholder says: dates day first and
    numbers with a decimal comma in French, ISO dates in English (trial/formats)."""
    if value in (None, "") or control.kind in ("select", "checkbox", "radio"):
        return value
    if control.kind == "datetime":
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if control.placeholder.lower().startswith("yyyy"):
            return moment.strftime("%Y-%m-%d %H:%M")
        return moment.strftime("%d/%m/%Y %H:%M")
    if control.kind == "date":
        day = date.fromisoformat(value) if isinstance(value, str) else value
        iso = control.placeholder.lower().startswith("yyyy")
        return day.isoformat() if iso else day.strftime("%d/%m/%Y")
    if control.kind == "number":
        return str(value).replace(".", ",")
    return str(value)


WRONG = {"date": "31/02/2026", "datetime": "31/02/2026 25:61", "number": "7,4,1"}


class Walk:
    def __init__(self, pages: dict[str, Any], narrow: Any, base: str, shots: Path) -> None:
        self.pages = pages
        # The same nurse's session in a window 1024 px wide (not a resized window: resizing
        # leaves empty style attributes that htmx then trips the CSP over).
        self.narrow = narrow
        self.base = base
        self.shots = shots
        self.findings: list[typist.Findings] = []
        self.done: set[str] = set()

    def fail(self, found: typist.Findings, page: Any, text: str) -> None:
        found.add(text)
        shot = self.shots / f"{found.form.replace('/', '-')}-{len(found.problems)}.png"
        try:
            page.screenshot(path=str(shot), full_page=True)
            found.add(f"  screenshot: {shot}")
        except PlaywrightError:
            pass

    def form(self, participant: Participant, step: Step) -> None:
        event, form, values, role = step
        values = values() if callable(values) else values
        # An empty value is an item left blank on purpose, as None is.
        values = {name: None if value == "" else value for name, value in values.items()}
        page = self.pages[role]
        found = typist.Findings(f"{event}/{form}")
        self.findings.append(found)
        self.done.add(form)
        try:
            if form in ("ELIGSIGN", "GATE"):
                self.sign(page, participant, event, form, values, found)
            else:
                self.crf(page, participant, event, form, values, found)
        except (PlaywrightError, AssertionError) as error:
            self.fail(found, page, f"stopped: {str(error).splitlines()[0]}")

    def url(self, participant: Participant, event: str, form: str, repeat: int = 1) -> str:
        if event == "LOG" and repeat == 0:
            return f"{self.base}/p/{participant.code}/log/{form}/new/"
        return f"{self.base}/p/{participant.code}/{event}/{form}/{repeat}/"

    def crf(self, page, participant, event, form, values, found) -> None:
        page.goto(self.url(participant, event, form, 0 if event == "LOG" else 1))
        shown = typist.items(page)
        missing = sorted(set(shown) - set(values))
        # An item left blank may be off the page (shown only in another case: a term's
        # "specify"); an item with a value must be there.
        absent = sorted(n for n in set(values) - set(shown) if values[n] is not None)
        if missing:
            found.add(f"items on the page with no value to type: {missing}")
        if absent:
            self.fail(found, page, f"items not on the page: {absent}")
        self.check_visible(page, found, WIDE)
        self.check_tab_order(page, found)

        # One save with one value wrong: the first date or number, else a choice left blank.
        typed = {name: values[name] for name in shown if name in values}
        wrong = next((c for cs in shown.values() for c in cs if c.kind in WRONG), None)
        if wrong is None:
            wrong = next(c for cs in shown.values() for c in cs if c.kind == "select")
        for name, value in typed.items():
            control = shown[name][0]
            if name == wrong.name:
                bad = WRONG.get(wrong.kind, "")
                if control.kind == "select":
                    continue
                typist.type_value(page, control, bad)
            elif value is not None:
                typist.type_value(page, control, as_typed(value, control))
        self.check_not_cut(page, found)
        form_url = page.url
        with page.expect_request(lambda r: r.method == "POST" and r.url == form_url) as posted:
            page.click("button[name=save_complete]")
        page.wait_for_load_state()
        # The save benchmark (bench/bench_save.py) posts as the browser does: URL-encoded.
        sent = posted.value.headers.get("content-type", "")
        if not sent.startswith("application/x-www-form-urlencoded"):
            found.add(f"the form was posted as {sent!r}, not URL-encoded")
        self.check_summary(page, wrong, found)
        self.check_nothing_stored(participant, event, form, found)
        for name, value in typed.items():
            if name == wrong.name or value is None:
                continue
            shown_now = typist.read_back(page, name, shown[name])
            if not typist.same(shown_now, as_typed(value, shown[name][0])):
                found.add(f"lost on the failed save: {name} typed {value!r}, shows {shown_now!r}")

        # Corrected, confirmed when asked, saved.
        control = shown[wrong.name][0]
        typist.type_value(page, control, as_typed(values[wrong.name], control))
        self.save(page, participant, found)

        # Opened again: every value as typed.
        repeat = 1
        if event == "LOG":
            repeat = FormStatus.objects.filter(participant=participant, form=form).count()
        page.goto(self.url(participant, event, form, repeat))
        again = typist.items(page)
        for name, value in typed.items():
            if name not in again:
                found.add(f"not on the saved form: {name}")
                continue
            expected = typist.blank_value(again[name][0]) if value is None else value
            shown_now = typist.read_back(page, name, again[name])
            if not typist.same(shown_now, as_typed(expected, again[name][0])):
                found.add(f"read back {name}: typed {value!r}, shows {shown_now!r}")
        self.narrow.goto(self.url(participant, event, form, repeat))
        self.check_visible(self.narrow, found, NARROW)

    def save(self, page, participant, found) -> None:
        """Save; when the page asks to confirm values flagged as unusual (which it may do only
        now, once the corrected value is read), tick the box and save again."""
        for _attempt in range(2):
            confirm = page.locator("input[name=crf-confirm_unusual]")
            if confirm.count() and confirm.is_visible() and not confirm.is_checked():
                confirm.check()
            page.click("button[name=save_complete]")
            page.wait_for_load_state()
            if page.get_by_test_id("participant-code").count():
                return
        if not page.get_by_test_id("participant-code").count():
            summary = page.get_by_test_id("error-summary")
            text = summary.inner_text() if summary.count() else "no error summary"
            self.fail(found, page, f"the corrected form was not saved: {text}")

    def sign(self, page, participant, event, form, values, found) -> None:
        url = self.url(participant, event, form)
        page.goto(url)
        decision = values["decision"]
        signed_before = participant.signatures.count()
        if form == "GATE":
            page.select_option("select[name=decision]", decision)
        page.fill("input[name=password]", "not the password")
        self.click_sign(page, form, decision)
        summary = page.get_by_test_id("error-summary")
        if not summary.is_visible():
            self.fail(found, page, "a wrong password shows no error summary")
        elif (
            page.evaluate("document.activeElement && document.activeElement.id") != "error-summary"
        ):
            found.add("the error summary does not take focus")
        if participant.signatures.count() != signed_before:
            found.add("a wrong password stored a signature")
        page.fill("input[name=password]", PASSWORD)
        if form == "GATE":
            page.select_option("select[name=decision]", decision)
        self.click_sign(page, form, decision)
        if not page.get_by_test_id("participant-code").count():
            self.fail(found, page, "the signature was not recorded")
            return
        page.goto(url)
        if form == "GATE":
            shown = page.get_by_test_id("gate-decision").get_attribute("data-decision")
            if shown != decision:
                found.add(f"read back the gate decision: {shown!r}")
        elif page.get_by_test_id("eligibility-result").get_attribute("data-result") != "eligible":
            found.add("read back the sign-off: not eligible")

    @staticmethod
    def click_sign(page, form: str, decision: str) -> None:
        if form == "GATE":
            page.click("[data-testid=sign-form] button[type=submit]")
        else:
            page.click(f"[data-testid=sign-form] button[value={decision}]")
        page.wait_for_load_state()

    # --- What the nurse must find on every page ---

    def check_visible(self, page, found, width: int) -> None:
        flat = [c for cs in typist.items(page).values() for c in cs]
        hidden = [c.name for c in flat if c.width < 1 or c.height < 1]
        if hidden:
            self.fail(found, page, f"at {width} px, items not visible: {hidden}")
        boxes = page.evaluate(
            """() => Array.from(document.querySelectorAll('form.crf-form .table-responsive'))
              .map(b => [b.clientWidth, b.parentElement.clientWidth, b.scrollWidth])"""
        )
        for inner, outer, content in boxes:
            if inner < 1 or inner > outer:
                self.fail(found, page, f"at {width} px, a table box is {inner} px in {outer} px")
            elif content > inner + 1 and width == WIDE:
                found.add(f"at {width} px, a table scrolls ({content} px in {inner} px)")

    def check_tab_order(self, page, found) -> None:
        """Tab moves through each item group row by row, field by field (page order)."""
        for group in page.locator("form.crf-form fieldset.item-group").all():
            names = group.evaluate(
                """g => Array.from(g.querySelectorAll('input, select, textarea'))
                  .filter(e => e.type !== 'hidden' && !e.disabled).map(e => e.name)"""
            )
            if not names:
                continue
            page.locator(f'[name="{names[0]}"]').focus()
            reached = [names[0]]
            for _ in names[1:]:
                page.keyboard.press("Tab")
                reached.append(page.evaluate("document.activeElement.name"))
            if reached != names:
                found.add(f"Tab order in {names[0]}...: {reached}")

    def check_not_cut(self, page, found) -> None:
        cut = [c.name for c in typist.controls(page) if c.is_item and c.cut]
        if cut:
            self.fail(found, page, f"at {WIDE} px, values cut in their boxes: {cut}")

    def check_summary(self, page, wrong: typist.Control, found) -> None:
        summary = page.get_by_test_id("error-summary")
        if not summary.count() or not summary.is_visible():
            self.fail(found, page, "a failed save shows no error summary")
            return
        if page.evaluate("document.activeElement && document.activeElement.id") != "error-summary":
            found.add("the error summary does not take focus")
        link = summary.locator(f'[data-error-link="{wrong.id}"]')
        if not link.count():
            found.add(f"the error summary has no link to {wrong.name} ({wrong.id})")
        count = page.get_by_test_id("error-summary").locator("h2").get_attribute("data-count")
        if not count or int(count) < 1:
            found.add(f"the error summary counts {count!r} fields")
        beside = page.locator(f"#{wrong.id}").locator(
            "xpath=ancestor::*[self::div or self::td][.//*[contains(@class,'invalid-feedback')]][1]"
        )
        if not beside.count():
            found.add(f"no error next to {wrong.name}")

    @staticmethod
    def check_nothing_stored(participant, event, form, found) -> None:
        spec = crf_registry.REGISTRY[form]
        if event == "LOG":
            stored = FormStatus.objects.filter(participant=participant, form=form).exists()
        else:
            row = FormStatus.objects.get(participant=participant, event=event, form=form)
            stored = row.version > 0 or spec.model.objects.filter(form_status=row).exists()
        if stored:
            found.add("the failed save stored something")


def test_every_form_kind_typed_by_a_french_nurse_at_1366(
    page, browser, browser_context_args, live_server, nurse, investigator, bdx, output_path
):
    Site.objects.filter(pk=bdx.pk).update(language="fr")
    shots = Path(output_path)
    shots.mkdir(parents=True, exist_ok=True)
    page.set_default_timeout(5000)
    investigator_page = browser.new_context(**browser_context_args).new_page()
    investigator_page.set_default_timeout(5000)
    for user, tab in ((nurse, page), (investigator, investigator_page)):
        tab.goto(f"{live_server.url}/accounts/login/")
        tab.fill("input[name=username]", user.username)
        tab.fill("input[name=password]", PASSWORD)
        tab.click("button[type=submit]")
        tab.wait_for_url(f"{live_server.url}/")

    narrow = browser.new_context(
        storage_state=page.context.storage_state(), viewport={"width": NARROW, "height": 768}
    ).new_page()
    narrow.set_default_timeout(5000)
    pages = {"nurse": page, "investigator": investigator_page}
    walk_ = Walk(pages, narrow, live_server.url, shots)
    for participant, steps in walk(nurse, investigator, bdx):
        for step in steps:
            participant.refresh_from_db()
            walk_.form(participant, step)

    report = [f"{f.form}:\n  " + "\n  ".join(f.problems) for f in walk_.findings if f]
    assert not report, "\n".join(report)
    assert walk_.done == set(crf_registry.REGISTRY), set(crf_registry.REGISTRY) - walk_.done
