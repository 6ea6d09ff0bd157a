"""CDISC ODM 1.3.2: the audit trail as a Transactional file, the current data as a Snapshot.

Both are written as a stream of strings (Writer), never built as a tree:

- Study / MetaDataVersion from the registry and the schedule, so every OID resolves;
- AdminData: a User per account of the exported sites (and one for the system), typed by
  their role, with a LocationRef per site of theirs; a Location per exported site; a
  SignatureDef per meaning signed;
- ClinicalData: in the Transactional file, every changed item as an ItemData with
  TransactionType Insert, Update or Remove (a deleted item-group row) and its AuditRecord
  (UserRef, LocationRef, DateTimeStamp in UTC, ReasonForChange, SourceID = the event table
  and pgh_id); signatures as Signature elements where they were signed (the form's FormData,
  or the SubjectData for a casebook); queries, their messages, SDV marks, form statuses and
  signature breaks as `edc:` elements in the ODM extension slots of FormData / SubjectData
  (namespace EDC_NS, schema edc-odm-extension.xsd beside this module).

Values are as PostgreSQL writes them in JSON (see common.py), in both files, so replaying the
Transactional file gives the Snapshot item by item (tests/exports prove it).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.db import connection, models
from django.utils import translation

from trial import crf as crf_registry
from trial import roles, schedule
from trial.exports.common import SYSTEM, Scope, people, sources, stream_changes
from trial.history import event_model_of
from trial.models import Participant, Signature, Site

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
EDC_NS = "https://example.org/edc/ns/1"
EXTENSION_XSD = Path(__file__).with_name("edc-odm-extension.xsd")
# A schema that validates our ODM files: the ODM's own extension mechanism, the foundation's
# empty extension groups redefined to allow the edc: elements where the writer puts them.
# Formatted with edc=EDC_NS, odm=the ODM 1.3.2 schema folder, ext=EXTENSION_XSD; the tests and
# the archive's verification use this one text.
EXTENDED_SCHEMA = """<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:xs="http://www.w3.org/2001/XMLSchema"
  xmlns:edc="{edc}" targetNamespace="http://www.cdisc.org/ns/odm/v1.3"
  elementFormDefault="qualified" attributeFormDefault="unqualified">
  <xs:import namespace="http://www.w3.org/XML/1998/namespace" schemaLocation="{odm}/xml.xsd"/>
  <xs:import namespace="http://www.w3.org/2000/09/xmldsig#"
    schemaLocation="{odm}/xmldsig-core-schema.xsd"/>
  <xs:import namespace="{edc}" schemaLocation="{ext}"/>
  <xs:redefine schemaLocation="{odm}/ODM1-3-2-foundation.xsd">
    <xs:group name="FormDataElementExtension">
      <xs:sequence><xs:group ref="FormDataElementExtension"/><xs:group ref="edc:Records"/>
      </xs:sequence>
    </xs:group>
    <xs:group name="SubjectDataElementExtension">
      <xs:sequence><xs:group ref="SubjectDataElementExtension"/><xs:group ref="edc:Records"/>
      </xs:sequence>
    </xs:group>
    <xs:group name="ClinicalDataElementExtension">
      <xs:sequence><xs:group ref="ClinicalDataElementExtension"/><xs:group ref="edc:Records"/>
      </xs:sequence>
    </xs:group>
    <xs:group name="SignatureElementExtension">
      <xs:sequence><xs:group ref="SignatureElementExtension"/><xs:element ref="edc:SourceID"/>
      </xs:sequence>
    </xs:group>
    <xs:group name="AuditRecordElementExtension">
      <xs:sequence><xs:group ref="AuditRecordElementExtension"/>
        <xs:element ref="edc:ClientAddress"/>
      </xs:sequence>
    </xs:group>
  </xs:redefine>
</xs:schema>
"""
STUDY_OID = "ST.NCT04837885"
MDV_OID = "MDV.1"
SYSTEM_USER = "USR.system"


def event_oid(event: str) -> str:
    return f"SE.{event}"


def form_oid(form: str) -> str:
    return f"F.{form}"


def group_oid(form: str, group: str = "") -> str:
    return f"IG.{form}.{group}" if group else f"IG.{form}"


def item_oid(form: str, item: str, group: str = "") -> str:
    return f"IT.{form}.{group}.{item}" if group else f"IT.{form}.{item}"


def user_oid(user_id: Any) -> str:
    return f"USR.{user_id}"


def location_oid(site_code: str) -> str:
    return f"LOC.{site_code}"


def signature_def_oid(meaning: str) -> str:
    return "SD." + hashlib.sha256(meaning.encode()).hexdigest()[:12]


def _data_type(model_field: models.Field) -> str:
    if isinstance(model_field, models.BooleanField):
        return "boolean"
    if isinstance(model_field, models.DateTimeField):
        return "datetime"
    if isinstance(model_field, models.DateField):
        return "date"
    if isinstance(model_field, models.TimeField):
        return "time"
    if isinstance(model_field, models.IntegerField | models.ForeignKey):
        return "integer"
    if isinstance(model_field, models.DecimalField | models.FloatField):
        return "float"
    return "text"


_ATTR = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}


def attr(value: Any) -> str:
    """An attribute value, escaped for double quotes."""
    return escape(str(value), _ATTR)


FLUSH_AT = 1 << 16


class Writer:
    """Incremental XML: elements written as strings in order, text and attributes escaped,
    kept until taken (about 64 kB at a time), so a generator can hand them on."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)

    def full(self) -> bool:
        return self.size >= FLUSH_AT

    def take(self) -> bytes:
        data = "".join(self.parts).encode("utf-8")
        self.parts.clear()
        self.size = 0
        return data

    @staticmethod
    def _attrs(attrs: dict[str, Any]) -> str:
        return "".join(f' {k}="{attr(v)}"' for k, v in attrs.items() if v is not None)

    def start(self, name: str, **attrs: Any) -> None:
        self.write(f"<{name}{self._attrs(attrs)}>")

    def end(self, name: str) -> None:
        self.write(f"</{name}>")

    def leaf(self, name: str, text: str | None = None, **attrs: Any) -> None:
        if text is None:
            self.write(f"<{name}{self._attrs(attrs)}/>")
        else:
            self.write(f"<{name}{self._attrs(attrs)}>{escape(text)}</{name}>")


def _header(w: Writer, file_type: str, file_oid: str, description: str) -> None:
    w.write('<?xml version="1.0" encoding="utf-8"?>\n')
    now = datetime.now(UTC).isoformat(timespec="seconds")
    w.start(
        "ODM",
        xmlns=ODM_NS,
        **{"xmlns:edc": EDC_NS},
        FileType=file_type,
        FileOID=file_oid,
        CreationDateTime=now,
        AsOfDateTime=now,
        ODMVersion="1.3.2",
        Granularity="All",
        Description=description,
        Originator="EDC NCT04837885",
        SourceSystem="EDC NCT04837885",
    )


# --- Study and metadata ---------------------------------------------------------------------


# The metadata (item questions, code-list decodes) is English (xml:lang="en"), whatever the
# language of the person exporting: the labels are lazy translations.
@translation.override("en")
def _study(w: Writer) -> None:
    w.start("Study", OID=STUDY_OID)
    w.start("GlobalVariables")
    w.leaf("StudyName", "NCT04837885")
    w.leaf("StudyDescription", "IAH LUTATHERA, University Hospital Bordeaux")
    w.leaf("ProtocolName", "NCT04837885")
    w.end("GlobalVariables")
    w.start("BasicDefinitions")
    w.end("BasicDefinitions")
    w.start("MetaDataVersion", OID=MDV_OID, Name="EDC metadata, version 1")
    events = [(e.code, e.name, e.forms) for e in schedule.EVENTS]
    events.append((schedule.LOG_EVENT, "Logs", schedule.LOG_FORMS))
    w.start("Protocol")
    for n, (code, _label, _forms) in enumerate(events, start=1):
        w.leaf("StudyEventRef", StudyEventOID=event_oid(code), OrderNumber=n, Mandatory="No")
    w.end("Protocol")
    for code, label, forms in events:
        w.start(
            "StudyEventDef",
            OID=event_oid(code),
            Name=label,
            Repeating="No",
            Type="Common" if code == schedule.LOG_EVENT else "Scheduled",
        )
        for n, form in enumerate(forms, start=1):
            w.leaf("FormRef", FormOID=form_oid(form), OrderNumber=n, Mandatory="No")
        w.end("StudyEventDef")
    specs = list(crf_registry.REGISTRY.values())
    # Every form of the schedule has a FormDef (its status travels in the trail even before
    # an app registers its items); registered forms have their item groups.
    for code in dict.fromkeys([*schedule.FORMS, *crf_registry.REGISTRY]):
        spec = crf_registry.REGISTRY.get(code)
        w.start("FormDef", OID=form_oid(code), Name=schedule.FORMS.get(code, code), Repeating="Yes")
        if spec is not None:
            w.leaf("ItemGroupRef", ItemGroupOID=group_oid(code), Mandatory="No")
            for group in spec.groups:
                w.leaf("ItemGroupRef", ItemGroupOID=group_oid(code, group.name), Mandatory="No")
        w.end("FormDef")
    for spec in specs:
        for group_name, label, fields, repeating in _groups(spec):
            w.start(
                "ItemGroupDef",
                OID=group_oid(spec.code, group_name),
                Name=label,
                Repeating=repeating,
            )
            for n, f in enumerate(fields, start=1):
                w.leaf(
                    "ItemRef",
                    ItemOID=item_oid(spec.code, f.name, group_name),
                    OrderNumber=n,
                    Mandatory="No",
                )
            w.end("ItemGroupDef")
    codelists = []
    for spec in specs:
        for group_name, _label, fields, _repeating in _groups(spec):
            for f in fields:
                oid = item_oid(spec.code, f.name, group_name)
                w.start(
                    "ItemDef",
                    OID=oid,
                    Name=f.name,
                    DataType=_data_type(f),
                    Comment=str(f.verbose_name),
                )
                w.start("Question")
                w.leaf("TranslatedText", str(f.verbose_name), **{"xml:lang": "en"})
                w.end("Question")
                if f.choices:
                    w.leaf("CodeListRef", CodeListOID="CL." + oid[3:])
                    codelists.append(("CL." + oid[3:], f))
                w.end("ItemDef")
    for oid, f in codelists:
        data_type = "integer" if isinstance(f, models.IntegerField) else "text"
        w.start("CodeList", OID=oid, Name=f.name, DataType=data_type)
        for value, label in f.flatchoices:
            if value in (None, ""):
                continue
            w.start("CodeListItem", CodedValue=value)
            w.start("Decode")
            w.leaf("TranslatedText", str(label), **{"xml:lang": "en"})
            w.end("Decode")
            w.end("CodeListItem")
        w.end("CodeList")
    w.end("MetaDataVersion")
    w.end("Study")


def _groups(spec: crf_registry.Crf) -> list[tuple[str, str, list[models.Field], str]]:
    name = schedule.FORMS.get(spec.code, spec.code)
    result = [("", name, spec.item_fields, "No")]
    for group in spec.groups:
        result.append((group.name, str(group.label or group.name), group.item_fields, "Yes"))
    return result


# ODM's UserType for each role (Sponsor, Investigator, Lab or Other), the first that applies:
# the investigator signs for the site; monitors and data managers work for the sponsor; the
# site's nurses and the administrator are "Other". The roles themselves are in DisplayName.
USER_TYPES = (
    (roles.INVESTIGATOR, "Investigator"),
    (roles.MONITOR, "Sponsor"),
    (roles.DATA_MANAGER, "Sponsor"),
)


def user_type(role_names: frozenset[str]) -> str:
    return next((kind for role, kind in USER_TYPES if role in role_names), "Other")


def _admin(w: Writer, persons: dict, meanings: list[str], sites: list[Site] | None) -> None:
    """The users of the exported sites, each with their role and sites, and the sites."""
    w.start("AdminData", StudyOID=STUDY_OID)
    w.start("User", OID=SYSTEM_USER, UserType="Other")
    w.leaf("LoginName", SYSTEM)
    w.leaf("DisplayName", "System (scripts and commands)")
    w.end("User")
    for person in persons.values():
        w.start("User", OID=user_oid(person.pk), UserType=user_type(person.role_names))
        w.leaf("LoginName", person.username)
        w.leaf("DisplayName", f"{person.full_name} ({person.roles or 'no role'})")
        w.leaf("FullName", person.full_name)
        if person.first_name:
            w.leaf("FirstName", person.first_name)
        if person.last_name:
            w.leaf("LastName", person.last_name)
        for code in person.sites:
            w.leaf("LocationRef", LocationOID=location_oid(code))
        w.end("User")
    for site in sites if sites is not None else Site.objects.order_by("code"):
        w.start("Location", OID=location_oid(site.code), Name=site.name, LocationType="Site")
        w.leaf(
            "MetaDataVersionRef",
            StudyOID=STUDY_OID,
            MetaDataVersionOID=MDV_OID,
            EffectiveDate="2026-01-01",
        )
        w.end("Location")
    for meaning in meanings:
        w.start("SignatureDef", OID=signature_def_oid(meaning), Methodology="Electronic")
        w.leaf("Meaning", meaning)
        w.leaf("LegalReason", "21 CFR Part 11 electronic signature")
        w.end("SignatureDef")
    w.end("AdminData")


def _meanings() -> list[str]:
    events = event_model_of(Signature)
    meanings = set(Signature.objects.values_list("meaning", flat=True))
    meanings |= set(events._default_manager.values_list("meaning", flat=True))
    return sorted(meanings)


# --- The Transactional file -----------------------------------------------------------------

LEVELS = ("SubjectData", "StudyEventData", "FormData", "ItemGroupData")


class Tree:
    """The open ClinicalData branch: levels are opened and closed as the path changes."""

    def __init__(self, w: Writer) -> None:
        self.w = w
        self.path: list[tuple] = []

    def goto(self, keys: list[tuple], fresh: bool = False) -> None:
        """Make `keys` (one (key, attrs) per level) the open path; `fresh` reopens the last."""
        common = 0
        for mine, theirs in zip(self.path, keys, strict=False):
            if mine[0] != theirs[0]:
                break
            common += 1
        if fresh and common == len(keys):
            common -= 1
        self.close(common)
        for depth in range(common, len(keys)):
            self.w.start(LEVELS[depth], **keys[depth][1])
            self.path.append(keys[depth])

    def close(self, depth: int = 0) -> None:
        while len(self.path) > depth:
            self.path.pop()
            self.w.end(LEVELS[len(self.path)])


def _path(participant: str, event: str, form: str, repeat: Any) -> list[tuple]:
    keys: list[tuple] = [((participant,), {"SubjectKey": participant, "TransactionType": "Upsert"})]
    if form:
        keys.append(((event,), {"StudyEventOID": event_oid(event), "TransactionType": "Upsert"}))
        keys.append(
            (
                (form, repeat),
                {
                    "FormOID": form_oid(form),
                    "FormRepeatKey": repeat,
                    "TransactionType": "Upsert",
                },
            )
        )
    return keys


TRANSACTION = {"insert": "Insert", "update": "Update", "delete": "Remove"}


def write_transactional(scope: Scope, target: Any) -> int:
    """Write the Transactional file to a binary file; returns the number of changed items."""
    counter = [0]
    for data in transactional(scope, counter):
        target.write(data)
    return counter[0]


def transactional(scope: Scope, counter: list[int] | None = None) -> Iterator[bytes]:
    """The audit trail of the scope as an ODM 1.3.2 Transactional file, in pieces of about
    64 kB; `counter[0]` counts the changed items."""
    counter = counter if counter is not None else [0]
    w = Writer()
    persons = people(scope.sites)
    _header(w, "Transactional", f"AUDIT.{datetime.now(UTC):%Y%m%dT%H%M%S}", "Audit trail")
    _study(w)
    _admin(w, persons, _meanings(), scope.sites)
    w.start("ClinicalData", StudyOID=STUDY_OID, MetaDataVersionOID=MDV_OID)
    tree = Tree(w)
    tables = [s.event_table for s in sources()]
    kinds = [s.kind for s in sources()]
    count = 0
    record: list[tuple] = []

    def flush_record() -> None:
        if record:
            _write_record(w, tree, record, kinds[record[0][0]], tables[record[0][0]], persons)
            record.clear()

    for row in stream_changes(scope):
        src, pgh_id = row[0], row[1]
        participant = row[8]
        if not participant:
            # Written after the subjects (below), in ClinicalData's extension slot.
            continue
        count += 1
        if w.full():
            counter[0] = count
            yield w.take()
        kind = kinds[src]
        if kind not in ("item", "group"):
            if record and (record[0][0], record[0][1]) != (src, pgh_id):
                flush_record()
            record.append(row)
            continue
        flush_record()
        _write_item(w, tree, row, tables[src], persons)
    flush_record()
    tree.close()
    if scope.participant_ids is None:
        # The records of no participant (a lab file, a site's CSV columns): ODM puts
        # extensions last, so they come after every subject, in a pass of their own over
        # the few tables that hold them.
        bare = [s for s in sources() if s.bare]
        for row in stream_changes(scope, bare, bare=True):
            count += 1
            if w.full():
                counter[0] = count
                yield w.take()
            if record and (record[0][0], record[0][1]) != (row[0], row[1]):
                _bare_record(w, record, bare, persons)
                record.clear()
            record.append(row)
        if record:
            _bare_record(w, record, bare, persons)
    w.end("ClinicalData")
    w.end("ODM")
    counter[0] = count
    yield w.take()


def _record(w: Writer, rows: list[tuple], kind: str, table: str, persons: dict) -> None:
    """One event of a record as an edc: element: its values old and new, and its audit."""
    first = rows[0]
    stamp, label, user_id, reason, address = first[2], first[3], first[4], first[6], first[18]
    w.start(
        f"edc:{kind}",
        RecordID=first[13],
        Change=label,
        SourceID=f"{table}:{first[1]}",
        DateTimeStamp=stamp,
        UserOID=user_oid(user_id) if user_id in persons else SYSTEM_USER,
        Reason=reason or None,
        ClientAddress=address or None,
    )
    for r in rows:
        w.leaf("edc:Value", Name=r[14], Old=r[15], New=r[16])
    w.end(f"edc:{kind}")


def _bare_record(w: Writer, rows: list[tuple], bare: list, persons: dict) -> None:
    source = bare[rows[0][0]]
    _record(w, rows, source.kind, source.event_table, persons)


def _audit_record(w: Writer, row: tuple, table: str, persons: dict) -> None:
    stamp, user_id, reason, site = row[2], row[4], row[6], row[7]
    user = user_oid(user_id) if user_id in persons else SYSTEM_USER
    reason = f"<ReasonForChange>{escape(reason)}</ReasonForChange>" if reason else ""
    # The client address is no part of ODM's AuditRecord: the extension slot holds it.
    address = f"<edc:ClientAddress>{escape(row[18])}</edc:ClientAddress>" if row[18] else ""
    w.write(
        f'<AuditRecord><UserRef UserOID="{attr(user)}"/>'
        f'<LocationRef LocationOID="{attr(location_oid(site))}"/>'
        f"<DateTimeStamp>{stamp}</DateTimeStamp>{reason}"
        f"<SourceID>{table}:{row[1]}</SourceID>{address}</AuditRecord>"
    )


def _write_item(w: Writer, tree: Tree, row: tuple, table: str, persons: dict) -> None:
    (src, pgh_id, _stamp, label, _u, _n, _r, _site, participant, event, form, repeat) = row[:12]
    group, key, item, new = row[12], row[13], row[14], row[16]
    transaction = TRANSACTION.get(label, "Update")
    keys = _path(participant, event, form, repeat)
    keys.append(
        (
            (group, key, src, pgh_id),
            {
                "ItemGroupOID": group_oid(form, group),
                "ItemGroupRepeatKey": key if group else "1",
                "TransactionType": transaction if group else "Upsert",
            },
        )
    )
    tree.goto(keys)
    if transaction == "Remove":
        value = ""
    elif new is None:
        value = ' IsNull="Yes"'
    else:
        value = f' Value="{attr(new)}"'
    oid = attr(item_oid(form, item, group))
    w.write(f'<ItemData ItemOID="{oid}" TransactionType="{transaction}"{value}>')
    _audit_record(w, row, table, persons)
    w.write("</ItemData>")


def _write_record(
    w: Writer, tree: Tree, rows: list[tuple], kind: str, table: str, persons: dict
) -> None:
    """One event of a record that is not a CRF item: a Signature, or an edc: extension."""
    first = rows[0]
    stamp, label, site, participant, event, form, repeat = first[2], first[3], *first[7:12]
    keys = _path(participant, event, form, repeat)
    if kind == "Signature" and label == "insert":
        tree.goto(keys, fresh=True)
        new = {r[14]: r[16] for r in rows}
        w.start("Signature")
        w.leaf("UserRef", UserOID=user_oid(new.get("signer")))
        w.leaf("LocationRef", LocationOID=location_oid(site))
        w.leaf("SignatureRef", SignatureOID=signature_def_oid(new.get("meaning") or ""))
        w.leaf("DateTimeStamp", new.get("signed_at") or stamp)
        # Which event of the trail the signature is (Signature has no SourceID in ODM).
        w.leaf("edc:SourceID", f"{table}:{first[1]}")
        w.end("Signature")
        return
    tree.goto(keys)
    _record(w, rows, kind, table, persons)
    # An extension closes its FormData (or SubjectData): ODM puts extensions last.
    tree.close(len(keys) - 1)


# --- The Snapshot ---------------------------------------------------------------------------


# A row's columns as text, exactly as ->> writes them in the audit query.
AS_TEXT = "(SELECT jsonb_object_agg(k, v) FROM jsonb_each_text(to_jsonb(%s)) AS x(k, v))"


def _current_values(participant_ids: list[int]) -> Iterator[tuple]:
    """(participant, event, form, repeat, group, key, item, value) of the current data, in
    the JSON text of common.py, for the participants given: one query per model."""
    rows: list[tuple] = []
    seen: set[Any] = set()
    for spec in crf_registry.REGISTRY.values():
        if spec.model in seen:
            continue
        seen.add(spec.model)
        table = spec.model._meta.db_table
        columns = [(f.name, crf_registry.db_column(spec.model, f.name)) for f in spec.item_fields]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT p.code, fs.event, fs.form, fs.repeat, t.id, {AS_TEXT % 't'} "
                f"FROM {table} t "
                "JOIN trial_formstatus fs ON fs.id = t.form_status_id "
                "JOIN trial_participant p ON p.id = fs.participant_id "
                "WHERE fs.participant_id = ANY(%s)",
                [participant_ids],
            )
            parents = {}
            for code, event, form, repeat, pk, data in cursor.fetchall():
                data = _loads(data)
                parents[pk] = (code, event, form, repeat)
                for name, column in columns:
                    rows.append((code, event, form, repeat, "", "", name, _text(data.get(column))))
            for group in spec.groups:
                parent_column = crf_registry.db_column(group.model, group.parent_field)
                key_column = crf_registry.db_column(group.model, group.repeat_key)
                item_columns = [
                    (f.name, crf_registry.db_column(group.model, f.name)) for f in group.item_fields
                ]
                cursor.execute(
                    f"SELECT {parent_column}, {AS_TEXT % 'g'} FROM {group.model._meta.db_table} g "
                    f"WHERE {parent_column} = ANY(%s)",
                    [list(parents)],
                )
                for parent_id, data in cursor.fetchall():
                    data = _loads(data)
                    code, event, form, repeat = parents[parent_id]
                    key = _text(data.get(key_column))
                    # The row's permanent label (T2, E3), as the Transactional file and the
                    # audit CSV name it (trial.exports.common.Source.key_sql).
                    key = group.label_of(key) if key is not None else key
                    for name, column in item_columns:
                        value = _text(data.get(column))
                        rows.append((code, event, form, repeat, group.name, key, name, value))
    order = schedule.EVENT_ORDER
    rows.sort(key=lambda r: (r[0], order.get(r[1], 999), r[1], r[2], r[3], r[4], _num(r[5])))
    return iter(rows)


def _loads(data: Any) -> dict[str, Any]:
    return json.loads(data) if isinstance(data, str | bytes) else data


def _num(key: str) -> tuple:
    """Rows in their labels' order: T2 before T10, by letter then number."""
    letters = key.rstrip("0123456789")
    digits = key[len(letters) :]
    return (0 if not letters else 1, letters, int(digits) if digits else 0, key)


def _text(value: Any) -> str | None:
    """A column's text (AS_TEXT), None for SQL NULL."""
    return None if value is None else str(value)


def write_snapshot(scope: Scope, target: Any) -> int:
    """Write the Snapshot to a binary file; returns the number of items."""
    counter = [0]
    for data in snapshot(scope, counter):
        target.write(data)
    return counter[0]


def snapshot(scope: Scope, counter: list[int] | None = None) -> Iterator[bytes]:
    """The current data of the scope as an ODM 1.3.2 Snapshot, participant by participant,
    in pieces of about 64 kB; `counter[0]` counts the items."""
    counter = counter if counter is not None else [0]
    w = Writer()
    persons = people(scope.sites)
    _header(w, "Snapshot", f"DATA.{datetime.now(UTC):%Y%m%dT%H%M%S}", "Current data")
    _study(w)
    _admin(w, persons, _meanings(), scope.sites)
    w.start("ClinicalData", StudyOID=STUDY_OID, MetaDataVersionOID=MDV_OID)
    participants = Participant.objects.order_by("code")
    if scope.participant_ids is not None:
        participants = participants.filter(pk__in=scope.participant_ids)
    ids = list(participants.values_list("pk", flat=True))
    count = 0
    tree = Tree(w)
    # Bounded batches of participants: memory holds one batch's values.
    for start in range(0, len(ids), 50):
        for code, event, form, repeat, group, key, item, value in _current_values(
            ids[start : start + 50]
        ):
            keys = [
                ((code,), {"SubjectKey": code}),
                ((event,), {"StudyEventOID": event_oid(event)}),
                ((form, repeat), {"FormOID": form_oid(form), "FormRepeatKey": repeat}),
                (
                    (group, key),
                    {
                        "ItemGroupOID": group_oid(form, group),
                        "ItemGroupRepeatKey": key if group else "1",
                    },
                ),
            ]
            tree.goto(keys)
            if value is None:
                w.leaf("ItemData", ItemOID=item_oid(form, item, group), IsNull="Yes")
            else:
                w.leaf("ItemData", ItemOID=item_oid(form, item, group), Value=value)
            count += 1
            if w.full():
                counter[0] = count
                yield w.take()
    tree.close()
    w.end("ClinicalData")
    w.end("ODM")
    counter[0] = count
    yield w.take()
