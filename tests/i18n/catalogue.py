"""Where the French catalogue lives and how it is extracted (the Makefile's `messages`)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
LC_MESSAGES = BASE_DIR / "locale" / "fr" / "LC_MESSAGES"
PO = LC_MESSAGES / "django.po"
MO = LC_MESSAGES / "django.mo"
HOW_TO_BUILD = (
    "Build the catalogue with `locale/merge_parts.sh` (at merge time) or `make messages`, "
    "translate, then commit locale/fr/LC_MESSAGES/django.po and django.mo."
)


def messages_ignore() -> list[str]:
    """The directories makemessages skips: MESSAGES_IGNORE of the Makefile."""
    makefile = (BASE_DIR / "Makefile").read_text(encoding="utf-8")
    found = re.search(r"^MESSAGES_IGNORE := (.+)$", makefile, re.M)
    assert found, "MESSAGES_IGNORE missing from the Makefile"
    return found.group(1).split()


def require_gettext() -> None:
    missing = [tool for tool in ("xgettext", "msgmerge", "msgfmt") if not shutil.which(tool)]
    assert not missing, (
        f"GNU gettext is needed ({', '.join(missing)} missing): apt-get install gettext "
        "(.ci/run installs it)."
    )
