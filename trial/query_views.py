"""Pages of queries (data clarification): raise one on a form's item, read and answer it,
close it or send it back. Thin: each checks access, calls a form and an action, redirects."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from trial import actions, queries, roles, selectors, shown_items
from trial.models import Query, QueryState


class QueryTextForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Message"),
        max_length=actions.QUERY_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RaiseQueryForm(QueryTextForm):
    item = forms.ChoiceField(label=gettext_lazy("Item"), required=False)

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", gettext_lazy("The whole form")), *items]
        self.order_fields(["item", "text"])


def _query_or_404(request, code: str, pk: int) -> Query:
    participant = selectors.participant_or_404(request.user, code)
    query = (
        Query.objects.filter(participant=participant, pk=pk)
        .select_related("row", "participant__site", "opened_by")
        .first()
    )
    if query is None:
        raise Http404
    return query


@require_http_methods(["GET", "POST"])
def query_raise(request, code: str, event: str, form: str, repeat: int) -> HttpResponse:
    if not roles.has_any(request.user, roles.RAISE_QUERIES):
        raise Http404
    participant = selectors.participant_or_404(request.user, code)
    timezone.activate(participant.site.time_zone)
    row = selectors.form_status_or_404(participant, event, form, repeat)
    raise_form = RaiseQueryForm(request.POST or None, items=queries.item_labels(row))
    if request.method == "POST" and raise_form.is_valid():
        try:
            query = actions.open_query(
                request.user,
                row,
                item=raise_form.cleaned_data["item"],
                text=raise_form.cleaned_data["text"],
            )
        except actions.ActionRefused as refusal:
            raise_form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Query raised."))
            return redirect("query_detail", code=participant.code, pk=query.pk)
    return render(
        request,
        "trial/query_raise.html",
        {"participant": participant, "row": row, "form": raise_form},
    )


def query_detail(request, code: str, pk: int) -> HttpResponse:
    query = _query_or_404(request, code, pk)
    timezone.activate(query.participant.site.time_zone)
    (view,) = queries.present([query], {query.row_id: queries.item_values(query.row)})
    row = query.row
    key = f"{row.event}/{row.form}/{row.repeat}.{query.item}"
    return render(
        request,
        "trial/query_detail.html",
        {
            "participant": query.participant,
            "query": query,
            "view": view,
            "item_label": dict(queries.item_labels(row)).get(query.item, query.item),
            # The value as stored ("163.0") in the reader's words ("163,0").
            "value_when_raised": shown_items.value(key, query.value_when_raised),
            "value_now": shown_items.value(key, view.current),
            "thread": query.messages.select_related("author"),
            "text_form": QueryTextForm(),
            "can_answer": roles.can_enter_data(request.user) and query.state != QueryState.CLOSED,
            "can_review": roles.has_any(request.user, roles.RAISE_QUERIES),
            "correct_url": reverse(
                "crf_edit", args=[query.participant.code, row.event, row.form, row.repeat]
            )
            + f"?query={query.pk}",
        },
    )


ACTIONS = {
    "answer": actions.answer_query,
    "close": actions.close_query,
    "reopen": actions.reopen_query,
}


@require_POST
def query_act(request, code: str, pk: int, what: str) -> HttpResponse:
    query = _query_or_404(request, code, pk)
    action = ACTIONS.get(what)
    if action is None:
        raise Http404
    text_form = QueryTextForm(request.POST)
    text = request.POST.get("text", "")
    if what != "close" and not text_form.is_valid():
        messages.error(request, _("Write the message."))
        return redirect("query_detail", code=code, pk=pk)
    try:
        action(request.user, query, text=text)
    except actions.ActionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        done = {"answer": _("Answer sent."), "close": _("Query closed."), "reopen": _("Sent back.")}
        messages.success(request, done[what])
    return redirect("query_detail", code=code, pk=pk)
