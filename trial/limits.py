"""The plausible ranges of the vital signs and body measurements, the same on every form that
takes them (screening demographics and vital signs, the PETs' weight, the follow-up visits).

Each is (lowest, highest) accepted, and the usual range: a value outside the first is refused,
one outside the second is a warning the nurse confirms. The hard limits only catch typing
slips (a 700 kg weight, a 1200 mmHg pressure): they must never refuse a reading a participant
can have, since a refused true value cannot be entered at all, while the usual ranges do the
clinical flagging. So blood pressure and heart rate take the wider limits the follow-up forms
had (a hypertensive crisis reaches a diastolic pressure over 150 mmHg, and exclusion 7 is read
from these values); weight keeps the 25-250 kg the screening and PET forms had. A value valid
at one visit is valid at the next.
"""

from __future__ import annotations

SYSTOLIC_MMHG, SYSTOLIC_USUAL_MMHG = (50, 300), (90, 180)
DIASTOLIC_MMHG, DIASTOLIC_USUAL_MMHG = (30, 200), (50, 110)
HEART_RATE, HEART_RATE_USUAL = (20, 250), (45, 120)
WEIGHT_KG, WEIGHT_USUAL_KG = (25, 250), (40, 150)
HEIGHT_CM, HEIGHT_USUAL_CM = (100, 230), (140, 200)
