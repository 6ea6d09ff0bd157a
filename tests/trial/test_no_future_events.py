"""Issue 21: no past event (an administration, an acquisition, a sample, a scan) may be dated in
the future, on any form: every date and date-time of every registered form, its item groups'
included, is refused tomorrow (or an hour from now) with a message beside it, and accepted
today (or a minute ago)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django import forms
from django.utils import timezone

from tests.trial.test_bounded_dates import _event_of
from trial import crf as crf_registry
from trial.forms import IN_THE_FUTURE, MOMENT_IN_THE_FUTURE
from trial.models import FormStatus

pytestmark = pytest.mark.django_db


def _typed(field: forms.Field, later: bool) -> str:
    now = timezone.localtime()
    if isinstance(field, forms.DateTimeField):
        moment = now + timedelta(hours=1) if later else now - timedelta(minutes=1)
        return moment.strftime("%Y-%m-%dT%H:%M")
    day = now.date() + timedelta(days=1) if later else now.date()
    return day.isoformat()


def _dated(form) -> list[tuple[str, str, forms.Field]]:
    """(POST name, error key, field) of every date of the bound form and its group rows."""
    found = [
        (f"crf-{name}", name, field)
        for name, field in form.fields.items()
        if isinstance(field, forms.DateField | forms.DateTimeField)
    ]
    for formset in form.group_formsets().values():
        row = formset.forms[0] if formset.forms else formset.empty_form
        found += [
            (f"{formset.prefix}-0-{name}", f"{formset.prefix}-0-{name}", field)
            for name, field in row.fields.items()
            if isinstance(field, forms.DateField | forms.DateTimeField)
        ]
    return found


def _errors(form, key: str) -> list[str]:
    if "-0-" not in key:
        return form.errors.get(key, [])
    prefix, name = key.rsplit("-0-", 1)
    formset = next(f for f in form.group_formsets().values() if f.prefix == prefix)
    return formset.forms[0].errors.get(name, [])


def _management(form) -> dict[str, str]:
    data = {}
    for formset in form.group_formsets().values():
        data.update(
            {
                f"{formset.prefix}-TOTAL_FORMS": "1",
                f"{formset.prefix}-INITIAL_FORMS": "0",
                f"{formset.prefix}-MIN_NUM_FORMS": "0",
                f"{formset.prefix}-MAX_NUM_FORMS": "10",
            }
        )
    return data


@pytest.mark.req("A11.6")
def test_every_date_of_every_form_refuses_the_future(participant):
    checked = set()
    for code in sorted(crf_registry.REGISTRY):
        row, _ = FormStatus.objects.get_or_create(
            participant=participant, event=_event_of(code), form=code, repeat=1
        )
        blank = crf_registry.bind(row, participant, None)
        for name, key, field in _dated(blank):
            expected = (
                MOMENT_IN_THE_FUTURE if isinstance(field, forms.DateTimeField) else IN_THE_FUTURE
            )
            for later in (True, False):
                data = {**_management(blank), name: _typed(field, later)}
                form = crf_registry.bind(row, participant, data, complete=False)
                form.is_valid()
                errors = [str(e) for e in _errors(form, key)]
                where = (code, key, data[name])
                if later:
                    assert str(expected) in errors, (where, errors)
                else:
                    assert str(expected) not in errors, (where, errors)
            checked.add((code, key.split("-", 1)[-1]))
    # Past events of each kind: an administration, an acquisition, a sample, a scan.
    assert {
        ("CYCLE", "administration_date"),
        ("IAHDOSE", "infusion_date"),
        ("IAHDOSE", "infusion_start"),
        ("DOSI", "time_points-0-acquired_at"),
        ("LAB", "sample_date"),
        ("PET_IAH", "injection_at"),
        ("PET_IV", "scan_start_at"),
        ("PETLES", "mri_date"),
        ("RECIST", "imaging_date"),
        ("CONSENT", "consent_datetime"),
    } <= checked
