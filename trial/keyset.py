"""Keyset pages of a queryset ordered by one unique column (the participant list by code).

A page is cut from the last value seen (`after`) or the first (`before`), never by OFFSET and
never counted: the 100th page of 5,000 participants costs what the first does, one query of
PAGE + 1 rows (the extra row says whether there is a page beyond).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet


@dataclass
class Page:
    items: list[Any] = field(default_factory=list)
    # The cursors of the neighbouring pages: the key to read after, or before; "" when none.
    next_after: str = ""
    previous_before: str = ""

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_after or self.previous_before)

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def page(queryset: QuerySet, key: str, *, size: int, after: str = "", before: str = "") -> Page:
    """The page of `size` rows of `queryset` ordered by its unique column `key`: the first,
    the one after the value `after`, or the one before the value `before`."""
    if before:
        rows = list(queryset.filter(**{f"{key}__lt": before}).order_by(f"-{key}")[: size + 1])
    else:
        if after:
            queryset = queryset.filter(**{f"{key}__gt": after})
        rows = list(queryset.order_by(key)[: size + 1])
    return cut(rows, key, size=size, after=after, before=before)


def cut(rows: list[Any], key: str, *, size: int, after: str = "", before: str = "") -> Page:
    """The page from the `size` + 1 rows read after `after` in order of `key`, or before
    `before` in the reverse order: the extra row says whether there is a page beyond."""
    if before:
        more_before = len(rows) > size
        items = rows[:size][::-1]
        return Page(
            items,
            next_after=getattr(items[-1], key) if items else "",
            previous_before=getattr(items[0], key) if items and more_before else "",
        )
    items = rows[:size]
    return Page(
        items,
        next_after=getattr(items[-1], key) if len(rows) > size else "",
        previous_before=getattr(items[0], key) if items and after else "",
    )
