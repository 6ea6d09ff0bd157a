"""The codelists of the package: the terms this trial uses, for define.xml.

Where a list is (a subset of) a CDISC Controlled Terminology codelist, `nci` is that
codelist's NCI code; the terms are the CT submission values. Lists without an NCI code are
sponsor-defined (the trial's own categories, test codes of the custom domains, or values
whose CT term has not been checked against a CT release: the sponsor's standards team maps
those when the package goes to an agency).

Pure Python, no Django import.
"""

from __future__ import annotations

from submission.metadata import Codelist


def _plain(*values: str) -> tuple[tuple[str, str], ...]:
    return tuple((value, "") for value in values)


NY = Codelist("CL.NY", "No Yes Response", (("N", "No"), ("Y", "Yes")), nci="C66742")
SEX = Codelist("CL.SEX", "Sex", (("F", "Female"), ("M", "Male")), nci="C66731")
AGEU = Codelist("CL.AGEU", "Age Unit", _plain("YEARS"), nci="C66781")
COUNTRY = Codelist("CL.COUNTRY", "Country (ISO 3166-1 alpha-3)", _plain("FRA"))
DOMAIN = Codelist(
    "CL.DOMAIN",
    "SDTM Domain Abbreviation",
    _plain("AE", "CM", "DM", "DS", "EX", "LB", "MH", "RS", "TR", "TU", "VS", "XD", "XE"),
    nci="C66734",
)
EPOCH = Codelist("CL.EPOCH", "Epoch", _plain("SCREENING", "TREATMENT", "FOLLOW-UP"), nci="C99079")
ROUTE = Codelist(
    "CL.ROUTE",
    "Route of Administration",
    _plain(
        "INTRA-ARTERIAL",
        "INTRAMUSCULAR",
        "INTRAVENOUS",
        "ORAL",
        "RECTAL",
        "RESPIRATORY (INHALATION)",
        "SUBCUTANEOUS",
        "TOPICAL",
        "OTHER",
    ),
    nci="C66729",
)
ACN = Codelist(
    "CL.ACN",
    "Action Taken with Study Treatment",
    _plain(
        "DOSE NOT CHANGED",
        "DOSE REDUCED",
        "DRUG INTERRUPTED",
        "DRUG WITHDRAWN",
        "NOT APPLICABLE",
        "UNKNOWN",
    ),
    nci="C66767",
)
OUT = Codelist(
    "CL.OUT",
    "Outcome of Event",
    _plain(
        "FATAL",
        "NOT RECOVERED/NOT RESOLVED",
        "RECOVERED/RESOLVED",
        "RECOVERED/RESOLVED WITH SEQUELAE",
        "RECOVERING/RESOLVING",
        "UNKNOWN",
    ),
    nci="C66768",
)
TOXGR = Codelist("CL.TOXGR", "CTCAE v5.0 grade", _plain("1", "2", "3", "4", "5"))
AEREL = Codelist(
    "CL.AEREL",
    "Causality (strongest of the three)",
    _plain("NOT RELATED", "UNLIKELY RELATED", "POSSIBLY RELATED", "PROBABLY RELATED", "RELATED"),
)
NCOMPLT = Codelist(
    "CL.NCOMPLT",
    "Completion/Reason for Non-Completion",
    _plain(
        "COMPLETED",
        "DEATH",
        "LOST TO FOLLOW-UP",
        "OTHER",
        "PHYSICIAN DECISION",
        "SCREEN FAILURE",
        "WITHDRAWAL BY SUBJECT",
    ),
    nci="C66727",
)
DSCAT = Codelist(
    "CL.DSCAT", "Category for Disposition Event", _plain("DISPOSITION EVENT", "PROTOCOL MILESTONE")
)
ARM = Codelist(
    "CL.ARMCD",
    "Arm codes",
    (
        ("IAH", "68Ga PET after IAH and IV injection; 5th LUTATHERA dose by IAH if ER >= 3"),
        ("IAHDOSE", "68Ga PET after IAH and IV injection; 5th LUTATHERA dose by IAH"),
        ("PETONLY", "68Ga PET after IAH and IV injection; no IAH dose"),
    ),
)
ARMNRS = Codelist(
    "CL.ARMNRS",
    "Reason Arm and/or Actual Arm is Null",
    _plain("ASSIGNED, NOT TREATED", "NOT ASSIGNED", "SCREEN FAILURE"),
)
UNIT = Codelist(
    "CL.UNIT",
    "Units used by this trial",
    _plain(
        "%",
        "/mm3",
        "10^9/L",
        "GBq",
        "Gy",
        "Gy/GBq",
        "MBq",
        "MBq.h",
        "U/L",
        "beats/min",
        "cm",
        "g/L",
        "g/dL",
        "g/mL",
        "h",
        "kg",
        "mL",
        "mg/dL",
        "mm",
        "mmHg",
        "umol/L",
    ),
)
LBCAT = Codelist(
    "CL.LBCAT", "Category for Lab Test", _plain("CHEMISTRY", "COAGULATION", "HEMATOLOGY")
)
LBTESTCD = Codelist(
    "CL.LBTESTCD",
    "Laboratory Test Code",
    (
        ("ALB", "Albumin"),
        ("ALT", "Alanine Aminotransferase"),
        ("AST", "Aspartate Aminotransferase"),
        ("BILI", "Bilirubin"),
        ("CREAT", "Creatinine"),
        ("HGB", "Hemoglobin"),
        ("INR", "Prothrombin Intl. Normalized Ratio"),
        ("LYM", "Lymphocytes"),
        ("NEUT", "Neutrophils"),
        ("PLAT", "Platelets"),
        ("PTAC", "Prothrombin Activity"),
    ),
    nci="C65047",
)
VSTESTCD = Codelist(
    "CL.VSTESTCD",
    "Vital Signs Test Code",
    (
        ("DIABP", "Diastolic Blood Pressure"),
        ("HEIGHT", "Height"),
        ("PULSE", "Pulse Rate"),
        ("SYSBP", "Systolic Blood Pressure"),
        ("WEIGHT", "Weight"),
    ),
    nci="C66741",
)
MHCAT = Codelist(
    "CL.MHCAT",
    "Category for Medical History",
    _plain("CARDIOVASCULAR HISTORY", "IAH CONTRAINDICATION", "PRIMARY DIAGNOSIS"),
)
CMCAT = Codelist(
    "CL.CMCAT",
    "Category for Medication",
    _plain("CONCOMITANT MEDICATION", "COLD SOMATOSTATIN ANALOGUE"),
)
ONGOING = Codelist("CL.ENRTPT", "Relation to Reference Time Point", _plain("ONGOING"))
EVAL = Codelist("CL.EVAL", "Evaluator", _plain("INVESTIGATOR"))
TUTESTCD = Codelist(
    "CL.TUTESTCD", "Tumor Identification Test Code", (("TUMIDENT", "Tumor Identification"),)
)
TUORRES = Codelist(
    "CL.TUORRES", "Tumor identification result", _plain("NEW", "NON-TARGET", "TARGET")
)
LOC = Codelist(
    "CL.LOC",
    "Anatomical Location",
    _plain(
        "BONE",
        "BONE MARROW",
        "INTESTINE",
        "KIDNEY",
        "LIVER",
        "LUNG",
        "LYMPH NODE",
        "PANCREAS",
        "PERITONEUM",
        "SPLEEN",
        "OTHER",
    ),
)
LAT = Codelist("CL.LAT", "Laterality", _plain("LEFT", "RIGHT"))
METHOD = Codelist(
    "CL.METHOD", "Method of Test or Examination", _plain("CT SCAN", "MRI", "PET/CT", "SPECT/CT")
)
TRTESTCD = Codelist(
    "CL.TRTESTCD",
    "Tumor/Lesion Result Test Code",
    (
        ("LDIAM", "Longest Diameter"),
        ("SAXIS", "Short Axis"),
        ("SUMDIAM", "Sum of Diameters"),
        ("TUMSTATE", "Tumor State"),
    ),
)
RSTESTCD = Codelist(
    "CL.RSTESTCD",
    "Response / clinical classification test code",
    (
        ("ECOG101", "ECOG1-Performance Status"),
        ("NEWLIND", "New Lesion Indicator"),
        ("NTRGRESP", "Non-target Response"),
        ("OVRLRESP", "Overall Response"),
        ("TRGRESP", "Target Response"),
        ("UNEQPROG", "Unequivocal Progression"),
    ),
)
RSCAT = Codelist("CL.RSCAT", "Category for response / classification", _plain("ECOG", "RECIST 1.1"))
STAT = Codelist("CL.STAT", "Completion Status", _plain("NOT DONE"), nci="C66789")
