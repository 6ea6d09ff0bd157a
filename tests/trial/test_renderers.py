"""The fast form renderer writes every <input> exactly as Django's templates do."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from trial.renderers import INPUT_TEMPLATES, FastInputRenderer

WIDGETS = [
    forms.TextInput(),
    forms.NumberInput(attrs={"step": "0.01", "class": "form-control form-control-sm"}),
    forms.EmailInput(attrs={"required": True, "disabled": False, "data-x": 0}),
    forms.PasswordInput(attrs={"autocomplete": "current-password"}, render_value=True),
    forms.HiddenInput(),
    forms.DateInput(format="%Y-%m-%d", attrs={"placeholder": gettext_lazy("Date")}),
    forms.DateTimeInput(format="%Y-%m-%dT%H:%M"),
    forms.TimeInput(),
    forms.URLInput(attrs={"title": mark_safe("<b>safe</b>"), "aria-x": ("a", 1)}),
    forms.CheckboxInput(),
    forms.CheckboxInput(attrs={"class": "form-check-input"}),
]
VALUES = [
    None,
    "",
    "plain",
    "quote \" & <tag> 'single'",
    mark_safe("<i>safe</i>"),
    Decimal("12.50"),
    3,
    0,
    True,
    False,
    datetime(2026, 3, 2, 9, 5),
]


@pytest.mark.parametrize("widget", WIDGETS, ids=lambda w: type(w).__name__)
@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_inputs_render_as_django_renders_them(widget, value):
    attrs = {"id": "id_crf-x", "aria-invalid": "true", "aria-describedby": 'a"b'}
    fast = widget.render("crf-x", value, attrs=attrs, renderer=FastInputRenderer())
    django = widget.render("crf-x", value, attrs=attrs, renderer=DjangoTemplates())
    assert fast == django


def test_only_plain_input_templates_are_written_in_python():
    assert "django/forms/widgets/select.html" not in INPUT_TEMPLATES
    select = forms.Select(choices=[("1", "<one>"), ("2", "two")])
    assert select.render("s", "1", renderer=FastInputRenderer()) == select.render(
        "s", "1", renderer=DjangoTemplates()
    )


@pytest.mark.parametrize(
    "data", [None, {"acquired_at": "2026-03-02T10:00", "act_l1": "-3", "act_liver": "x<y"}]
)
def test_whole_forms_render_the_same(data):
    from imaging.forms import TimePointRow

    def fields(renderer):
        form = TimePointRow(data, renderer=renderer)
        if data is not None:
            assert not form.is_valid()  # errors change the inputs' attributes
        return [str(field) for field in form]

    assert fields(FastInputRenderer()) == fields(DjangoTemplates())


@pytest.mark.parametrize("value", [None, Decimal("7.40"), 7.4, 12, "7,4"], ids=repr)
def test_localized_number_boxes_render_the_same_in_french(value):
    """A CRF's number box in French (trial.forms.localize_numbers): a text box with a decimal
    comma and a numeric keyboard, written exactly as Django writes it."""
    from django.utils import translation

    from trial.forms import localize_numbers

    class Form(forms.Form):
        dose = forms.DecimalField(max_digits=5, decimal_places=2, min_value=0)

    with translation.override("fr"):
        html = {}
        for renderer in (FastInputRenderer(), DjangoTemplates()):
            form = Form(initial={"dose": value}, renderer=renderer)
            localize_numbers(form)
            html[type(renderer).__name__] = str(form["dose"])
    assert html["FastInputRenderer"] == html["DjangoTemplates"]
    assert (
        'type="text"' in html["DjangoTemplates"]
        and 'inputmode="decimal"' in html["DjangoTemplates"]
    )
    assert "min=" not in html["DjangoTemplates"] and "step=" not in html["DjangoTemplates"]
    if value is not None and value != 12:
        assert 'value="7,4' in html["DjangoTemplates"]
