"""makemessages without fuzzy matching: a new msgid is left untranslated (the catalogue test
lists it) rather than given a neighbour's translation marked fuzzy ("dd" was offered
"Ajouter", from "Add")."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
