"""The lab import keeps a converted value exact, and flags a value it must round to the form's
decimals (PROTOCOL.md section 5, Thresholds: nothing rounded silently before a threshold)."""

from decimal import Decimal

import pytest

from dosing.labimport import actions, flags, queue
from dosing.models import LabPanel

HEADER = "participant;sampled_at;test;value;unit;low;high\n"


def _entry(nurse, bdx, c1, line: str):
    actions.import_file(nurse, "bili.csv", (HEADER + line).encode(), site=bdx)
    [entry] = queue.participant_queue(c1).groups[0].entries
    return entry


@pytest.mark.req("CALC.THRESHOLDS")
def test_a_bilirubin_in_mg_dl_is_imported_exact(nurse, c1, bdx):
    entry = _entry(nurse, bdx, c1, "BDX-001;26/12/2025;1975-2;1,988;mg/dL;0,2;1,2\n")
    assert entry.flags == []
    assert entry.resolved.canonical == Decimal("33.9948")  # 1.988 x 17.1, not 33.99
    actions.approve(nurse, c1, [entry.value.pk])
    panel = LabPanel.objects.get(form_status__event="C2")
    assert (panel.bilirubin_entered, panel.bilirubin_unit) == (Decimal("1.988"), "mg/dL")
    assert str(panel.bilirubin_umol_l) == "33.9948"
    assert str(panel.bilirubin_uln) == "20.52"


@pytest.mark.req("CALC.THRESHOLDS")
def test_a_value_rounded_to_the_forms_decimals_is_flagged_and_confirmed(nurse, c1, bdx):
    entry = _entry(nurse, bdx, c1, "BDX-001;26/12/2025;1975-2;1,9884;mg/dL;0,2;1,2\n")
    assert entry.resolved.rounded
    assert flags.ROUNDED in entry.flags and not entry.blocked
    with pytest.raises(actions.NeedsConfirmation):
        actions.approve(nurse, c1, [entry.value.pk])
    assert not LabPanel.objects.filter(form_status__event="C2", bilirubin_entered__isnull=False)
    actions.approve(nurse, c1, [entry.value.pk], confirmed=True)
    panel = LabPanel.objects.get(form_status__event="C2")
    # The panel holds what the person approved, and its canonical value is exact from it.
    assert panel.bilirubin_entered == Decimal("1.988")
    assert str(panel.bilirubin_umol_l) == "33.9948"
