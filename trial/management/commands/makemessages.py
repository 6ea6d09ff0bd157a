"""makemessages without fuzzy matching: a new msgid is left untranslated (the catalogue test
lists it) rather than given a neighbour's translation marked fuzzy ("dd" was offered
"Ajouter", from "Add").

The catalogue is also written sorted by msgid and without source locations: several people
adding strings at once then touch different places of django.po, and a moved line of code
does not rewrite hundreds of "#: file:line" comments, so branches merge without conflicts."""

import re
from pathlib import Path

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [
        *makemessages.Command.msgmerge_options,
        "--no-fuzzy-matching",
        "--sort-output",
        "--no-location",
    ]

    def write_po_file(self, potfile: str, locale: str) -> None:
        super().write_po_file(potfile, locale)
        # The extraction time changes at every run and would make every branch conflict on
        # the header: the catalogue's header keeps no date.
        for base in self.locale_paths:
            po = Path(base) / locale / "LC_MESSAGES" / f"{self.domain}.po"
            if po.exists():
                text = po.read_text(encoding="utf-8")
                fixed = re.sub(r'"POT-Creation-Date: [^"]*\\n"\n', "", text)
                if fixed != text:
                    po.write_text(fixed, encoding="utf-8")
