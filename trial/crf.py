"""The registry of case report forms: what each form code stores, and how.

The schedule names form codes; each app registers its forms here from its AppConfig.ready(),
so the generic view, the one write path (trial.actions.save_crf), the participant page, the
History page, the signatures and the exports find every form the same way.

A form is a spec (`Crf`):
- `model`: the typed data model, one row per form-status row;
- `groups`: repeating item groups (lesions, organs, time points), each a child model whose rows
  are keyed by a repeat key and saved, audited, signed and shown with the form;
- `derivations`: values the action computes from the values as they will be stored (canonical
  units, scores, counts) with the pure functions of an app's calculations module;
- `lookups`: values a derivation reads besides the form's items (the RECIST baseline and the
  other assessments), read inside the write session's locks;
- `on_save`: a domain hook run after the data is written, which returns what else changed
  (trial.changes.Effects) for the write session to apply.

Every item is addressed as event / form[repeat] / group[key] / item, the path of an ODM
ItemData (`item_path`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, cast

from django.db.models import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    FloatField,
    IntegerField,
    TextField,
)
from django.utils.translation import gettext

from trial import registry

if TYPE_CHECKING:
    from django.db import models

    from trial.changes import Effects
    from trial.forms import CrfForm
    from trial.models import CrfModel, FormStatus, Participant

# Fields of a data model that are plumbing, not items.
NOT_ITEMS = frozenset({"id", "form_status"})
# A derivation input: whether the form is being marked complete (a draft may leave a count
# unknown where a complete form means zero).
COMPLETE = "__complete__"


@dataclass(frozen=True)
class ItemGroup:
    """A repeating group of items stored as child rows of the form's data row."""

    name: str
    model: type[models.Model]
    # The foreign key from the child row to the form's data row.
    parent_field: str
    # The field numbering the repeats (1, 2, ...): the ODM ItemGroupRepeatKey.
    repeat_key: str
    min_rows: int = 0
    max_rows: int | None = None
    label: Any = ""
    # How a row is named wherever it shows (the form, PDFs, query and SDV lists, History, the
    # exports): names(participant) -> {repeat key: name}, participant None where there is
    # none (a blank form). "L1 (segment II)", "Left kidney", "4 h"; without it "#<key>".
    names: Callable[[Any], dict[Any, str]] | None = None
    # Item labels that depend on the participant (the dosimetry's L1-L5 carry their
    # segment): item_labels(participant) -> {item: label}; the others are the field's own.
    item_labels: Callable[[Any], dict[str, str]] | None = None
    # The unit of each item that has one.
    units: dict[str, Any] = field(default_factory=dict)
    # The letter of the rows' permanent labels (T -> T1, T2...): a row's label is the letter
    # and its repeat key, given when the row is added and never renumbered (a new row takes
    # the lowest number no row holds; removing a row leaves the others' labels as they are).
    prefix: str = ""

    def label_of(self, key: Any) -> str:
        """A row's permanent label: "T2", "E3"; the key itself when the group has no letter
        (organs, time points are named by their key)."""
        return f"{self.prefix}{key}"

    def label_sql(self, key_sql: str) -> str:
        """label_of in SQL, for the exports that read the keys in the database (the audit
        CSV, the ODM): the letter before the key expression `key_sql`."""
        if not self.prefix:
            return key_sql
        letter = self.prefix.replace("'", "''")
        return f"('{letter}' || {key_sql})"

    @property
    def item_names(self) -> list[str]:
        return [f.name for f in self.item_fields]

    @property
    def item_fields(self) -> list[models.Field]:
        skip = {"id", self.parent_field, self.repeat_key}
        return [f for f in self.model._meta.concrete_fields if f.name not in skip]

    def naming(self, participant: Any) -> GroupNaming:
        """The group's row names and item labels for one participant (a query at most per
        hook): what every page, PDF and list that shows the group's items reads."""
        rows = self.names(participant) if self.names else {}
        items = self.item_labels(participant) if self.item_labels else {}
        return GroupNaming(
            self,
            {str(key): str(name) for key, name in rows.items()},
            {name: str(label) for name, label in items.items()},
        )


def numbered(letter: str, count: int) -> Callable[[Any], dict[int, str]]:
    """Row names of a numbered group: T1-T5, N1-N10..."""

    def names(participant: Any = None) -> dict[int, str]:
        return {n: f"{letter}{n}" for n in range(1, count + 1)}

    return names


@dataclass(frozen=True)
class GroupNaming:
    """A group's names for one participant (ItemGroup.naming)."""

    group: ItemGroup
    rows: dict[str, str]
    items: dict[str, str]

    def row(self, key: Any) -> str:
        if self.rows.get(str(key)):
            return self.rows[str(key)]
        return self.group.label_of(key) if self.group.prefix else f"#{key}"

    def item(self, name: str) -> str:
        """An item's label, capitalised, with its unit in brackets when it has one."""
        unit = self.group.units.get(name)
        return f"{self.bare_item(name)} ({unit})" if unit else self.bare_item(name)

    def bare_item(self, name: str) -> str:
        """An item's label without its unit (a table header with the unit beside it)."""
        label = self.items.get(name)
        if label is None:
            label = str(cast(Any, self.group.model._meta.get_field(name)).verbose_name)
        return label[:1].upper() + label[1:]


@dataclass(frozen=True)
class Derivation:
    """Stored values computed from other values: `outputs` = function(*inputs).

    The inputs are the values as stored (decimals rounded to their column), an item group's
    name giving its list of rows; the function returns one value per output (a tuple when
    there are several), or None to leave every output empty.
    """

    outputs: tuple[str, ...]
    function: Callable[..., Any]
    inputs: tuple[str, ...]


@dataclass(frozen=True)
class Lookup:
    """What a lookup reads: the participant and the row being saved (both locked), and
    `memo(key, compute)`: a value read once per write session."""

    participant: Participant
    row: FormStatus
    memo: Callable[[str, Callable[[], Any]], Any]


@dataclass(frozen=True)
class Saved:
    """What a form's `on_save` hook reads: who saved, the participant and row (locked), the
    data row as now stored."""

    user: Any
    participant: Participant
    row: FormStatus
    instance: Any


@dataclass(frozen=True)
class Crf:
    code: str
    model: type[CrfModel]
    form_class: type[CrfForm]
    # The field whose value is the event's actual date (e.g. a cycle's administration date).
    event_date_field: str | None = None
    template: str = "trial/crf_form.html"
    groups: tuple[ItemGroup, ...] = ()
    derivations: tuple[Derivation, ...] = ()
    # Values the derivations read besides the items: name -> read(Lookup), inside the locks.
    lookups: tuple[tuple[str, Callable[[Lookup], Any]], ...] = ()
    # After the data is written: on_save(Saved) -> Effects (rows changed, slots missed, the
    # journey), which the write session applies. The hook itself writes only its app's rows.
    on_save: Callable[[Saved], Effects] | None = None
    # Extra template context for the edit page: context(participant, row, form) -> dict.
    context: Callable[[Any, Any, Any], dict] | None = None
    # Units of the items the form does not show as inputs (derived values): {item: unit}.
    # The entered items' units are the form class's `units`.
    units: dict[str, Any] = field(default_factory=dict)

    @property
    def item_fields(self) -> list[models.Field]:
        return [f for f in self.model._meta.concrete_fields if f.name not in NOT_ITEMS]

    @property
    def derived_items(self) -> frozenset[str]:
        """The items computed by the derivations: stored, shown, never typed, so never
        verifiable against a source document."""
        return frozenset(name for d in self.derivations for name in d.outputs)

    def unit(self, name: str) -> str:
        """The unit of one of the form's own items, "" when it has none."""
        unit = self.units.get(name) or getattr(self.form_class, "units", {}).get(name, "")
        return str(unit)

    def item_order(self) -> list[str]:
        """The form's items in the order the form shows them, then those it does not show
        (derived values, in their model's order)."""
        shown = list(getattr(getattr(self.form_class, "_meta", None), "fields", None) or [])
        names = [f.name for f in self.item_fields]
        return [n for n in shown if n in names] + [n for n in names if n not in shown]

    def group(self, name: str) -> ItemGroup:
        for group in self.groups:
            if group.name == name:
                return group
        raise KeyError(name)


REGISTRY: dict[str, Crf] = {}


def register(crf: Crf) -> None:
    REGISTRY[crf.code] = crf


def get(code: str) -> Crf | None:
    return REGISTRY.get(code)


# --- Binding a form to its row: the one way pages, htmx endpoints, demo and tests do it ------


def bind(
    row: FormStatus,
    participant: Participant | None = None,
    data: Any = None,
    *,
    complete: bool = True,
    initial: dict[str, Any] | None = None,
    spec: Crf | None = None,
) -> CrfForm:
    """The registered form class of the row, bound to `data` (a POST) or unbound, on the
    row's saved data. Field names carry the "crf" prefix, as on the page."""
    spec = spec or REGISTRY[row.form]
    instance = data_row_of(spec, row)
    return spec.form_class(
        data,
        initial=initial or {},
        instance=instance,
        complete=complete,
        prefix="crf",
        participant=participant if participant is not None else row.participant,
        row=row,
    )


def data_accessor(form: str) -> str | None:
    """The name of the form-status row's relation to the form's data row (for select_related),
    None for a form not registered."""
    spec = REGISTRY.get(form)
    if spec is None:
        return None
    return spec.model._meta.get_field("form_status").remote_field.get_accessor_name()


def data_row_of(spec: Crf, row: FormStatus) -> Any:
    """The row's data row, None before the first save: as read with the row when it was
    (select_related of `data_accessor`), else read now."""
    if row.pk is None or row.version == 0:
        # Never saved: no data row yet (trial/actions/crf.py writes it at the first save).
        return None
    accessor = data_accessor(spec.code)
    descriptor = getattr(type(row), accessor or "", None)
    if descriptor is not None and descriptor.related.is_cached(row):
        return descriptor.related.get_cached_value(row)
    return spec.model._default_manager.filter(form_status=row).first()


def post_data(values: dict[str, Any], groups: dict[str, list[dict]] | None = None) -> dict:
    """A POST as the page sends it, from plain item values and group rows (a formset per
    group, prefixed "crf-<group name>"): for the demo data and tests, which enter data
    through the real forms."""
    posted = {f"crf-{k}": "" if v is None else str(v) for k, v in values.items()}
    for name, rows in (groups or {}).items():
        prefix = f"crf-{name}"
        posted[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        posted[f"{prefix}-INITIAL_FORMS"] = "0"
        for index, row in enumerate(rows):
            for key, value in row.items():
                posted[f"{prefix}-{index}-{key}"] = "" if value is None else str(value)
    return posted


# --- Rows other data depend on ----------------------------------------------------------------


def removal_refusals(
    participant: Participant, form: str, group: ItemGroup, keys: Iterable[Any]
) -> dict[Any, str]:
    """Why each of these rows of the group cannot be removed (other data depend on it: the
    follow-up assessments measuring a baseline lesion), by repeat key; the rows not listed
    can go. Read by the form (the error beside the row) and by the save (the refusal)."""
    keys = list(keys)
    if not keys:
        return {}
    refusals: dict[Any, str] = {}
    for dependants in registry.row_dependants(form, group.name):
        for key, names in dependants.find(participant, keys).items():
            if not names or key in refusals:
                continue
            message = gettext(
                "%(row)s cannot be removed; data that depend on it: %(dependants)s."
            ) % {
                "row": group.label_of(key) if group.prefix else key,
                "dependants": ", ".join(names),
            }
            refusals[key] = f"{message} {dependants.instead}".strip()
    return refusals


# --- Values as stored, and the values derived from them -------------------------------------


def as_stored(model_field: models.Field, value: Any) -> Any:
    """The value the column will hold: a decimal rounded to the column's places (half up)."""
    places = getattr(model_field, "decimal_places", None)
    if isinstance(value, float):
        value = Decimal(repr(value))
    if places is not None and isinstance(value, Decimal) and value.is_finite():
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        # An exact column (trial.models.ExactDecimalField) reads back trimmed: hold the value
        # as a read will give it.
        kept = getattr(model_field, "kept", None)
        return kept(value) if kept is not None else value
    return value


def derive(spec: Crf, values: dict[str, Any]) -> dict[str, Any]:
    """Run the spec's derivations, in order, on the values as stored; returns every value
    (typed and derived) as the database will hold it."""
    fields = {f.name: f for f in spec.item_fields}
    stored = {
        name: as_stored(fields[name], value) if name in fields else value
        for name, value in values.items()
    }
    for derivation in spec.derivations:
        result = derivation.function(*(stored.get(name) for name in derivation.inputs))
        if len(derivation.outputs) == 1:
            result = (result,)
        elif result is None:
            result = (None,) * len(derivation.outputs)
        for name, value in zip(derivation.outputs, result, strict=True):
            stored[name] = as_stored(fields[name], value) if name in fields else value
    return stored


# --- Reading a form's data: items and group rows, for signatures, history and exports --------


def group_rows(group: ItemGroup, parent_ids: Iterable[int]) -> dict[int, list[models.Model]]:
    """The group's rows of each parent, in repeat-key order (one query)."""
    by_parent: dict[int, list] = {}
    rows = group.model._default_manager.filter(**{f"{group.parent_field}_id__in": list(parent_ids)})
    for child in rows.order_by(group.repeat_key, "pk"):
        by_parent.setdefault(getattr(child, f"{group.parent_field}_id"), []).append(child)
    return by_parent


def values_of(spec: Crf, instance: Any, children: dict[str, list[Any]]) -> dict[str, Any]:
    """One form's stored values: items by name, and each group as {repeat key: {item: value}}."""
    values: dict[str, Any] = {f.name: f.value_from_object(instance) for f in spec.item_fields}
    for group in spec.groups:
        values[group.name] = {
            str(getattr(child, group.repeat_key)): {
                f.name: f.value_from_object(child) for f in group.item_fields
            }
            for child in children.get(group.name, [])
        }
    return values


def snapshot(rows: Sequence[FormStatus]) -> dict[int, dict[str, Any]]:
    """The stored values of each row's form (row pk -> values_of), for rows with data.

    One query per form model and per item group involved, however many rows; none for a row
    whose data row the write session running this holds as stored (`stored_rows`).
    """
    by_spec: dict[str, list[FormStatus]] = {}
    result: dict[int, dict[str, Any]] = {}
    for row in rows:
        known = stored_instance(row.pk)
        if known is not None:
            result[row.pk] = values_of(REGISTRY[row.form], known, {})
        elif row.form in REGISTRY:
            by_spec.setdefault(row.form, []).append(row)
    done_models: set[type] = set()
    for code in by_spec:
        spec = REGISTRY[code]
        if spec.model in done_models:
            continue
        done_models.add(spec.model)
        # Every row of any form sharing this model (LAB serves several events).
        row_ids = [r.pk for c, rs in by_spec.items() if REGISTRY[c].model is spec.model for r in rs]
        instances = list(spec.model._default_manager.filter(form_status_id__in=row_ids))
        children = {
            group.name: group_rows(group, [i.pk for i in instances]) for group in spec.groups
        }
        for instance in instances:
            result[instance.form_status_id] = values_of(
                spec,
                instance,
                {name: by_parent.get(instance.pk, []) for name, by_parent in children.items()},
            )
    return result


@dataclass(frozen=True)
class ItemRef:
    """An item's address, as an ODM ItemData path: event / form[repeat] / group[key] / item."""

    event: str
    form: str
    repeat: int
    item: str
    group: str = ""
    key: str = ""

    def __str__(self) -> str:
        path = f"{self.event}/{self.form}[{self.repeat}]"
        if self.group:
            path += f"/{self.group}[{self.key}]"
        return f"{path}/{self.item}"


def item_refs(row: FormStatus, values: dict[str, Any]) -> list[tuple[ItemRef, Any]]:
    """Every item of one form's values (values_of), with its address."""
    spec = REGISTRY[row.form]
    group_names = {g.name for g in spec.groups}
    refs = []
    for name, value in values.items():
        if name in group_names:
            for key, items in value.items():
                for item, item_value in items.items():
                    ref = ItemRef(row.event, row.form, row.repeat, item, name, key)
                    refs.append((ref, item_value))
        else:
            refs.append((ItemRef(row.event, row.form, row.repeat, name), value))
    return refs


def model_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """A concrete field of a model by name (Django's lookup may also answer a relation's
    reverse side, which no form item is)."""
    return cast("models.Field[Any, Any]", model._meta.get_field(name))


def db_column(model: type[models.Model], name: str) -> str:
    """The database column of a model's field, for the SQL the exports write."""
    column = model_field(model, name).column
    assert column is not None  # a concrete field always has its column
    return column


# --- Data rows known as stored: the write session's own, read again by nobody ----------------
#
# A save reads its data row under the session's locks, changes it, and at the end of the
# session the signatures recompute what they cover from the stored values. The session hands
# the data rows it holds, whose every item is exactly what the database now holds, to those
# reads (`stored_rows`), so that the row is not read a second time. A value of a type that
# the database could give back differently (a date-time in another zone, a decimal not yet
# rounded to its column, a choice's enum member, any other field type) makes the row unknown,
# and it is read again as before.

_STORED: ContextVar[dict[int, tuple[FormStatus, Any]] | None] = ContextVar(
    "edc_crf_stored", default=None
)


def _read_back_equal(model_field: models.Field, value: Any) -> bool:
    """Whether `value` is exactly what the database gives back for it in this column."""
    if value is None:
        return True
    if isinstance(model_field, DecimalField):
        if not isinstance(value, Decimal) or not value.is_finite():
            return False
        if value.is_signed() and value.is_zero():
            return False  # the column has no negative zero
        stored = value.quantize(Decimal(1).scaleb(-model_field.decimal_places))
        if stored != value:
            return False  # the column would round it
        # A read gives the column's places, or an exact column's trimmed value (kept).
        kept = getattr(model_field, "kept", None)
        read = kept(stored) if kept is not None else stored
        return str(read) == str(value)
    if isinstance(model_field, BooleanField):
        return type(value) is bool
    if isinstance(model_field, IntegerField):
        return type(value) is int
    if isinstance(model_field, FloatField):
        return type(value) is float
    if isinstance(model_field, DateTimeField):
        return type(value) is datetime and value.utcoffset() == timedelta(0)
    if isinstance(model_field, DateField):
        return type(value) is date
    if isinstance(model_field, CharField | TextField):
        return type(value) is str
    return False


def holds_stored_values(form: str, instance: Any) -> bool:
    """Whether this data row of `form`, as saved, holds exactly the stored value of every
    item (a form with item groups never does here: its rows live in other tables)."""
    spec = REGISTRY.get(form)
    if spec is None or spec.groups or instance is None or instance.pk is None:
        return False
    return all(_read_back_equal(f, f.value_from_object(instance)) for f in spec.item_fields)


@contextmanager
def stored_rows(known: dict[int, tuple[FormStatus, Any]]) -> Iterator[None]:
    """In the block, the reads of `snapshot` and `stored_slot` take these data rows (form-status
    row pk -> (row, data row)) as stored instead of reading them again."""
    token = _STORED.set(known)
    try:
        yield
    finally:
        _STORED.reset(token)


def stored_instance(row_pk: int | None) -> Any:
    """The data row of this form-status row as the running write session stored it, or None."""
    known = _STORED.get()
    if not known or row_pk is None:
        return None
    found = known.get(row_pk)
    return None if found is None else found[1]


def stored_slot(participant_id: int, event: str, form: str, repeat: int = 1) -> Any:
    """The data row of the participant's slot as the running write session stored it, or None
    (unknown: read it)."""
    for row, instance in (_STORED.get() or {}).values():
        if (row.participant_id, row.event, row.form, row.repeat) == (
            participant_id,
            event,
            form,
            repeat,
        ):
            return instance
    return None
