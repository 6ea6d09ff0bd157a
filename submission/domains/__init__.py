"""One module per SDTM domain: its metadata (`DOMAIN`, or `domain()` when it grows at run
time) and `records(study)`, the trial's data mapped to that domain's records."""

from __future__ import annotations

from types import ModuleType

from submission.domains import ae, cm, dm, ds, ex, lb, mh, rs, tr, tu, vs, xd, xe
from submission.metadata import Domain

# The package's order: special purpose, events, interventions, findings, then the custom ones.
MODULES: tuple[ModuleType, ...] = (dm, ds, ae, mh, ex, cm, lb, vs, tu, tr, rs, xe, xd)


def domain_of(module: ModuleType) -> Domain:
    build = getattr(module, "domain", None)
    return build() if callable(build) else module.DOMAIN
