"""The administrator's pages (PROTOCOL.md section 6: users, sites, roles), in the product:
accounts, sites, dated role assignments, the roles-over-time report (CSV, PDF) and the
administration trail. Administrators only (a 404 for anyone else); every change goes through
trial.actions.administration with its reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from trial import actions, history, pdf, roles, roles_report, selectors
from trial.accounts import has_second_factor
from trial.admin_forms import (
    AccountForm,
    AssignmentForm,
    EndAssignmentForm,
    NewAccountForm,
    PasswordResetForm,
    ReasonForm,
    RolesReportForm,
    SiteForm,
)
from trial.models import RoleAssignment, Site


def _administrator(request) -> None:
    if not roles.has_any(request.user, roles.MANAGE_ACCOUNTS):
        raise Http404


def _attempt(form, step: Callable[[], Any]) -> bool:
    """Run the action; a refusal is shown on the form, with everything typed kept."""
    try:
        step()
    except actions.ActionRefused as refused:
        form.add_error(None, str(refused))
        return False
    return True


@require_http_methods(["GET"])
def users(request) -> HttpResponse:
    _administrator(request)
    people = list(
        get_user_model()
        .objects.prefetch_related("groups", "memberships__site")
        .order_by("username")
    )
    locked = {lock.username for lock in selectors.current_locks()}
    rows = [{"person": person, "locked": person.username in locked} for person in people]
    return render(request, "trial/admin/users.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
def user_new(request) -> HttpResponse:
    _administrator(request)
    form = NewAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        made: dict[str, Any] = {}

        def create() -> None:
            made["user"] = actions.create_user(
                request.user,
                username=data["username"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                password=data["password"],
                reason=data["reason"],
            )

        if _attempt(form, create):
            messages.success(
                request,
                _("Account %(user)s created. Assign a role to let it log in.")
                % {"user": made["user"].username},
            )
            return redirect("admin_user", pk=made["user"].pk)
    return render(request, "trial/admin/user_new.html", {"form": form})


# The forms of the account page, by the name of the button that posts them.
_USER_FORMS = {
    "details": AccountForm,
    "deactivate": ReasonForm,
    "activate": ReasonForm,
    "password": PasswordResetForm,
    "second_factor": ReasonForm,
    "unlock": ReasonForm,
    "assign": AssignmentForm,
}


@require_http_methods(["GET", "POST"])
def user_detail(request, pk: int) -> HttpResponse:
    _administrator(request)
    person = get_object_or_404(get_user_model(), pk=pk)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    forms: dict[str, Any] = {
        "details": AccountForm(
            initial={
                "first_name": person.first_name,
                "last_name": person.last_name,
                "email": person.email,
            },
            prefix="details",
        ),
        "assign": AssignmentForm(initial={"starts_on": timezone.localdate()}, prefix="assign"),
    }
    for name, form_class in _USER_FORMS.items():
        forms.setdefault(name, form_class(prefix=name))
    end_forms: dict[int, EndAssignmentForm] = {}
    if action in _USER_FORMS:
        form = _USER_FORMS[action](request.POST, prefix=action)
        forms[action] = form
        if form.is_valid() and _attempt(form, lambda: _user_change(request, person, action, form)):
            return redirect("admin_user", pk=person.pk)
    elif action.startswith("end-"):
        assignment = get_object_or_404(RoleAssignment, pk=_int(action[4:]), user=person)
        form = EndAssignmentForm(request.POST, prefix=action)
        end_forms[assignment.pk] = form
        if form.is_valid() and _attempt(
            form,
            lambda: actions.end_assignment(
                request.user,
                assignment,
                ends_on=form.cleaned_data["ends_on"],
                reason=form.cleaned_data["reason"],
            ),
        ):
            messages.success(request, _("The end of the assignment is recorded."))
            return redirect("admin_user", pk=person.pk)
    today = timezone.localdate()
    assignments = [
        {
            "a": assignment,
            "current": assignment.in_force(today),
            "end_form": end_forms.get(assignment.pk)
            or EndAssignmentForm(prefix=f"end-{assignment.pk}", initial={"ends_on": today}),
        }
        for assignment in person.role_assignments.select_related("site").order_by("starts_on", "pk")
    ]
    return render(
        request,
        "trial/admin/user_detail.html",
        {
            "person": person,
            "forms": forms,
            "assignments": assignments,
            "locked_until": selectors.locked_until(person.username),
            "second_factor": has_second_factor(person),
            "roles_now": sorted(person.groups.values_list("name", flat=True)),
        },
    )


def _user_change(request, person, action: str, form) -> None:
    data, actor, reason = form.cleaned_data, request.user, form.cleaned_data["reason"]
    if action == "details":
        actions.update_user(
            actor,
            person,
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            reason=reason,
        )
        messages.success(request, _("The account is changed."))
    elif action in ("deactivate", "activate"):
        actions.set_active(actor, person, action == "activate", reason=reason)
        messages.success(
            request,
            _("The account is active again.")
            if action == "activate"
            else _("The account is deactivated: its sessions are ended."),
        )
    elif action == "password":
        actions.reset_password(actor, person, data["password"], reason=reason)
        messages.success(request, _("The password is reset: its sessions are ended."))
    elif action == "second_factor":
        actions.reset_second_factor(actor, person, reason=reason)
        messages.success(
            request, _("The second factor is removed: a new app is set up at the next login.")
        )
    elif action == "unlock":
        if actions.lift_lock(actor, person.username, reason=reason, request=request) is None:
            messages.info(request, _("%(user)s was not locked.") % {"user": person.username})
        else:
            messages.success(
                request, _("The lock of %(user)s is lifted.") % {"user": person.username}
            )
    elif action == "assign":
        actions.assign_role(
            actor,
            person,
            role=data["role"],
            site=data["site"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            reason=reason,
        )
        messages.success(request, _("The role is assigned."))


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise Http404 from None


@require_http_methods(["GET", "POST"])
def sites(request) -> HttpResponse:
    _administrator(request)
    form = SiteForm(request.POST or None, initial={"time_zone": "Europe/Paris", "language": "fr"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _attempt(form, lambda: actions.save_site(request.user, None, **data)):
            messages.success(request, _("Site %(code)s created.") % {"code": data["code"].upper()})
            return redirect("admin_sites")
    return render(
        request,
        "trial/admin/sites.html",
        {"sites": Site.objects.order_by("code"), "form": form},
    )


@require_http_methods(["GET", "POST"])
def site_detail(request, pk: int) -> HttpResponse:
    _administrator(request)
    site = get_object_or_404(Site, pk=pk)
    initial = {
        "code": site.code,
        "name": site.name,
        "time_zone": site.time_zone,
        "language": site.language,
    }
    form = SiteForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _attempt(form, lambda: actions.save_site(request.user, site, **data)):
            messages.success(request, _("Site %(code)s changed.") % {"code": site.code})
            return redirect("admin_sites")
    return render(request, "trial/admin/site_detail.html", {"site": site, "form": form})


@require_http_methods(["GET"])
def roles_over_time(request) -> HttpResponse:
    """The report on the page; ?format=csv or pdf downloads it (one site, or all)."""
    _administrator(request)
    form = RolesReportForm(request.GET or None)
    site = form.cleaned_data["site"] if form.is_valid() else None
    rows = roles_report.held([site.pk] if site is not None else None)
    name = f"roles-over-time-{site.code if site else 'all-sites'}"
    wanted = request.GET.get("format", "")
    if wanted == "csv":
        response = HttpResponse(roles_report.csv_bytes(rows), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    if wanted == "pdf":
        label = site.code if site else _("all sites")
        response = HttpResponse(pdf.roles_pdf(rows, sites=label), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return response
    return render(
        request,
        "trial/admin/roles.html",
        {"form": form, "rows": rows, "site": site, "query": request.GET.urlencode()},
    )


@require_http_methods(["GET"])
def trail(request) -> HttpResponse:
    """Every change of accounts, roles, assignments, sites and second factors, with who,
    when, why and from where."""
    _administrator(request)
    return render(request, "trial/admin/trail.html", {"changes": history.account_changes()})
