"""Queries (data clarification) and source-data verification: the monitors' and data
managers' writes, and the site's answers. Each runs in one write session."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from trial import queries, roles, sdv
from trial.actions.errors import ActionRefused, require_role
from trial.actions.jobs import file_review_ledger
from trial.actions.session import write
from trial.models import FormStatus, Query, QueryMessage, QueryMessageKind, QueryState, SdvMark

QUERY_TEXT_MAX = 2000


def _query_text(text: str, *, required: bool = True) -> str:
    # Kept as typed (plain text: the pages escape it); only the outer blanks go.
    text = (text or "").strip()
    if required and not text:
        raise ActionRefused(_("Write the message."))
    if len(text) > QUERY_TEXT_MAX:
        raise ActionRefused(
            _("Keep the message under %(max)s characters.") % {"max": QUERY_TEXT_MAX}
        )
    return text


def _locked_query(query: Query) -> Query:
    return Query.objects.select_for_update().get(pk=query.pk)


def open_query(user: Any, row: FormStatus, *, item: str, text: str) -> Query:
    """Raise a query on one item of a form (its address, see trial.queries.item_key), or on
    the whole form (item ""). The item's value now is kept, to show later changes."""
    require_role(user, roles.RAISE_QUERIES, _("raise queries"))
    text = _query_text(text)
    with write(user, row.participant_id, rows=[row], command="open_query") as w:
        (row,) = w.lock([row])
        values = queries.item_values(row)
        if item and item not in values:
            raise ActionRefused(_("This form has no such item."))
        query = Query.objects.create(
            participant=w.participant,
            row=row,
            item=item,
            value_when_raised=values.get(item) if item else None,
            opened_by=user,
        )
        QueryMessage.objects.create(
            query=query, kind=QueryMessageKind.RAISED, text=text, author=user
        )
    return query


def answer_query(user: Any, query: Query, *, text: str) -> Query:
    """The site's answer. Allowed on a locked form: the value itself can only change once a
    data manager unlocks it."""
    require_role(user, roles.ENTER_DATA, _("answer queries"))
    text = _query_text(text)
    with write(user, query.participant_id, command="answer_query"):
        query = _locked_query(query)
        if query.state == QueryState.CLOSED:
            raise ActionRefused(_("This query is closed."))
        QueryMessage.objects.create(
            query=query, kind=QueryMessageKind.ANSWERED, text=text, author=user
        )
        query.state = QueryState.ANSWERED
        query.save(update_fields=["state"])
    return query


def close_query(user: Any, query: Query, *, text: str = "") -> Query:
    require_role(user, roles.RAISE_QUERIES, _("close queries"))
    text = _query_text(text, required=False)
    with write(user, query.participant_id, command="close_query"):
        query = _locked_query(query)
        if query.state == QueryState.CLOSED:
            return query
        QueryMessage.objects.create(
            query=query, kind=QueryMessageKind.CLOSED, text=text, author=user
        )
        query.state, query.closed_at = QueryState.CLOSED, timezone.now()
        query.save(update_fields=["state", "closed_at"])
    return query


def reopen_query(user: Any, query: Query, *, text: str) -> Query:
    """Send an answered query back to the site, or re-open a closed one, saying why."""
    require_role(user, roles.RAISE_QUERIES, _("send queries back"))
    text = _query_text(text)
    with write(user, query.participant_id, command="reopen_query"):
        query = _locked_query(query)
        QueryMessage.objects.create(
            query=query, kind=QueryMessageKind.REOPENED, text=text, author=user
        )
        query.state, query.closed_at = QueryState.OPEN, None
        query.save(update_fields=["state", "closed_at"])
    return query


def record_correction(user: Any, query: Query, row: FormStatus, reason: str) -> None:
    """A save that corrects the value a query is about answers the query (inside the save's
    session)."""
    query = _locked_query(query)
    if query.row_id != row.pk:
        raise ActionRefused(_("This query belongs to another form."))
    if query.state == QueryState.CLOSED:
        raise ActionRefused(_("This query is closed."))
    QueryMessage.objects.create(
        query=query, kind=QueryMessageKind.CORRECTED, text=reason, author=user
    )
    query.state = QueryState.ANSWERED
    query.save(update_fields=["state"])


# --- Source-data verification -------------------------------------------------------------


def verify_items(user: Any, row: FormStatus, items: list[str] | None = None) -> int:
    """Mark items of a form as verified against the source, as they stand now (all of the
    form's items when `items` is None). Returns how many marks were added: an item already
    verified at its current value gets none."""
    require_role(user, roles.VERIFY_SOURCE, _("verify source data"))
    with write(user, row.participant_id, rows=[row], command="verify_items") as w:
        (row,) = w.lock([row])
        values = queries.item_values(row)
        if items is None:
            # Derived values have no source document to verify them against.
            items = sdv.verifiable(row, values)
        unknown = [item for item in items if item not in values]
        if unknown:
            raise ActionRefused(_("This form has no such item: %(item)s.") % {"item": unknown[0]})
        # The states read the ledger: filed up to now, so that a change made since the last
        # mark is seen and verified again.
        file_review_ledger()
        states = sdv.item_states([row]).get(row.pk, {})
        marks = [
            SdvMark(row=row, item=item, value=values[item], verified_by=user)
            for item in items
            if states.get(item) != sdv.VERIFIED
        ]
        SdvMark.objects.bulk_create(marks)
    return len(marks)
