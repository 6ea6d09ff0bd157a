"""RS proven from TR and TU: every RECIST 1.1 target and overall response of the package is
computed again here, from the tumour identification (TU) and the measurements (TR), by an
implementation written apart from the product's (followup/calculations.py, derived.py), and
compared, row by row, on the whole demo.

What this implementation reads: the baseline lesions and their kind (TU), the diameters and
tumour states at baseline and at each assessment (TR), the new lesions (TU rows NEW at the
visit), and the investigator's own inputs kept in RS (the non-target response, an
unequivocal progression). What it computes: the sum of diameters, the nadir, the target
response, the overall response. RECIST 1.1 (Eisenhauer et al., Eur J Cancer 2009):
- a non-nodal target lesion that has gone counts 0; a node keeps its short axis and counts
  as gone below 10 mm; a lesion split counts the sum of its fragments (TUMSTATE SPLIT), one
  merged into another counts 0 (TUMSTATE MERGED, its diameter 0);
- a lesion not evaluated makes the target response NE, unless the others alone reach PD;
- PD: the sum at least 20 % above the nadir (smallest sum before, baseline included) and at
  least 5 mm above it; CR: every target gone; PR: at least 30 % below the baseline sum;
- overall: PD on any PD or new lesion; CR only with the non-targets gone (or none); a target
  CR with non-targets persisting or not evaluated is PR; otherwise the target response.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

NODE_NORMAL_MM = Decimal(10)


def _by(records: list[dict], *keys: str) -> dict:
    grouped: dict = defaultdict(list)
    for record in records:
        grouped[tuple(record[k] for k in keys)].append(record)
    return grouped


def target_response(baseline: Decimal, nadir: Decimal, total: Decimal, gone: bool) -> str:
    if total >= nadir * Decimal("1.2") and total - nadir >= 5:
        return "PD"
    if gone:
        return "CR"
    if total <= baseline * Decimal("0.7"):
        return "PR"
    return "SD"


def overall(target: str, non_target: str, new: bool, unequivocal: bool) -> str:
    if new or unequivocal or target == "PD" or non_target == "PD":
        return "PD"
    if target == "CR":
        return "CR" if non_target in ("CR", "NONE") else "PR"
    return target


def recompute(tu: list[dict], tr: list[dict], rs: list[dict]) -> dict[tuple, dict]:
    """(USUBJID, VISITNUM) -> the sum, target and overall response recomputed."""
    lesions = {subject: rows for (subject,), rows in _by(tu, "USUBJID").items()}
    results = _by(tr, "USUBJID", "VISITNUM")
    responses = _by([r for r in rs if r["RSCAT"] == "RECIST 1.1"], "USUBJID", "VISITNUM")
    computed: dict[tuple, dict] = {}
    for subject, identified in lesions.items():
        targets = {t["TULNKID"]: t for t in identified if t["TUORRES"] == "TARGET"}
        has_non_targets = any(t["TUORRES"] == "NON-TARGET" for t in identified)
        baseline_visit = min(t["VISITNUM"] for t in identified if t["TUORRES"] == "TARGET")
        baseline_rows = results[(subject, baseline_visit)]
        diameters = {
            r["TRLNKID"]: Decimal(r["TRORRES"])
            for r in baseline_rows
            if r["TRTESTCD"] in ("LDIAM", "SAXIS") and r["TRLNKID"] in targets
        }
        assert set(diameters) == set(targets), subject
        baseline_sum = sum(diameters.values())
        visits = sorted(
            {v for (s, v) in responses if s == subject},
            key=lambda v: responses[(subject, v)][0]["RSDTC"],
        )
        sums_so_far: list[Decimal] = []
        for visit in visits:
            rows = results[(subject, visit)]
            sizes: list[Decimal | None] = []
            gone = True
            for link, lesion in targets.items():
                node = lesion["TULOC"] == "LYMPH NODE"
                state = next(
                    (
                        r["TRORRES"]
                        for r in rows
                        if r["TRLNKID"] == link and r["TRTESTCD"] == "TUMSTATE"
                    ),
                    None,
                )
                measured = next(
                    (
                        r
                        for r in rows
                        if r["TRLNKID"] == link and r["TRTESTCD"] in ("LDIAM", "SAXIS")
                    ),
                    None,
                )
                size = Decimal(measured["TRORRES"]) if measured and measured["TRORRES"] else None
                assert (measured is None) or measured["TRTESTCD"] == ("SAXIS" if node else "LDIAM")
                # A lesion gone counts 0; a node keeps its short axis when one is given.
                if state == "ABSENT" and (not node or size is None):
                    size = Decimal(0)
                sizes.append(size)
                if size is not None:
                    gone = gone and (size < NODE_NORMAL_MM if node else size == 0)
            answers = {r["RSTESTCD"]: r for r in responses[(subject, visit)]}
            nt_row = answers.get("NTRGRESP")
            if nt_row is not None and nt_row["RSORRES"] == "NOT APPLICABLE":
                non_target = "NONE"
            elif nt_row is not None and nt_row["RSORRES"]:
                non_target = nt_row["RSORRES"]
            else:
                non_target = "NE" if has_non_targets else "NONE"
            new = any(t["TUORRES"] == "NEW" and t["VISITNUM"] == visit for t in identified)
            assert (answers.get("NEWLIND", {}).get("RSORRES") == "Y") == new, (subject, visit)
            unequivocal = answers.get("UNEQPROG", {}).get("RSORRES") == "Y"
            if any(size is None for size in sizes):
                # A lesion not evaluated: NE, unless those measured already reach PD from the
                # nadir (RECIST 1.1 4.4.2: the missing one can only add to the sum).
                partial = sum((size for size in sizes if size is not None), Decimal(0))
                low = min([baseline_sum, *sums_so_far])
                total = None
                target = "PD" if partial >= low * Decimal("1.2") and partial - low >= 5 else "NE"
            else:
                total = sum(sizes, Decimal(0))
                nadir = min([baseline_sum, *sums_so_far])
                target = target_response(baseline_sum, nadir, total, gone)
                sums_so_far.append(total)
            computed[(subject, visit)] = {
                "sum": total,
                "target": target,
                "overall": overall(target, non_target, new, unequivocal),
            }
    return computed


def test_every_recist_response_in_rs_is_recomputed_from_tr_and_tu(sdtm):
    tu, tr, rs = sdtm.records("TU"), sdtm.records("TR"), sdtm.records("RS")
    computed = recompute(tu, tr, rs)
    stored = _by([r for r in rs if r["RSCAT"] == "RECIST 1.1"], "USUBJID", "VISITNUM")
    sums = {
        (r["USUBJID"], r["VISITNUM"]): Decimal(r["TRORRES"])
        for r in tr
        if r["TRTESTCD"] == "SUMDIAM"
    }
    assert set(computed) == set(stored)
    for key, mine in computed.items():
        answers = {r["RSTESTCD"]: r["RSORRES"] for r in stored[key]}
        assert answers["TRGRESP"] == mine["target"], (key, answers, mine)
        assert answers["OVRLRESP"] == mine["overall"], (key, answers, mine)
        if mine["sum"] is not None:
            assert sums[key] == mine["sum"], key
    # The demo follows three courses (partial response, stable disease, progression):
    # every branch of the comparison is taken.
    overall_seen = {mine["overall"] for mine in computed.values()}
    assert {"PR", "SD", "PD"} <= overall_seen
    assert len(computed) >= 15


def test_the_independent_implementation_follows_recist_at_its_boundaries():
    # Exactly -30 % is PR; one tenth less of a decrease is SD.
    assert target_response(Decimal(100), Decimal(100), Decimal(70), False) == "PR"
    assert target_response(Decimal(100), Decimal(100), Decimal("70.1"), False) == "SD"
    # Exactly +20 % and +5 mm from the nadir is PD; +20 % but under 5 mm is not.
    assert target_response(Decimal(100), Decimal(25), Decimal(30), False) == "PD"
    assert target_response(Decimal(100), Decimal(20), Decimal(24), False) == "PR"
    assert target_response(Decimal(100), Decimal(60), Decimal(0), True) == "CR"
    assert overall("CR", "NON-CR/NON-PD", False, False) == "PR"
    assert overall("CR", "NONE", False, False) == "CR"
    assert overall("SD", "NE", False, False) == "SD"
    assert overall("PR", "CR", True, False) == "PD"
