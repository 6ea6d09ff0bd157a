"""Web security: a strict Content-Security-Policy on every page, templates with no inline
script or style (which the policy would refuse), and a CSRF token in every form that posts."""

from __future__ import annotations

import re
from pathlib import Path

from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]
CODE_DIRS = ["trial", "eligibility", "dosing", "imaging", "followup"]


def templates(include_pdf: bool = True) -> list[Path]:
    found = sorted({p for d in TEMPLATE_DIRS for p in d.rglob("*.html")})
    assert len(found) > 40
    if include_pdf:
        return found
    # PDF templates are read by WeasyPrint only, never served: their <style> is allowed.
    return [p for p in found if "pdf" not in p.relative_to(ROOT).parts[:3]]


def directives(header: str) -> dict[str, list[str]]:
    parts = (part.strip().split() for part in header.split(";") if part.strip())
    return {part[0]: part[1:] for part in parts}


def test_every_page_sends_a_strict_policy(client, nurse):
    anonymous = client.get(reverse("login"))
    client.force_login(nurse)
    page = client.get(reverse("participant_list"))
    for response in (anonymous, page):
        policy = directives(response["Content-Security-Policy"])
        assert policy["default-src"] == ["'none'"]
        assert policy["script-src"] == ["'self'"]
        assert policy["style-src"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["form-action"] == ["'self'"]
        assert policy["object-src"] == ["'none'"]
        assert policy["base-uri"] == ["'none'"]
        header = response["Content-Security-Policy"]
        assert "unsafe-inline" not in header and "unsafe-eval" not in header


def test_base_configures_htmx_for_the_policy(client, nurse):
    client.force_login(nurse)
    html = client.get(reverse("participant_list")).content.decode()
    assert '"includeIndicatorStyles": false' in html
    assert '"allowEval": false' in html
    assert re.search(r'<script src="/static/edc\.js">', html)


def test_no_template_has_inline_script_or_handlers():
    offenders = []
    for path in templates():
        text = path.read_text()
        for match in re.finditer(r"<script\b[^>]*>", text, re.I):
            if "src=" not in match.group(0):
                offenders.append(f"{path}: inline {match.group(0)}")
        for match in re.finditer(r"\s(on[a-z]+)\s*=", text, re.I):
            offenders.append(f"{path}: handler {match.group(1)}=")
        if re.search(r"javascript:", text, re.I):
            offenders.append(f"{path}: javascript: URL")
        if re.search(r"\bhx-on", text):
            offenders.append(f"{path}: hx-on (needs eval)")
    assert not offenders, "\n".join(offenders)


def test_no_served_template_has_inline_style():
    offenders = []
    for path in templates(include_pdf=False):
        text = path.read_text()
        if re.search(r"<style\b", text, re.I):
            offenders.append(f"{path}: <style>")
        if re.search(r"\sstyle\s*=", text, re.I):
            offenders.append(f"{path}: style=")
    assert not offenders, "\n".join(offenders)


def test_no_python_code_writes_inline_script_or_style_into_pages():
    offenders = []
    for name in CODE_DIRS:
        for path in (ROOT / name).rglob("*.py"):
            # PDFs (WeasyPrint) and the traceability matrix (a file written to disk) are never
            # served under the CSP.
            if "migrations" in path.parts or path.name in ("pdf.py", "traceability.py"):
                continue
            text = path.read_text()
            if re.search(r"<script|\sstyle=\\?[\"']|<style", text):
                offenders.append(str(path))
    assert not offenders, offenders


def test_every_form_that_posts_carries_a_csrf_token():
    missing = []
    for path in templates():
        text = path.read_text()
        for form in re.finditer(r"<form\b[^>]*>.*?</form>", text, re.I | re.S):
            if re.search(r'method="post"', form.group(0), re.I) and "{% csrf_token %}" not in (
                form.group(0)
            ):
                missing.append(f"{path}: {form.group(0)[:80]}")
    assert not missing, "\n".join(missing)


def test_no_view_is_exempt_from_csrf():
    for name in CODE_DIRS:
        for path in (ROOT / name).rglob("*.py"):
            assert "csrf_exempt" not in path.read_text(), path


def test_a_post_without_the_token_is_refused(nurse, bdx):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(nurse)
    response = client.post(reverse("participant_register"), {"screening_date": "2026-03-02"})
    assert response.status_code == 403
