"""Forms of the imaging CRFs. They validate and never write (trial.actions.save_crf does).

The item groups with fixed slots (the 5 index lesions, the 5 organs, the 4 time points) are
plain formsets with one row per slot: a blank row stores no row, so a missing lesion stays
visibly missing. The extra-hepatic lesions are a free list.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.forms import formset_factory
from django.utils import formats
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from imaging import calculations as calc
from imaging import models as m
from imaging import naming
from trial import decay, limits, registry
from trial.crf import model_field
from trial.forms import (
    CrfForm,
    DateTimeInput,
    bound_dates,
    localize_dates,
    localize_numbers,
    past_events,
    show_limits,
)
from trial.languages import shown_moment

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


SUV_LIMITS = (Decimal(0), Decimal(200))  # exclusive: positive and below 200
DIAMETER_MM = (1, 300)
GA68_ACTIVITY_MBQ = (1, 2000)
ACTIVITY_MBQ = (0, 100000)
# A VOI from a 0.1 mL lesion to a whole liver; densities from lung-like to cortical bone.
VOI_VOLUME_ML = (0, 5000)
DENSITY_G_ML = (Decimal("0.30"), Decimal("2.00"))
# PROTOCOL.md section 2: PET-IV at least 10 h after PET-IAH (68Ga residue < 0.2 %), at most
# 28 days after. Between 10 h and the 0.2 % time (about 10.12 h) is a warning to confirm.
PET_IV_MIN_HOURS = 10
RESIDUE_FRACTION = 0.002
PET_IV_MAX_DAYS = 28
EXTRA_HEPATIC_ROWS = 3
MAX_EXTRA_HEPATIC = naming.MAX_EXTRA_HEPATIC


def _when(value: datetime) -> str:
    return shown_moment(value)


def _small(form: forms.Form) -> None:
    for field in form.fields.values():
        field.required = False
    if not getattr(form, "_dates_bound", False):
        bound_dates(form)
        past_events(form)
        form._dates_bound = True  # type: ignore[attr-defined]  # a mark on this instance only
    localize_numbers(form)
    localize_dates(form)
    show_limits(form)
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.HiddenInput):
            continue
        # A cell is as wide as the values it holds ("100000,00", "09/10/2026 08:00"): the
        # table scrolls inside its box rather than cutting them (static/edc.css).
        if isinstance(widget, forms.Select):
            css = "form-select form-select-sm cell-select"
        elif isinstance(field, forms.DateTimeField):
            css = "form-control form-control-sm cell-datetime"
        elif isinstance(field, forms.DecimalField | forms.IntegerField):
            css = "form-control form-control-sm cell-number"
        else:
            css = "form-control form-control-sm cell-text"
        widget.attrs["class"] = css


class SlotRow(forms.Form):
    """One row of a fixed-slot group: blank is "not entered", begun must be finished."""

    needed: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _small(self)

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        # A row's hidden number is who it is, not a value typed: a saved row emptied is blank.
        items = [name for name, f in self.fields.items() if not f.widget.is_hidden]
        return all(data.get(name) in (None, "") for name in items)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not self.is_blank():
            for name in self.needed:
                if data.get(name) in (None, ""):
                    self.add_error(name, _("Required for each row begun."))
        return data


def suv_field(label: Any) -> forms.DecimalField:
    return forms.DecimalField(label=label, max_digits=5, decimal_places=2, required=False)


def check_suv(form: forms.Form, name: str) -> None:
    value = form.cleaned_data.get(name)
    low, high = SUV_LIMITS
    if value is not None and not low < value < high:
        form.add_error(name, _("An SUV is above 0 and below 200."))


class IndexLesionRow(SlotRow):
    needed = ("segment", "diameter_mm")
    segment = forms.TypedChoiceField(
        label=_("Couinaud segment"),
        choices=[("", "—"), *m.Couinaud.choices],
        coerce=int,
        empty_value=None,
    )
    diameter_mm = forms.DecimalField(
        label=_("Longest diameter"), max_digits=4, decimal_places=1, required=False
    )

    def clean_diameter_mm(self) -> Decimal | None:
        value = self.cleaned_data.get("diameter_mm")
        if value is not None and not DIAMETER_MM[0] <= value <= DIAMETER_MM[1]:
            raise forms.ValidationError(
                _("Enter a value between %(low)s and %(high)s mm.")
                % {"low": DIAMETER_MM[0], "high": DIAMETER_MM[1]}
            )
        return value


class LesionSuvRow(SlotRow):
    needed = ("suv_max", "suv_mean")
    suv_max = suv_field(_("SUVmax"))
    suv_mean = suv_field(_("SUVmean"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        check_suv(self, "suv_max")
        check_suv(self, "suv_mean")
        high, mean = data.get("suv_max"), data.get("suv_mean")
        if high is not None and mean is not None and high < mean:
            self.add_error(
                "suv_max",
                _("SUVmax (%(max)s) cannot be below SUVmean (%(mean)s); check both values.")
                % {"max": formats.localize(high), "mean": formats.localize(mean)},
            )
        return data


class OrganSuvRow(SlotRow):
    suv_mean = suv_field(_("SUVmean"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        check_suv(self, "suv_mean")
        return data


class ExtraHepaticRow(SlotRow):
    needed = ("location", "suv_max")
    # A saved row's number (its label E1, E2...), posted back so the save keeps it; blank on
    # a new row, which the save numbers.
    number = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=MAX_EXTRA_HEPATIC * 2
    )
    location = forms.CharField(label=_("Location"), max_length=100, required=False)
    suv_max = suv_field(_("SUVmax"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        check_suv(self, "suv_max")
        return data


class TimePointRow(SlotRow):
    needed = ("acquired_at",)
    acquired_at = forms.DateTimeField(
        label=_("Acquisition time"), required=False, widget=DateTimeInput()
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in m.VOLUMES:
            field = model_field(m.DosimetryPoint, name)
            self.fields[name] = forms.DecimalField(
                label=field.verbose_name, max_digits=8, decimal_places=2, required=False
            )
        _small(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in m.VOLUMES:
            value = data.get(name)
            if value is not None and not ACTIVITY_MBQ[0] <= value <= ACTIVITY_MBQ[1]:
                self.add_error(name, _("Enter an activity between 0 and 100000 MBq."))
        return data


class VoiVolumeRow(SlotRow):
    needed = ("volume_ml",)
    volume_ml = forms.DecimalField(
        label=_("VOI volume"), max_digits=7, decimal_places=1, required=False
    )
    density_g_ml = forms.DecimalField(
        label=_("Density"),
        max_digits=4,
        decimal_places=2,
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The default stands in the empty box, so a blank density reads as what is used.
        self.fields["density_g_ml"].widget.attrs["placeholder"] = formats.localize(
            Decimal(str(calc.DEFAULT_DENSITY_G_ML))
        )

    def clean_volume_ml(self) -> Decimal | None:
        value = self.cleaned_data.get("volume_ml")
        low, high = VOI_VOLUME_ML
        if value is not None and not low < value <= high:
            raise forms.ValidationError(
                _("Enter a volume above %(low)s and up to %(high)s mL.")
                % {"low": low, "high": high}
            )
        return value

    def clean_density_g_ml(self) -> Decimal | None:
        value = self.cleaned_data.get("density_g_ml")
        low, high = DENSITY_G_ML
        if value is not None and not low <= value <= high:
            raise forms.ValidationError(
                _("Enter a density between %(low)s and %(high)s g/mL.")
                % {"low": formats.localize(low), "high": formats.localize(high)}
            )
        return value


class SlotFormSet(forms.BaseFormSet):
    """Fixed slots: row i is key `keys[i]`; `labels` name the rows on the page (a form may
    name them for its participant: `name_rows`)."""

    key = "number"
    keys: tuple[int, ...] = ()
    labels: tuple[StrOrPromise, ...] = ()
    # The unit of each item that has one, shown in its column's header.
    units: dict[str, str] = {}

    def rows(self) -> list[dict[str, Any]]:
        rows = []
        for key, form in zip(self.keys, self.forms, strict=False):
            if form.is_blank():
                continue
            rows.append({self.key: key, **{n: form.cleaned_data.get(n) for n in form.fields}})
        return rows

    @property
    def row_labels(self) -> list[str]:
        return [str(label) for label in self.labels]

    def missing(self) -> list[str]:
        """The slots with no row: blank on the page, or not posted at all."""
        entered = {row[self.key] for row in self.rows()}
        labels = self.row_labels
        return [labels[i] for i, key in enumerate(self.keys) if key not in entered]

    @property
    def labelled(self) -> list[tuple[str, forms.Form]]:
        return list(zip(self.row_labels, self.forms, strict=False))

    def row_label(self, index: int) -> str:
        labels = self.row_labels
        return labels[index] if index < len(labels) else f"#{index + 1}"

    def name_rows(self, labels: list[str], items: dict[str, str] | None = None) -> None:
        """Name the rows (and relabel items) for the participant, and give every input the
        name a screen reader says: its row and its column ("L2 (segment IV) SUVmax")."""
        if labels:
            self.labels = tuple(labels)
        for label, form in self.labelled:
            for name, field in form.fields.items():
                if items and name in items:
                    field.label = items[name]
                if field.label is not None:  # not the row's hidden id
                    field.widget.attrs["aria-label"] = f"{label} · {field.label}"

    @property
    def columns(self) -> list[tuple[str, str]]:
        """(label, unit) of each visible column, for the table's header."""
        form = self.forms[0] if self.forms else self.empty_form
        return [(str(f.label), self.units.get(f.name, "")) for f in form.visible_fields()]

    def rows_html(self) -> str:
        """The table rows of imaging/_group.html, one per slot: the key's label, each visible
        field with its errors below it, then the row's own errors. Written here rather than
        in a template loop, which costs more than the rest of the page on the dosimetry grid
        (4 time points x 11 inputs); the markup is the loop's, whitespace included."""
        out = []
        for counter, (label, form) in enumerate(self.labelled, 1):
            hidden = "".join(str(field) for field in form.hidden_fields())
            out.append(
                f'\n      <tr data-row="{counter}" data-label="{conditional_escape(label)}">\n'
                f'        <th scope="row" class="small text-nowrap">{hidden}'
                f"{conditional_escape(label)}</th>\n        "
            )
            for field in form.visible_fields():
                if field.errors:
                    css = field.field.widget.attrs.get("class", "")
                    if "is-invalid" not in css:
                        field.field.widget.attrs["class"] = f"{css} is-invalid".strip()
                    field.field.widget.attrs["aria-describedby"] = f"{field.auto_id}_errors"
                    field.field.widget.attrs["aria-invalid"] = "true"
                errors = "".join(_error_html(e) for e in field.errors)
                if errors:
                    errors = f'<div id="{field.auto_id}_errors">{errors}</div>'
                out.append(f"\n        <td>{field}{errors}</td>\n        ")
            out.append("\n      </tr>\n      ")
            if form.non_field_errors():
                errors = "".join(_error_html(e) for e in form.non_field_errors())
                out.append(f'<tr data-row-errors="{counter}"><td colspan="20">{errors}</td></tr>')
            out.append("\n    ")
        return mark_safe("".join(out))  # noqa: S308 - labels and errors escaped, inputs rendered


def _error_html(error: Any) -> str:
    return f'<div class="invalid-feedback d-block">{conditional_escape(error)}</div>'


class FreeFormSet(SlotFormSet):
    """A free list whose rows keep their number for good (E1, E2...): a saved row posts its
    number back, a new row has none and the save gives it the lowest free one; a saved row
    emptied is removed and the others keep their labels."""

    letter = "E"

    def rows(self) -> list[dict[str, Any]]:
        return [
            {k: f.cleaned_data.get(k) for k in f.fields} for f in self.forms if not f.is_blank()
        ]

    @property
    def row_labels(self) -> list[str]:
        numbers = [self._number(f) for f in self.forms]
        taken = {n for n in numbers if n is not None}
        free = (n for n in range(1, len(numbers) + len(taken) + 1) if n not in taken)
        return [f"{self.letter}{n if n is not None else next(free)}" for n in numbers]

    def _number(self, form: forms.Form) -> int | None:
        value = form["number"].value()
        try:
            return int(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            return None


def slot_formset(
    row: type[forms.Form],
    keys: tuple[int, ...],
    labels: tuple[StrOrPromise, ...],
    key: str = "number",
    units: dict[str, str] | None = None,
) -> type[SlotFormSet]:
    base = formset_factory(
        row, formset=SlotFormSet, extra=0, max_num=len(keys), absolute_max=len(keys)
    )
    attributes = {"keys": keys, "labels": labels, "key": key, "units": units or {}}
    return type(f"{row.__name__}Set", (base,), attributes)


LESION_KEYS = naming.LESION_KEYS
LESION_LABELS = tuple(f"L{n}" for n in LESION_KEYS)
IndexLesionSet = slot_formset(
    IndexLesionRow, LESION_KEYS, LESION_LABELS, units={"diameter_mm": "mm"}
)
LesionSuvSet = slot_formset(LesionSuvRow, LESION_KEYS, LESION_LABELS)
# The organ names stay lazy: each page shows them in its reader's language.
OrganSuvSet = slot_formset(OrganSuvRow, tuple(m.Organ.values), tuple(m.Organ.labels), "organ")
TimePointSet = slot_formset(
    TimePointRow,
    tuple(m.TIME_POINTS),
    tuple(f"{hours} h (±{window} h)" for hours, window in m.TIME_POINTS.values()),
    units=dict.fromkeys(m.VOLUMES, "MBq"),
)
VoiVolumeSet = slot_formset(
    VoiVolumeRow,
    tuple(m.REGION_KEYS.values()),
    tuple(f"#{n}" for n in m.REGION_KEYS.values()),
    key="region",
    units={"volume_ml": "mL", "density_g_ml": "g/mL"},
)
ExtraHepaticSet = type(
    "ExtraHepaticSet",
    (formset_factory(ExtraHepaticRow, formset=FreeFormSet, extra=0, max_num=MAX_EXTRA_HEPATIC),),
    {},
)


def _initial(rows: list[Any], key: str, keys: tuple[int, ...], names: list[str]) -> list[dict]:
    stored = {getattr(r, key): r for r in rows}
    return [{n: getattr(stored[k], n) for n in names} if k in stored else {} for k in keys]


class GroupedForm(CrfForm):
    """A CRF with fixed-slot formsets, built from the saved rows when unbound."""

    # (group name, formset class, related name, key field)
    group_specs: tuple[tuple[str, type[SlotFormSet], str, str], ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        data = self.data if self.is_bound else None
        prefix = self.prefix or "crf"
        self._formsets: dict[str, SlotFormSet] = {}
        # The rows as stored, for the page's own use (the dosimetry results read them too).
        self.stored_rows: dict[str, list[Any]] = {}
        for name, formset_class, related, key in self.group_specs:
            stored = list(getattr(self.instance, related).all()) if self.instance.pk else []
            self.stored_rows[name] = stored
            names = list(formset_class.form.base_fields)
            if name == "time_points":
                names += list(m.VOLUMES)
            if issubclass(formset_class, FreeFormSet):
                initial = [{n: getattr(r, n) for n in names} for r in stored]
                initial += [{}] * EXTRA_HEPATIC_ROWS
            else:
                initial = _initial(stored, key, formset_class.keys, names)
            self._formsets[name] = formset_class(
                data, initial=None if data is not None else initial, prefix=f"{prefix}-{name}"
            )
            if data is None and issubclass(formset_class, FreeFormSet):
                # Unbound free list: the stored rows plus a few blank ones.
                self._formsets[name].extra = 0
            setattr(self, name, self._formsets[name])
        self.name_rows()

    def name_rows(self) -> None:
        """Name each group's rows and items for the participant (imaging.naming)."""
        for formset in self._formsets.values():
            formset.name_rows([])

    def group_formsets(self) -> dict[str, SlotFormSet]:
        return self._formsets


class PetIndexLesionsForm(GroupedForm):
    index_lesions: SlotFormSet  # set by GroupedForm.__init__
    group_specs = (("index_lesions", IndexLesionSet, "index_lesions", "number"),)

    class Meta:
        model = m.PetIndexLesions
        fields = ["mri_date"]

    def clean_mri_date(self):
        return self.not_in_future(self.cleaned_data.get("mri_date"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.complete and self.index_lesions.is_valid():
            missing = self.index_lesions.missing()
            if missing:
                self.add_error(
                    None,
                    _(
                        "The 5 index lesions are needed to mark the form complete; missing: "
                        "%(missing)s."
                    )
                    % {"missing": ", ".join(missing)},
                )
        return data


IAH_ONLY = ("catheter_position", "angiography_complications", "complications_detail")


class PetScanForm(GroupedForm):
    lesion_suvs: SlotFormSet  # set by GroupedForm.__init__
    complete_required = (
        "radiopharmaceutical",
        "measured_activity_mbq",
        "measured_at",
        "residual_activity_mbq",
        "residual_at",
        "injection_at",
        "scan_start_at",
        "weight_kg",
    )
    units = {
        "measured_activity_mbq": "MBq",
        "residual_activity_mbq": "MBq",
        "weight_kg": "kg",
    }
    group_specs = (
        ("lesion_suvs", LesionSuvSet, "lesion_suvs", "number"),
        ("organ_suvs", OrganSuvSet, "organ_suvs", "organ"),
        ("extrahepatic", ExtraHepaticSet, "extrahepatic", "number"),
    )

    class Meta:
        model = m.PetScan
        fields = [
            "radiopharmaceutical",
            "measured_activity_mbq",
            "measured_at",
            "residual_activity_mbq",
            "residual_at",
            "injection_at",
            "scan_start_at",
            "weight_kg",
            *IAH_ONLY,
        ]
        widgets = {
            name: DateTimeInput()
            for name in ("measured_at", "residual_at", "injection_at", "scan_start_at")
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_iah = self.row is None or self.row.form == "PET_IAH"
        if not self.is_iah:
            for name in IAH_ONLY:
                self.fields.pop(name, None)

    def name_rows(self) -> None:
        super().name_rows()
        # The lesions carry the segment chosen on MRI (PET index lesions form).
        self.lesion_suvs.name_rows(list(naming.lesion_names(self.participant).values()))

    def clean_measured_activity_mbq(self):
        return self.ranged("measured_activity_mbq", GA68_ACTIVITY_MBQ, None, "MBq")

    def clean_residual_activity_mbq(self):
        return self.ranged("residual_activity_mbq", (0, GA68_ACTIVITY_MBQ[1]), None, "MBq")

    def clean_weight_kg(self):
        return self.ranged("weight_kg", limits.WEIGHT_KG, limits.WEIGHT_USUAL_KG, "kg")

    def crf_data(self) -> dict[str, Any]:
        data = super().crf_data()
        if not self.is_iah:
            data.update(catheter_position="", angiography_complications=None)
            data["complications_detail"] = ""
        return data

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        injection, scan = data.get("injection_at"), data.get("scan_start_at")
        measured_at, residual_at = data.get("measured_at"), data.get("residual_at")
        if injection and scan and scan < injection:
            self.add_error(
                "scan_start_at",
                _("The scan cannot start before the injection (%(when)s).")
                % {"when": _when(injection)},
            )
        if injection and measured_at and measured_at > injection:
            self.add_error(
                "measured_at", _("The activity is measured before the injection; check the time.")
            )
        if injection and residual_at and residual_at < injection:
            self.add_error(
                "residual_at", _("The residual is measured after the injection; check the time.")
            )
        if not self.errors:
            net = net_injected(data)
            if net is not None and net <= 0:
                self.add_error(
                    "residual_activity_mbq",
                    _(
                        "The residual, decayed to the injection time, is not below the measured "
                        "activity: nothing was injected. Check both activities and times."
                    ),
                )
        if self.is_iah and self.complete:
            self.require("catheter_position")
            self.require("angiography_complications")
        if data.get("angiography_complications"):
            self.require("complications_detail")
        if injection:
            self._check_interval(injection)
        if self.complete and self.lesion_suvs.is_valid():
            missing = self.lesion_suvs.missing()
            if missing:
                self.add_error(
                    None,
                    _(
                        "SUVs of every index lesion are needed to mark the form complete; "
                        "missing: %(missing)s."
                    )
                    % {"missing": ", ".join(missing)},
                )
        return data

    def _check_interval(self, injection: datetime) -> None:
        """PET-IV against PET-IAH: refused under 10 h, a warning until the 68Ga residue is
        below 0.2 %, a warning after 28 days."""
        if self.participant is None or self.row is None:
            return
        other = "PET_IAH" if not self.is_iah else "PET_IV"
        found = (
            m.PetScan.objects.filter(
                form_status__participant=self.participant, form_status__form=other
            )
            .values_list("injection_at", flat=True)
            .first()
        )
        if found is None:
            return
        iah, iv = (injection, found) if self.is_iah else (found, injection)
        hours = (iv - iah).total_seconds() / 3600
        field = "injection_at"
        if hours < PET_IV_MIN_HOURS:
            self.add_error(
                field,
                _(
                    "The PET-IV injection must be at least %(min)s h after the PET-IAH injection "
                    "(%(when)s); here %(hours).1f h."
                )
                % {"min": PET_IV_MIN_HOURS, "when": _when(iah), "hours": hours},
            )
            return
        safe = calc.hours_until_residue_below(RESIDUE_FRACTION, decay.GA68_HALF_LIFE_H)
        if hours < safe:
            residue = calc.ga68_residue_fraction(hours) * 100
            self.warn(
                field,
                _(
                    "%(hours).2f h after the PET-IAH injection, %(residue).3f %% of its 68Ga is "
                    "still present (below 0.2 %% from %(safe).2f h)."
                )
                % {"hours": hours, "residue": residue, "safe": safe},
            )
        elif iv - iah > timedelta(days=PET_IV_MAX_DAYS):
            self.warn(
                field,
                _("The PET-IV is more than %(days)s days after the PET-IAH.")
                % {"days": PET_IV_MAX_DAYS},
            )


def hours_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds() / 3600


def net_injected(values: dict[str, Any]) -> float | None:
    """Net injected 68Ga activity (MBq) at injection time, or None when an input is missing
    or the inputs are impossible."""
    measured, residual = values.get("measured_activity_mbq"), values.get("residual_activity_mbq")
    before = hours_between(values.get("measured_at"), values.get("injection_at"))
    after = hours_between(values.get("injection_at"), values.get("residual_at"))
    if measured is None or residual is None or before is None or after is None:
        return None
    try:
        return decay.net_activity(
            float(measured), before, float(residual), after, decay.GA68_HALF_LIFE_H
        )
    except ValueError:
        return -1.0


class GateForm(CrfForm):
    """The GATE slot's form: the decision is made by a signature on the gate page, never by
    saving this form, so a submission here is always refused."""

    class Meta:
        model = m.Gate
        fields: list[str] = []

    def clean(self) -> dict[str, Any]:
        raise forms.ValidationError(_("The gate is decided by the investigator's signature."))


class DosimetryForm(GroupedForm):
    time_points: SlotFormSet  # set by GroupedForm.__init__
    volumes: SlotFormSet
    group_specs = (
        ("time_points", TimePointSet, "points", "number"),
        ("volumes", VoiVolumeSet, "volumes", "region"),
    )

    def name_rows(self) -> None:
        # The lesion volumes carry the segment chosen on MRI (PET index lesions form); the
        # page's results name them alike (imaging.pages.dosimetry_context).
        self.volume_names = naming.volume_labels(self.participant)
        self.time_points.name_rows([], self.volume_names)
        regions = naming.regions_named(self.volume_names)
        self.volumes.name_rows([regions[key] for key in self.volumes.keys])

    class Meta:
        model = m.Dosimetry
        fields = ["comments"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.time_points.is_valid():
            return data
        infusion = self._infusion_start()
        if infusion is None and self.complete and self.time_points.rows():
            self.add_error(
                None,
                _(
                    "The IAH dose's infusion start is not entered yet: enter the IAH dose "
                    "first, so that each acquisition is checked against it (or save a draft)."
                ),
            )
        previous = None
        for (number, (hours, window)), form in zip(
            m.TIME_POINTS.items(), self.time_points.forms, strict=False
        ):
            acquired = form.cleaned_data.get("acquired_at")
            if acquired is None:
                continue
            if previous and acquired <= previous:
                form.add_error("acquired_at", _("Each time point comes after the one before."))
            previous = acquired
            if infusion is None:
                continue
            elapsed = hours_between(infusion, acquired)
            if elapsed is not None and elapsed <= 0:
                form.add_error("acquired_at", _("This is before the IAH infusion."))
            elif elapsed is not None and abs(elapsed - hours) > window:
                self.warn(
                    None,
                    _(
                        "Time point %(n)s is %(elapsed).1f h after the infusion (planned "
                        "%(hours)s ± %(window)s h)."
                    )
                    % {"n": number, "elapsed": elapsed, "hours": hours, "window": window},
                )
        return data

    def _infusion_start(self) -> datetime | None:
        provider = registry.IAH_INFUSION.provider
        return provider(self.participant) if provider and self.participant else None
