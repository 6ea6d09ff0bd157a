"""Base form of every CRF, and the small forms of the trial app."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils import formats, timezone
from django.utils.formats import localize
from django.utils.translation import gettext_lazy as _

from trial import crf as crf_registry
from trial.languages import shown_date
from trial.models import Site

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


REASONS = [
    ("", _("— choose a reason —")),
    ("transcription error", _("Transcription error")),
    ("data clarified by query", _("Data clarified by query")),
    ("source document updated", _("Source document updated")),
    ("other", _("Other (explain)")),
]


REQUIRED_TO_COMPLETE = _("Required to mark the form complete.")
# Plausible years of every date and date-time a CRF holds: births from 1900, nothing after next
# year. Year 1 or 9999 is a slip of the keyboard, and a year-1 time in a zone east of UTC is
# before year 1 in UTC, which the database keeps but Python cannot read back.
MIN_YEAR = 1900
ALL_FIELDS = "__all__"


class YesNoField(forms.TypedChoiceField):
    """A yes/no item with an explicit "not answered": a blank is not a "no"."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("choices", [("", "—"), ("True", _("Yes")), ("False", _("No"))])
        super().__init__(coerce=lambda value: value == "True", empty_value=None, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        return str(value) if isinstance(value, bool) else value


def max_year() -> int:
    return timezone.localdate().year + 1


def plausible_year(value: date | None) -> None:
    """Validator of every CRF date and date-time (a datetime's year in the current time zone)."""
    if value is not None and not MIN_YEAR <= value.year <= max_year():
        raise forms.ValidationError(
            _("Enter a year between %(min)s and %(max)s.") % {"min": MIN_YEAR, "max": max_year()},
            code="implausible_year",
        )


# What a number box keeps of <input type="number">'s attributes: the checks are the field's own.
_NUMBER_ONLY_ATTRS = ("min", "max", "step")


def localize_numbers(form: forms.BaseForm) -> None:
    """Numbers in the reader's language: typed "7,4" or "7.4" in French, shown as "7,4".

    Every number field reads and shows its value localized, in a text box with a numeric
    keyboard: <input type="number"> cannot hold a decimal comma. The range and step checks
    stay the field's validators, on the server. Hidden numbers (keys) stay as they are."""
    for field in form.fields.values():
        if not isinstance(field, forms.IntegerField):  # DecimalField and FloatField too
            continue
        widget = field.widget
        if isinstance(widget, forms.HiddenInput):
            continue
        field.localize = True
        widget.is_localized = True
        if isinstance(widget, forms.NumberInput):
            widget.input_type = "text"
            for name in _NUMBER_ONLY_ATTRS:
                widget.attrs.pop(name, None)
            decimal = isinstance(field, forms.DecimalField | forms.FloatField)
            widget.attrs.setdefault("inputmode", "decimal" if decimal else "numeric")


def show_limits(form: forms.BaseForm) -> None:
    """Text boxes say their limit and never cut what is typed or pasted: the browser's own
    `maxlength` silently drops the characters beyond it, so it goes; static/edc.js counts the
    characters beside the box, and the field's check refuses a longer text with a message,
    the text kept on the page to shorten."""
    for field in form.fields.values():
        limit = getattr(field, "max_length", None)
        if not isinstance(field, forms.CharField) or not limit:
            continue
        field.widget.attrs.pop("maxlength", None)
        field.widget.attrs["data-maxlength"] = str(limit)


# What each part of a date format reads as, in a placeholder ("jj/mm/aaaa" in French,
# "YYYY-MM-DD" in English).
_PLACEHOLDER_PARTS = {
    "%d": _("DD"),
    "%m": _("MM"),
    "%Y": _("YYYY"),
    "%H": _("hh"),
    "%M": _("mm"),
}


def _placeholder(fmt: str) -> str:
    for token, text in _PLACEHOLDER_PARTS.items():
        fmt = fmt.replace(token, str(text))
    return fmt.replace("T", " ")


def date_format_hint() -> str:
    """How the reader types a date: "YYYY-MM-DD" in English, "jj/mm/aaaa" in French."""
    return _placeholder(formats.get_format("DATE_INPUT_FORMATS")[0])


def datetime_format_hint() -> str:
    """How the reader types a date and time: "jj/mm/aaaa hh:mm" in French."""
    return _placeholder(formats.get_format("DATETIME_INPUT_FORMATS")[0])


class _TypedInput:
    """A date or date-time typed in the reader's language's style (trial/formats), never the
    browser's picker: the picker shows the browser's locale, not the page's (an en-US Chromium
    shows 12/04/2026 to an English or a French reader alike), and a day and a month swapped is
    a classic transcription error. The value is shown in the language's first input format,
    read in any of its formats (ISO always accepted, nothing ambiguous); the placeholder says
    the format. Both are resolved when the box is drawn, in the reader's language."""

    inputmode = "numeric"

    def hint(self) -> str:
        raise NotImplementedError

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)  # type: ignore[misc]
        shown = context["widget"]["attrs"]
        shown.setdefault("placeholder", self.hint())
        shown.setdefault("inputmode", self.inputmode)
        shown.setdefault("autocomplete", "off")
        return context


class DateInput(_TypedInput, forms.DateInput):
    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)  # format None: the active language's, when drawn

    def hint(self) -> str:
        return date_format_hint()


class DateTimeInput(_TypedInput, forms.DateTimeInput):
    inputmode = "text"  # the space and the colon

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)

    def hint(self) -> str:
        return datetime_format_hint()


def date_entry() -> dict[str, str]:
    """The attributes of a hand-written date box (a filter): a text box in the reader's
    format, like every date box (see DateInput)."""
    return {"type": "text", "placeholder": date_format_hint(), "inputmode": "numeric"}


def typed_date(value: str) -> date | None:
    """A date typed in the reader's format (ISO always accepted); None when it is not one.
    No language reads 01/12/2026 the American way (trial/formats)."""
    try:
        return forms.DateField().to_python(value)
    except forms.ValidationError:
        return None


def localize_dates(form: forms.BaseForm) -> None:
    """Every date and date-time box of a form typed the reader's way (DateInput,
    DateTimeInput): 28/09/2026 in French, 2026-09-28 in English. Hidden dates stay."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput | _TypedInput):
            continue
        if isinstance(field, forms.DateTimeField):
            field.widget = DateTimeInput(attrs=widget.attrs)
        elif isinstance(field, forms.DateField):
            field.widget = DateInput(attrs=widget.attrs)


def bound_dates(form: forms.BaseForm) -> None:
    """Add the plausible-year check to every date and date-time field of a form."""
    for field in form.fields.values():
        if isinstance(field, forms.DateField | forms.DateTimeField):
            field.validators.append(plausible_year)


IN_THE_FUTURE = _("This date is in the future; enter the date it happened.")
MOMENT_IN_THE_FUTURE = _("This time is in the future; enter when it happened.")


def not_in_future(value: date | datetime | None) -> None:
    """Validator of a past event's date or date-time (an administration, an acquisition, a
    sample, a scan): not after today, or now, in the participant's site time zone."""
    if isinstance(value, datetime):
        if value > timezone.now():
            raise forms.ValidationError(MOMENT_IN_THE_FUTURE, code="future")
    elif value is not None and value > timezone.localdate():
        raise forms.ValidationError(IN_THE_FUTURE, code="future")


def past_events(form: forms.BaseForm, allowed: tuple[str, ...] = ()) -> None:
    """Every date and date-time of a CRF records something that happened: none may be in the
    future, except the fields `allowed` names."""
    for name, field in form.fields.items():
        if isinstance(field, forms.DateField | forms.DateTimeField) and name not in allowed:
            field.validators.append(not_in_future)


@dataclasses.dataclass
class ErrorEntry:
    """One line of the error summary at the top of a form: what needs attention and the id
    of the element its link moves to ("" for a message about the whole form)."""

    target: str
    label: str
    messages: list[str] = dataclasses.field(default_factory=list)


def field_entry(bound: forms.BoundField, label: str | None = None) -> ErrorEntry:
    return ErrorEntry(
        bound.auto_id or "", str(label or bound.label), [str(e) for e in bound.errors]
    )


def error_entries(form: forms.BaseForm) -> list[ErrorEntry]:
    """The errors of a plain form (a signature's password, a decision), for the summary: its
    own messages, then each field's. Empty on an unbound form."""
    if not form.is_bound:
        return []
    entries = [ErrorEntry("", "", [str(e)]) for e in form.non_field_errors()]
    return entries + [field_entry(bound) for bound in form if bound.errors and not bound.is_hidden]


def summary_context(form: forms.BaseForm | None) -> dict[str, Any]:
    """The template context of trial/_error_summary.html for a plain form."""
    entries = error_entries(form) if form is not None else []
    return {"error_summary": entries, "error_fields": sum(1 for e in entries if e.target)}


def formset_entries(name: str, title: str, formset: Any) -> list[ErrorEntry]:
    """The errors of an item group's formset: its own, then each row's, each field's, in
    the order the page shows them. A formset may name its rows (`row_label(index)`)."""
    entries = [ErrorEntry(f"group-{name}", title, [str(e)]) for e in formset.non_form_errors()]
    row_label = getattr(formset, "row_label", None)
    for index, row in enumerate(formset.forms):
        label = row_label(index) if row_label else f"#{index + 1}"
        visible = row.visible_fields()
        if row.non_field_errors():
            target = visible[0].auto_id if visible else f"group-{name}"
            messages = [str(e) for e in row.non_field_errors()]
            entries.append(ErrorEntry(target, f"{title} · {label}", messages))
        for bound in visible:
            if bound.errors:
                entries.append(field_entry(bound, f"{title} · {label} · {bound.label}"))
    return entries


class CrfForm(forms.ModelForm):
    """A CRF's form: required items checked only when the nurse marks the form complete,
    unusual-but-possible values confirmed explicitly, units shown beside every field.

    Subclasses list `complete_required` items and call `self.warn(field, message)` from their
    clean methods for values to confirm.
    """

    # The items a complete form needs; ALL_FIELDS means every field of Meta.fields.
    complete_required: tuple[str, ...] | str = ()
    units: dict[str, StrOrPromise] = {}
    # Dates that may lie ahead; every other date and date-time is of a past event.
    future_allowed: tuple[str, ...] = ()

    confirm_unusual = forms.BooleanField(
        required=False, label=_("I have checked the values flagged as unusual; save them.")
    )

    def clean(self) -> dict[str, Any]:
        # Django returns the cleaned data from clean(), typed as optional; typed here once so
        # every form's `data = super().clean()` reads a dict.
        super().clean()
        return self.cleaned_data

    def __init__(self, *args, complete: bool = True, participant=None, row=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The participant and form-status row let clean methods check against other data
        # (a lab dated after C4, consent before any procedure, the previous cycle's date).
        self.participant = participant
        self.row = row
        self.complete = complete
        self.warnings: list[tuple[str | None, StrOrPromise]] = []
        self.needs_confirmation = False
        required = (
            self._meta.fields or ()
            if self.complete_required == ALL_FIELDS
            else self.complete_required
        )
        for name, field in list(self.fields.items()):
            # Nullable booleans come as Django's "Unknown/Yes/No" select, whose "required" does
            # nothing; a yes/no choice makes "not answered" a blank the complete check refuses.
            if isinstance(field, forms.NullBooleanField):
                field = self.fields[name] = YesNoField(
                    label=field.label, required=field.required, help_text=field.help_text
                )
            if name in required:
                field.required = complete
            if isinstance(field, forms.DateField):
                field.widget = DateInput()
            unit = self.units.get(name)
            if unit and isinstance(field.widget, forms.widgets.Input):
                # The unit sits beside the box (input group), where the eye expects it.
                field.widget.attrs["data-unit"] = unit
                field.widget.template_name = "trial/widgets/unit_input.html"
        bound_dates(self)
        past_events(self, self.future_allowed)
        localize_numbers(self)
        localize_dates(self)
        show_limits(self)

    @classmethod
    def initial_from_query(cls, query: Any) -> dict[str, Any]:
        """Initial values a link may pass to a never-saved form (e.g. an adverse event opened
        from a lab finding). None by default: a form opts in by overriding this and validating
        what it accepts."""
        return {}

    def group_formsets(self) -> dict[str, Any]:
        """The formsets of the form's repeating item groups, by group name (trial/crf.py).
        Each has `rows()`: the cleaned rows in repeat order."""
        return {}

    def is_valid(self) -> bool:
        # Every part is validated, so that all the errors show at once and no typed row is
        # lost.
        results = [super().is_valid()]
        results += [formset.is_valid() for formset in self.group_formsets().values()]
        return all(results)

    def group_titles(self) -> dict[str, str]:
        """The title of each item group, for the error summary: the registry's label."""
        spec = crf_registry.get(self.row.form) if self.row is not None else None
        return {g.name: str(g.label or g.name) for g in spec.groups} if spec else {}

    def error_summary(self) -> list[ErrorEntry]:
        """Everything a failed save asks to correct, in the page's order: the form's own
        messages, each field, then each item group's rows. Empty on an unbound form."""
        entries = error_entries(self)
        if not entries and not self.is_bound:
            return []
        titles = self.group_titles()
        for name, formset in self.group_formsets().items():
            entries += formset_entries(name, titles.get(name, name), formset)
        if self.needs_confirmation:
            entries.append(
                ErrorEntry(
                    self["confirm_unusual"].auto_id,
                    str(self.fields["confirm_unusual"].label),
                    [str(_("Tick this box to save the values flagged as unusual."))],
                )
            )
        return entries

    def crf_data(self) -> dict[str, Any]:
        """What the action saves (trial.actions.save_crf): the form's items as cleaned, and
        each item group's rows. Forms validate; they never write."""
        data = {
            name: self.cleaned_data[name]
            for name in self._meta.fields or ()
            if name in self.cleaned_data
        }
        for name, formset in self.group_formsets().items():
            data[name] = formset.rows()
        return data

    def warn(self, field: str | None, message: StrOrPromise) -> None:
        self.warnings.append((field, message))

    def require(self, name: str) -> None:
        """A conditionally required item, checked only when the form is marked complete."""
        # A value refused already (too long, not a date) has its own message.
        if self.complete and name not in self.errors and self.cleaned_data.get(name) in (None, ""):
            self.add_error(name, REQUIRED_TO_COMPLETE)

    def ranged(self, name: str, limits: tuple, usual: tuple | None, unit: StrOrPromise) -> Any:
        """A number within its plausible range (else an error), and within its usual range
        (else a warning the nurse confirms). For use in clean_<name>()."""
        value = self.cleaned_data.get(name)
        if value is None:
            return value
        low, high = limits
        if not low <= value <= high:
            raise forms.ValidationError(
                _("Enter a value between %(low)s and %(high)s %(unit)s.")
                % {"low": localize(low), "high": localize(high), "unit": unit}
            )
        if usual and not usual[0] <= value <= usual[1]:
            self.warn(
                name,
                _("%(value)s %(unit)s is unusual (usually %(low)s-%(high)s).")
                % {
                    "value": localize(value),
                    "unit": unit,
                    "low": localize(usual[0]),
                    "high": localize(usual[1]),
                },
            )
        return value

    @property
    def confirmation_name(self) -> str:
        """The hidden input carrying what the ticked confirmation confirmed."""
        return self.add_prefix("confirmed_warnings")

    def _warnings_digest(self) -> str:
        """What the confirmation confirms: each warning with the value it is about, as typed.
        A changed value (even to another unusual one) is no longer confirmed."""
        parts = sorted(
            f"{name or ''}\x1f{message}\x1f{self[name].data if name in self.fields else ''}"
            for name, message in self.warnings
        )
        return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()[:24]

    def full_clean(self) -> None:
        super().full_clean()
        self.confirmation_digest = ""
        if not self.is_bound or not self.warnings:
            return
        # The confirmation stays ticked, across saves refused for other reasons, until a value
        # it confirmed changes: it holds for the warnings it was ticked against.
        self.confirmation_digest = self._warnings_digest()
        ticked = bool(self.cleaned_data.get("confirm_unusual"))
        # A post without the digest (the demo, scripts) confirms what it ticked, as before.
        seen = self.data.get(self.confirmation_name)
        confirmed = ticked and seen in (None, self.confirmation_digest)
        if ticked and not confirmed:
            data = cast(Any, self.data).copy()  # a QueryDict, or a dict from a script
            data[self.add_prefix("confirm_unusual")] = ""
            self.data = data
        if not confirmed:
            self.needs_confirmation = True
            for field, message in self.warnings:
                self.add_error(
                    field,
                    _("%(message)s Tick the confirmation box to save it.") % {"message": message},
                )

    @staticmethod
    def not_in_future(value: date | None) -> date | None:
        not_in_future(value)
        return value

    def outside_window(self, name: str, message: Any) -> date | None:
        """A date checked against its event's window (trial.schedule): outside it, a warning
        the nurse confirms, as for any visit. `message` names the window, with %(opens)s and
        %(closes)s."""
        value = self.not_in_future(self.cleaned_data.get(name))
        if value and self.participant is not None and self.row is not None:
            planned = next((p for p in self.participant.plan() if p.code == self.row.event), None)
            window = planned.window if planned else None
            opens, closes = (window.opens, window.closes) if window else (None, None)
            if opens and closes and not opens <= value <= closes:
                self.warn(
                    name, message % {"opens": shown_date(opens), "closes": shown_date(closes)}
                )
        return value


# Deleting a log entry, and locking or unlocking data, have reasons of their own.
DELETE_REASONS = [
    ("", _("— choose a reason —")),
    ("entered in error", _("Entered in error")),
    ("duplicate entry", _("Duplicate entry")),
    ("other", _("Other (explain)")),
]
LOCK_REASONS = [
    ("", _("— choose a reason —")),
    ("database freeze", _("Database freeze")),
    ("interim analysis", _("Interim analysis")),
    ("data verified", _("Data verified and queries closed")),
    ("other", _("Other (explain)")),
]
UNLOCK_REASONS = [
    ("", _("— choose a reason —")),
    ("correction after query", _("Correction needed after a query")),
    ("lock in error", _("Locked in error")),
    ("other", _("Other (explain)")),
]


class ReasonForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason for change"), choices=REASONS, required=True)
    reason_other = forms.CharField(
        label=_("Explain"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("Required when the reason is Other")}),
    )

    def __init__(self, *args, choices=None, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        show_limits(self)
        if choices is not None:
            self.fields["reason"].choices = choices
        if label is not None:
            self.fields["reason"].label = label

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("reason") == "other" and not data.get("reason_other", "").strip():
            self.add_error("reason_other", _("Explain the reason for this change."))
        return data

    @property
    def text(self) -> str:
        data = self.cleaned_data
        if data["reason"] == "other":
            return f"other: {data['reason_other'].strip()}"
        return data["reason"]


class RegisterParticipantForm(forms.Form):
    site = forms.ModelChoiceField(queryset=Site.objects.none(), label=_("Site"))
    screening_date = forms.DateField(
        label=_("Screening date (date of consent)"), widget=DateInput()
    )

    def __init__(self, *args, sites=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        only = list(sites[:2]) if sites is not None else []
        if len(only) == 1:
            self.fields["site"].initial = only[0]
        self.fields["screening_date"].initial = timezone.localdate()
        localize_dates(self)

    def clean_screening_date(self):
        value = self.cleaned_data["screening_date"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The screening date cannot be in the future."))
        if value.year < 2021:
            raise forms.ValidationError(_("The trial opened in 2021; check the year."))
        return value


class SignForm(forms.Form):
    """Re-entering the password at the moment of signing (21 CFR 11.200)."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Signing is the legally binding equivalent of your handwritten signature."),
    )


class SignDecisionForm(SignForm):
    """What is signed for a decision (trial/decisions.py): the choice (a button each, or a
    list), a reason when the decision asks for one, and the password."""

    field_order = ("decision", "reason", "password")

    def __init__(self, *args: Any, decision: Any, previous: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Not `self.decision`: the template reads the field of that name (sign_form.decision).
        self.spec = decision
        # The choice signed before (trial.decisions.recorded_choice): another one is a
        # correction, which needs a reason.
        self.previous = previous
        if decision.choices:
            self.fields["decision"] = forms.ChoiceField(
                label=_("Decision"),
                choices=[(c.value, c.label) for c in decision.choices],
                widget=forms.HiddenInput if decision.buttons else forms.Select,
            )
        if decision.reason_label or previous:
            self.fields["reason"] = forms.CharField(
                label=decision.reason_label or _("Reason for the change"),
                max_length=200,
                required=False,
                help_text=_("Changing a signed decision is a correction: give its reason.")
                if previous
                else "",
            )
        self.order_fields(self.field_order)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        choice = data.get("decision", "")
        if choice in self.spec.reason_required_for and not data.get("reason", "").strip():
            self.add_error("reason", str(self.spec.reason_missing or _("Give a reason.")))
        elif self.previous and choice and choice != self.previous and not data.get("reason"):
            self.add_error(
                "reason", _("This changes the decision signed: give the reason for the change.")
            )
        return data
