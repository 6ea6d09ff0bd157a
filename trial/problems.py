"""A calculation's refusal as data: a code and its values, worded where it is shown.

Pure Python (no Django): the science modules raise `Problem`; a page words it in the reader's
language from its code and values (imaging/problems.py), never by reading its English text.
`str()` of a problem is the English sentence, for logs and the pure tests.
"""

from __future__ import annotations


def shown(value: object) -> str:
    """A value as a problem states it: floats as Python writes them (2.5, -1.0, nan)."""
    return repr(value) if isinstance(value, float) else str(value)


class Problem(ValueError):
    """`code` names the problem; `english` is its sentence as a %-format over `values`."""

    def __init__(self, code: str, english: str, **values: object) -> None:
        self.code = code
        self.english = english
        self.values = values
        super().__init__(english % self.shown_values)

    @property
    def shown_values(self) -> dict[str, str]:
        return {name: shown(value) for name, value in self.values.items()}
