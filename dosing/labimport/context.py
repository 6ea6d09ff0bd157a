"""The navigation bar's lab-import links (a context processor, settings.TEMPLATES)."""

from __future__ import annotations

from trial import roles


def lab_import_links(request) -> dict:
    user = getattr(request, "user", None)
    names = roles.role_names(user) if user is not None else set()
    return {
        "can_import_labs": bool(names & {roles.NURSE, roles.INVESTIGATOR, roles.DATA_MANAGER}),
        "can_set_lab_import": roles.DATA_MANAGER in names,
    }
