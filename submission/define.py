"""Define-XML 2.1: the package's metadata, written from the domains' declarations
(submission/metadata.py) and the records, valid against CDISC's XSD (validation.py).

Every dataset (ItemGroupDef, with its class, structure, keys and the XPT it describes) and
every variable (ItemDef: label, type, length, codelist, origin) is in it. Origins:
- Collected: a DocumentRef to the blank CRF book (blankcrf.pdf) with the forms' named
  destinations as page references (the book's bookmarks are the forms);
- Derived: a MethodDef saying how, referenced by the variable's ItemRef;
- Assigned (by the sponsor) and Protocol.
A variable whose values come from different origins (RSORRES: the target and overall
responses derived, the others collected) has value-level metadata: a ValueListDef with one
ItemDef per test code, selected by a WhereClauseDef.

Pure Python with lxml; no Django import.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree

from submission.metadata import (
    Codelist,
    Domain,
    Origin,
    ValueSpec,
    Variable,
    group_oid,
    item_oid,
    number_shape,
    text_length,
)

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
DEF_NS = "http://www.cdisc.org/ns/def/v2.1"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NSMAP = {None: ODM_NS, "def": DEF_NS, "xlink": XLINK_NS}

SDTMIG = "STD.SDTMIG.3.4"
CRF_LEAF = "LF.blankcrf"
CRF_FILE = "blankcrf.pdf"


@dataclass(frozen=True)
class Study:
    oid: str
    name: str
    description: str
    protocol: str
    metadata_version_oid: str
    created: datetime
    originator: str
    system: str
    system_version: str


def _odm(tag: str) -> str:
    return f"{{{ODM_NS}}}{tag}"


def _def(tag: str) -> str:
    return f"{{{DEF_NS}}}{tag}"


def _sub(parent: Any, tag: str, text: str | None = None, **attrs: Any) -> Any:
    element = etree.SubElement(parent, tag, {k: str(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        element.text = text
    return element


def _description(parent: Any, text: str, tag: str = "Description") -> None:
    described = _sub(parent, _odm(tag))
    _sub(described, _odm("TranslatedText"), text, **{XML_LANG: "en"})


def page_destination(form: str) -> str:
    """The blank CRF book's named destination of a form (trial/pdf.py's anchors)."""
    return f"f-{form}".replace("_", "-")


def _origin(parent: Any, origin: Origin) -> None:
    element = _sub(parent, _def("Origin"), Type=origin.type, Source=origin.source or None)
    if origin.pages:
        reference = _sub(element, _def("DocumentRef"), leafID=CRF_LEAF)
        _sub(
            reference,
            _def("PDFPageRef"),
            PageRefs=" ".join(page_destination(p) for p in origin.pages),
            Type="NamedDestination",
        )


def _method_oid(domain: str, name: str, suffix: str = "") -> str:
    return f"MT.{domain}.{name}" + (f".{suffix}" if suffix else "")


class _Writer:
    def __init__(self, mdv: Any) -> None:
        self.mdv = mdv
        self.methods: dict[str, tuple[str, str]] = {}  # oid -> (name, description)
        self.comments: dict[str, str] = {}
        self.codelists: dict[str, Codelist] = {}
        self.item_defs: list[Any] = []
        self.value_lists: list[Any] = []
        self.where_clauses: list[Any] = []

    def shape(self, variable: Variable, records: list[dict[str, Any]]) -> dict[str, Any]:
        if variable.define_type == "text":
            return {"Length": text_length(records, variable.name)}
        if variable.define_type in ("integer", "float"):
            length, decimals = number_shape(records, variable.name)
            if variable.define_type == "float":
                return {"Length": length, "SignificantDigits": decimals}
            return {"Length": length}
        return {}

    def item_def(
        self,
        oid: str,
        variable: Variable,
        origin: Origin,
        records: list[dict],
        label: str,
        comment_oid: str | None,
        value_list: str | None = None,
    ) -> None:
        item = etree.Element(
            _odm("ItemDef"),
            {
                "OID": oid,
                "Name": variable.name,
                "DataType": variable.define_type,
                **{k: str(v) for k, v in self.shape(variable, records).items()},
                "SASFieldName": variable.name,
                **({_def("CommentOID"): comment_oid} if comment_oid else {}),
            },
        )
        _description(item, label)
        if variable.codelist is not None:
            self.codelists[variable.codelist.oid] = variable.codelist
            _sub(item, _odm("CodeListRef"), CodeListOID=variable.codelist.oid)
        _origin(item, origin)
        if value_list:
            _sub(item, _def("ValueListRef"), ValueListOID=value_list)
        self.item_defs.append(item)

    def method(self, oid: str, name: str, description: str) -> str:
        self.methods[oid] = (name, description)
        return oid

    def value_list(self, domain: Domain, variable: Variable, records: list[dict]) -> str:
        oid = f"VL.{domain.code}.{variable.name}"
        listing = etree.Element(_def("ValueListDef"), OID=oid)
        for order, spec in enumerate(variable.values, start=1):
            where_oid = f"WC.{domain.code}.{spec.where}.{spec.equals}"
            value_oid = f"{item_oid(domain.code, variable.name)}.{spec.equals}"
            method = None
            if spec.origin.type == "Derived":
                method = self.method(
                    _method_oid(domain.code, variable.name, spec.equals),
                    f"{variable.name} where {spec.where} = {spec.equals}",
                    spec.origin.method,
                )
            ref = _sub(
                listing,
                _odm("ItemRef"),
                ItemOID=value_oid,
                OrderNumber=order,
                Mandatory="No",
                MethodOID=method,
            )
            _sub(ref, _def("WhereClauseRef"), WhereClauseOID=where_oid)
            self.where_clause(domain, where_oid, spec)
            selected = [r for r in records if r.get(spec.where) == spec.equals]
            self.item_def(
                value_oid,
                variable,
                spec.origin,
                selected,
                f"{spec.label or variable.label} ({spec.where} = {spec.equals})",
                None,
            )
        self.value_lists.append(listing)
        return oid

    def where_clause(self, domain: Domain, oid: str, spec: ValueSpec) -> None:
        clause = etree.Element(_def("WhereClauseDef"), OID=oid)
        check = _sub(
            clause,
            _odm("RangeCheck"),
            SoftHard="Soft",
            Comparator="EQ",
            **{_def("ItemOID"): item_oid(domain.code, spec.where)},
        )
        _sub(check, _odm("CheckValue"), spec.equals)
        self.where_clauses.append(clause)


def _item_group(writer: _Writer, domain: Domain, records: list[dict]) -> Any:
    group = etree.Element(
        _odm("ItemGroupDef"),
        {
            "OID": group_oid(domain.code),
            "Name": domain.code,
            "Repeating": "No" if domain.code == "DM" else "Yes",
            "IsReferenceData": "No",
            "SASDatasetName": domain.code,
            "Domain": domain.code,
            "Purpose": "Tabulation",
            _def("Structure"): domain.structure,
            _def("ArchiveLocationID"): f"LF.{domain.code}",
            **({_def("IsNonStandard"): "Yes"} if domain.custom else {_def("StandardOID"): SDTMIG}),
            **({_def("CommentOID"): f"COM.{domain.code}"} if domain.comment else {}),
        },
    )
    if domain.comment:
        writer.comments[f"COM.{domain.code}"] = domain.comment
    _description(group, domain.label)
    for order, variable in enumerate(domain.variables, start=1):
        method = None
        if variable.origin.type == "Derived":
            method = writer.method(
                _method_oid(domain.code, variable.name),
                f"{domain.code}.{variable.name}",
                variable.origin.method,
            )
        _sub(
            group,
            _odm("ItemRef"),
            ItemOID=item_oid(domain.code, variable.name),
            OrderNumber=order,
            Mandatory="Yes" if variable.core == "Req" else "No",
            KeySequence=domain.key_sequence(variable.name),
            MethodOID=method,
            Role=variable.role,
        )
        comment_oid = None
        if variable.comment:
            comment_oid = f"COM.{domain.code}.{variable.name}"
            writer.comments[comment_oid] = variable.comment
        value_list = writer.value_list(domain, variable, records) if variable.values else None
        writer.item_def(
            item_oid(domain.code, variable.name),
            variable,
            variable.origin,
            records,
            variable.label,
            comment_oid,
            value_list,
        )
    _sub(group, _def("Class"), Name=domain.klass)
    leaf = _sub(
        group,
        _def("leaf"),
        ID=f"LF.{domain.code}",
        **{f"{{{XLINK_NS}}}href": f"{domain.file_stem}.xpt"},
    )
    _sub(leaf, _def("title"), f"{domain.file_stem}.xpt")
    return group


def _codelist(codelist: Codelist) -> Any:
    element = etree.Element(
        _odm("CodeList"), OID=codelist.oid, Name=codelist.name, DataType=codelist.data_type
    )
    if codelist.dictionary:
        _sub(
            element,
            _odm("ExternalCodeList"),
            Dictionary=codelist.dictionary,
            Version=codelist.version or None,
        )
        return element
    decoded = any(decode for _value, decode in codelist.terms)
    for order, (value, decode) in enumerate(codelist.terms, start=1):
        if decoded:
            item = _sub(element, _odm("CodeListItem"), CodedValue=value, OrderNumber=order)
            _description(item, decode or value, tag="Decode")
        else:
            _sub(element, _odm("EnumeratedItem"), CodedValue=value, OrderNumber=order)
    if codelist.nci:
        _sub(element, _odm("Alias"), Context="nci:ExtCodeID", Name=codelist.nci)
    return element


def document(study: Study, datasets: list[tuple[Domain, list[dict[str, Any]]]]) -> bytes:
    """define.xml for the datasets (each a domain and its records)."""
    root = etree.Element(
        _odm("ODM"),
        {
            "ODMVersion": "1.3.2",
            "FileType": "Snapshot",
            "FileOID": f"{study.oid}.DEFINE.{study.created:%Y%m%dT%H%M%S}",
            "CreationDateTime": study.created.isoformat(timespec="seconds"),
            "Originator": study.originator,
            "SourceSystem": study.system,
            "SourceSystemVersion": study.system_version,
            _def("Context"): "Submission",
        },
        nsmap=NSMAP,
    )
    study_element = _sub(root, _odm("Study"), OID=study.oid)
    variables = _sub(study_element, _odm("GlobalVariables"))
    _sub(variables, _odm("StudyName"), study.name)
    _sub(variables, _odm("StudyDescription"), study.description)
    _sub(variables, _odm("ProtocolName"), study.protocol)
    mdv = _sub(
        study_element,
        _odm("MetaDataVersion"),
        OID=study.metadata_version_oid,
        Name=f"{study.name} SDTM",
        Description="SDTM tabulation datasets, SDTMIG 3.4",
        **{_def("DefineVersion"): "2.1.0"},
    )
    standards = _sub(mdv, _def("Standards"))
    _sub(
        standards,
        _def("Standard"),
        OID=SDTMIG,
        Name="SDTMIG",
        Type="IG",
        Version="3.4",
        Status="Final",
        PublishingSet="SDTM",
    )
    crf = _sub(mdv, _def("AnnotatedCRF"))
    _sub(crf, _def("DocumentRef"), leafID=CRF_LEAF)
    writer = _Writer(mdv)
    groups = [_item_group(writer, domain, records) for domain, records in datasets]
    for element in writer.value_lists + writer.where_clauses + groups + writer.item_defs:
        mdv.append(element)
    for codelist in sorted(writer.codelists.values(), key=lambda c: c.oid):
        mdv.append(_codelist(codelist))
    for oid, (name, description) in writer.methods.items():
        method = _sub(mdv, _odm("MethodDef"), OID=oid, Name=name, Type="Computation")
        _description(method, description or name)
    for oid, text in writer.comments.items():
        comment = _sub(mdv, _def("CommentDef"), OID=oid)
        _description(comment, text)
    leaf = _sub(mdv, _def("leaf"), ID=CRF_LEAF, **{f"{{{XLINK_NS}}}href": CRF_FILE})
    _sub(leaf, _def("title"), "Blank CRF book (each form a named destination)")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
