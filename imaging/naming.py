"""How the imaging item groups' rows and items are named wherever they show: the forms, the
PDFs, the query and SDV lists, History and the exports (trial.crf.ItemGroup.names).

The 5 index lesions are L1-L5 with the Couinaud segment chosen on MRI (PET index lesions
form), the organs by name, the SPECT/CT time points by their planned hour, the extra-hepatic
lesions E1, E2, ... Each function reads at most one query.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from imaging import models as m
from trial.crf import model_field

LESION_KEYS = tuple(range(1, m.INDEX_LESIONS + 1))
MAX_EXTRA_HEPATIC = 20
# The dosimetry's lesion volumes, by index lesion number.
LESION_VOLUMES = {f"act_l{n}": n for n in LESION_KEYS}


def segments(participant: Any) -> dict[int, str]:
    """The Couinaud segment of each index lesion entered for the participant (one query)."""
    if participant is None or getattr(participant, "pk", None) is None:
        return {}
    found = m.IndexLesion.objects.filter(
        index__form_status__participant=participant, segment__isnull=False
    ).values_list("number", "segment")
    return {number: m.Couinaud(segment).label for number, segment in found if segment is not None}


def lesion_name(number: int, segment: str | None = None) -> str:
    if not segment:
        return f"L{number}"
    return _("L%(number)s (segment %(segment)s)") % {"number": number, "segment": segment}


def lesion_names(participant: Any) -> dict[int, str]:
    """L1-L5, each with its segment once the PET index lesions form gives it."""
    found = segments(participant)
    return {n: lesion_name(n, found.get(n)) for n in LESION_KEYS}


def organ_names(participant: Any = None) -> dict[int, str]:
    return {value: str(label) for value, label in m.Organ.choices}


def time_point_name(number: int) -> str:
    hours, _window = m.TIME_POINTS[number]
    return _("%(hours)s h") % {"hours": hours}


def time_point_names(participant: Any = None) -> dict[int, str]:
    return {number: time_point_name(number) for number in m.TIME_POINTS}


def extrahepatic_names(participant: Any = None) -> dict[int, str]:
    return {n: f"E{n}" for n in range(1, MAX_EXTRA_HEPATIC + 1)}


def volume_labels(participant: Any) -> dict[str, str]:
    """The dosimetry's volumes: the lesions with their segment, the organs by name."""
    lesions = lesion_names(participant)
    return {name: lesions[number] for name, number in LESION_VOLUMES.items()}


def region_names(participant: Any) -> dict[int, str]:
    """The VOI volumes' rows (REGION_KEYS): the lesions with their segment, the organs by
    name, as the dosimetry grid names its columns."""
    return regions_named(volume_labels(participant))


def regions_named(labels: dict[str, str]) -> dict[int, str]:
    """region_names from the volumes' labels already read (volume_labels): no query."""
    names = {}
    for name, number in m.REGION_KEYS.items():
        label = labels.get(name) or str(model_field(m.DosimetryPoint, name).verbose_name)
        names[number] = label[:1].upper() + label[1:]
    return names
