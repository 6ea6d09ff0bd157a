"""PROTOCOL.md section 6, page by page: every URL pattern of the project, found through the URL
resolver (so a new page is walked without touching this file), asked for by each role and by
a nurse of the other site, on the demo data of both sites.

- No page or download of another site's participant: 404 (its existence does not leak either).
- The administrator reads and writes no clinical data: 404 on every participant's page.
- A monitor writes no CRF data (nor locks, signs, registers): posting every page changes none.
- A nurse signs nothing: posting every page with her right password creates no signature.
- No page answers a server error to anyone.

A pattern whose parameters this file cannot fill fails the test with its name, unless
ALLOWED_UNFILLED says why it is left out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from oversight.models import ReportJob, ReportJobStatus
from submission.models import PackageJob, PackageJobStatus
from tests.security.pages import page_post
from trial import actions, jobs, signatures
from trial import crf as crf_registry
from trial.models import (
    FormStatus,
    Participant,
    PdfJob,
    PdfJobStatus,
    PdfKind,
    Query,
    Signature,
)

# Patterns left out of the walk, each with its reason. Keep this short.
ALLOWED_UNFILLED: dict[str, str] = {}
# Patterns walked with GET only: posting them would end the walk's own session.
GET_ONLY = {"logout": "posting it logs the walking user out"}


@dataclass(frozen=True)
class Pattern:
    name: str  # namespaced, for reverse()
    route: str
    params: tuple[str, ...]
    defaults: tuple[str, ...] = field(default=())


def walk(patterns=None, prefix: str = "", namespace: str = "") -> Iterator[Pattern]:
    """Every URL pattern of the project, recursively through includes."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}{entry.namespace}:"
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            name = f"{namespace}{entry.name}" if entry.name else ""
            params = tuple(entry.pattern.regex.groupindex)
            # Parameters from the resolver's include() too (none today), then the pattern's.
            yield Pattern(name, route, params, tuple(entry.default_args))


@dataclass
class Story:
    """The demo: site A (BDX) and site B (TLS), one participant of each with saved forms, an
    open query, a finished PDF and a log entry each."""

    a: Participant
    b: Participant
    users: dict[str, User]


@pytest.fixture
def story(db) -> Story:
    jobs.mark_down()  # the PDFs below are finished here, not sent to a worker
    call_command("seed_demo", "--participants", "4", "--seed", "14", verbosity=0)
    users = {u.username: u for u in User.objects.all()}
    # BDX-002: C4 given, eligibility awaiting its sign-off; TLS-001: enrolled, PETs on the way.
    a = Participant.objects.get(code="BDX-002")
    b = Participant.objects.get(code="TLS-001")
    for participant, nurse in ((a, users["nurse"]), (b, users["nurse2"])):
        row = participant.forms.get(event="SCR", form="DEMOG")
        actions.open_query(users["datamanager"], row, item="weight_kg", text="Source says?")
        job = actions.request_pdf(nurse, PdfKind.FORM, participant=participant, row=row)
        PdfJob.objects.filter(pk=job.pk).update(
            status=PdfJobStatus.DONE, content=b"%PDF-1.7\n", filename="form.pdf", pages=1
        )
        ae = crf_registry.bind(
            FormStatus(participant=participant, event="LOG", form="AE", repeat=1),
            participant,
            crf_registry.post_data(
                {"term": "Nausea", "grade": "1", "onset_date": participant.screening_date}
            ),
            complete=False,
        )
        assert ae.is_valid(), ae.errors
        actions.add_repeat(nurse, participant, "AE", ae.crf_data(), complete=False)
    # A data manager's finished SDTM package (the submission app's job pages).
    PackageJob.objects.create(
        requested_by=users["datamanager"],
        status=PackageJobStatus.DONE,
        content=b"PK\x05\x06" + bytes(18),
        filename="sdtm.zip",
    )
    # A data manager's finished DSMB report (the oversight app's job pages).
    ReportJob.objects.create(
        requested_by=users["datamanager"],
        cutoff=a.screening_date,
        status=ReportJobStatus.DONE,
        content=b"%PDF-1.7\n",
        filename="dsmb.pdf",
    )
    yield Story(a, b, users)
    jobs._state.update(ok=True, checked=0.0)


def _row(participant: Participant, **where) -> FormStatus:
    return participant.forms.filter(**where).order_by("event", "repeat").first()


def fill(pattern: Pattern, participant: Participant) -> dict | None:
    """The URL kwargs of `pattern` for an object of `participant`; None when a parameter is
    one this file does not know (the test then fails with the pattern's name)."""
    kwargs: dict = {}
    row = _row(participant, event="SCR", form="DEMOG")
    if pattern.name == "crf_delete":
        row = _row(participant, form="AE")
    elif pattern.name == "eligibility:derived":
        row = _row(participant, form="VITALS")
    elif pattern.name == "dosing:lab_grades":
        row = _row(participant, form="LAB", version__gt=0)
    by_name = {
        ("crf_add_repeat", "form"): "AE",
        ("signature_sign", "kind"): signatures.CASEBOOK,
        ("pdf_request", "kind"): PdfKind.CASEBOOK,
        ("query_act", "what"): "answer",
        ("export_progress", "token"): "a1b2c3d4e5f6a7b8",
    }
    for param in pattern.params:
        if (pattern.name, param) in by_name:
            kwargs[param] = by_name[pattern.name, param]
        elif param == "code":
            kwargs[param] = participant.code
        elif param in ("event", "form", "repeat"):
            kwargs[param] = getattr(row, param)
        elif param == "pk" and pattern.name.startswith("query_"):
            kwargs[param] = Query.objects.filter(participant=participant).first().pk
        elif param == "pk" and pattern.name.startswith("pdf_"):
            kwargs[param] = PdfJob.objects.filter(participant=participant).first().pk
        elif param == "pk" and pattern.name.startswith("submission:package_"):
            kwargs[param] = PackageJob.objects.get().pk
        elif param == "pk" and pattern.name == "admin_user":
            kwargs[param] = User.objects.get(username="nurse").pk
        elif param == "pk" and pattern.name == "admin_site":
            kwargs[param] = participant.site_id
        elif param == "pk" and pattern.name.startswith("oversight:report_"):
            kwargs[param] = ReportJob.objects.get().pk
        else:
            return None
    return kwargs


def owned(pattern: Pattern) -> bool:
    """Whether the pattern shows or changes one participant's data (through its parameters)."""
    return "code" in pattern.params or (pattern.name.startswith("pdf_") and "pk" in pattern.params)


# Bodies a page may expect; each page reads only its own fields.
def generic_body(participant: Participant, row: FormStatus, password: str) -> dict:
    return {
        "version": str(row.version),
        "change-reason": "other",
        "change-reason_other": "access matrix",
        "password": password,
        "decision": "eligible",
        "reason": "",
        "text": "A message",
        "item": "",
        "verify_all": "on",
        "code": participant.code,
        "event": row.event,
        "form": row.form,
        "repeat": str(row.repeat),
        "site": str(participant.site_id),
        "screening_date": str(participant.screening_date),
        "term": "Nausea",
        "grade": "1",
        "email_reminders": "on",
    }


def crf_body(participant: Participant, row: FormStatus) -> dict:
    """The CRF page's own POST, as the browser sends it with the saved values."""
    return {**page_post(crf_registry.bind(row, participant)), "crf-confirm_unusual": "on"}


def clinical_fingerprint(*participants: Participant) -> str:
    """A digest of everything a CRF save, a lock, a signature or a registration changes."""
    rows = FormStatus.objects.filter(participant__in=participants)
    parts = [
        list(rows.order_by("pk").values_list("pk", "version", "status", "locked_at")),
        list(
            Participant.objects.order_by("pk").values_list(
                "pk", "status", "event_dates", "locked_at", "gate_decision"
            )
        ),
        sorted(
            (pk, json.dumps(values, sort_keys=True, default=str))
            for pk, values in crf_registry.snapshot(list(rows)).items()
        ),
        Signature.objects.count(),
    ]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def client_for(user: User) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.req("ROLE.MATRIX", "P11.10d", "P11.10g", "A11.12")
def test_every_page_keeps_to_the_role_matrix(story):
    a, b, users = story.a, story.b, story.users
    patterns = [p for p in walk() if p.name not in ALLOWED_UNFILLED]
    unfilled = [p.name or p.route for p in patterns if not p.name or fill(p, a) is None]
    assert not unfilled, (
        f"URL patterns the access matrix cannot fill: {unfilled}. Teach fill() their "
        "parameters, or list them in ALLOWED_UNFILLED with a reason."
    )
    assert len(patterns) > 40
    urls = {
        (p.name, who.code): reverse(p.name, kwargs=fill(p, who)) for p in patterns for who in (a, b)
    }
    problems: list[str] = []
    clients = {
        name: client_for(users[name])
        for name in ("nurse", "investigator", "monitor", "datamanager", "admin", "nurse2")
    }

    # 1. GET every page: never a server error; never another site's participant. Each role
    # walks its own site's pages (a nurse's are the investigator's), then every user reaches
    # for the participant out of reach.
    def get(name: str, url: str) -> int:
        status = clients[name].get(url).status_code
        if status >= 500:
            problems.append(f"{name} GET {url}: {status}")
        return status

    for name in ("investigator", "monitor", "datamanager"):
        for p in patterns:
            get(name, urls[p.name, a.code])
    for name, who in (("nurse", b), ("monitor", b), ("nurse2", a), ("admin", a), ("admin", b)):
        for p in patterns:
            if not owned(p):
                if who is a:
                    get(name, urls[p.name, a.code])
                continue
            url = urls[p.name, who.code]
            status = get(name, url)
            # 405: a POST-only page, refused before anything is looked up.
            if status not in (404, 405):
                problems.append(f"{name} GET {url} (out of reach): {status}, not 404")
    # What each role reads of its own site (a monitor reads everything there).
    for name in ("nurse", "investigator", "monitor", "datamanager"):
        for p in ("participant_detail", "crf_edit", "crf_history", "query_detail"):
            url = urls[p, a.code]
            status = clients[name].get(url).status_code
            if status != 200:
                problems.append(f"{name} GET {url} (own site): {status}")
    for p in ("participant_detail", "crf_edit"):
        url = urls[p, b.code]
        if clients["datamanager"].get(url).status_code != 200:
            problems.append(f"datamanager GET {url} (every site): not 200")

    # 2. POST every page: the other site's nurse and the administrator get 404 and change
    # nothing; a monitor changes no CRF data, no lock, no signature, no participant.
    password = settings.DEMO_PASSWORD
    for name, who in (("nurse2", a), ("admin", a), ("admin", b), ("monitor", a)):
        before = clinical_fingerprint(a, b)
        row = _row(who, event="SCR", form="DEMOG")
        body = {**generic_body(who, row, password), **crf_body(who, row)}
        for p in patterns:
            if p.name in GET_ONLY:
                continue
            url = urls[p.name, who.code]
            status = clients[name].post(url, body).status_code
            if status >= 500:
                problems.append(f"{name} POST {url}: {status}")
            if owned(p) and name != "monitor" and status not in (404, 405):
                problems.append(f"{name} POST {url} (out of reach): {status}, not 404")
        if clinical_fingerprint(a, b) != before:
            problems.append(f"{name}'s POSTs on {who.code} changed clinical data")

    # The CRF body posted above is one that saves: the nurse's same POST does.
    row = _row(a, event="SCR", form="DEMOG")
    body = {**generic_body(a, row, password), **crf_body(a, row), "crf-weight_kg": "71.5"}
    response = clients["nurse"].post(urls["crf_edit", a.code], body)
    row.refresh_from_db()
    if not (response.status_code == 302 and row.version == int(body["version"]) + 1):
        problems.append("the control failed: the nurse's CRF POST did not save")

    # 3. A nurse signs nothing, with her right password, whatever page she posts.
    signed = Signature.objects.count()
    for p in patterns:
        if p.name in GET_ONLY:
            continue
        row = _row(a, event="SCR", form="DEMOG")
        body = {**generic_body(a, row, password), **crf_body(a, row)}
        status = clients["nurse"].post(urls[p.name, a.code], body).status_code
        if status >= 500:
            problems.append(f"nurse POST {urls[p.name, a.code]}: {status}")
    if Signature.objects.count() != signed:
        problems.append("a nurse's POST created a signature")
    # ...while the investigator's same POST on the casebook's sign page signs.
    response = clients["investigator"].post(urls["signature_sign", a.code], {"password": password})
    if not (response.status_code == 302 and Signature.objects.count() == signed + 1):
        problems.append("the control failed: the investigator's POST did not sign")

    # 4. Participants named in a query string or a body (exports, PDF requests).
    for name in ("monitor", "nurse"):
        for url in (
            f"{reverse('exports')}?format=csv&participant={b.code}",
            f"{reverse('exports')}?format=odm&site={b.site.code}",
        ):
            status = clients[name].get(url).status_code
            if status != 404:
                problems.append(f"{name} GET {url} (another site's): {status}, not 404")
        for kind in (PdfKind.CASEBOOK, PdfKind.FORM):
            url = reverse("pdf_request", args=[kind])
            body = {"code": b.code, "event": "SCR", "form": "DEMOG", "repeat": "1"}
            status = clients[name].post(url, body).status_code
            if status != 404:
                problems.append(f"{name} POST {url} for {b.code}: {status}, not 404")
    assert not problems, "\n".join(problems)
