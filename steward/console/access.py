"""Who may use the console: signed-in users who are active staff members.

Every console view is wrapped in `staff_required`, which hands the view the acting
`StaffMember` so no view has to look it up (or forget to)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec
from urllib.parse import quote

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from steward.organisations.models import StaffMember
from steward.organisations.selectors import staff_for_user

P = ParamSpec("P")


class ConsoleRequest(HttpRequest):
    """An `HttpRequest` as the console sees it (django-htmx adds `htmx`)."""

    htmx: HtmxDetails


StaffView = Callable[Concatenate[ConsoleRequest, StaffMember, P], HttpResponse]


def staff_required(view: StaffView[P]) -> Callable[Concatenate[ConsoleRequest, P], HttpResponse]:
    """Sign-in required; a signed-in user with no active staff record gets a 403 page
    that says so (rather than a loop back to the sign-in form)."""

    @wraps(view)
    def wrapper(request: ConsoleRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            if request.htmx:
                # A fragment request after the session ended: send the whole page to
                # sign-in, not a sign-in form squeezed into part of the page.
                login = reverse("console:login")
                return HttpResponseClientRedirect(f"{login}?next={quote(request.htmx.current_url_abs_path or '')}")
            return redirect_to_login(request.get_full_path())
        staff = staff_for_user(request.user)
        if staff is None:
            return render(request, "console/not_staff.html", status=403)
        return view(request, staff, *args, **kwargs)

    return wrapper


def page(
    request: HttpRequest,
    staff: StaffMember,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    """Render a console page; the header needs to know who is signed in (and whether
    they visit customers, for the "My visits today" link, and plan, for "Schedule")."""
    header = {"staff": staff, "is_carer": is_carer(request, staff), "is_planner": is_planner(request, staff)}
    return render(request, template, {**header, **(context or {})}, status=status)


CARER_SESSION_KEY = "console_is_carer"


def is_carer(request: HttpRequest, staff: StaffMember) -> bool:
    """Whether the signed-in staff member is a carer, as noted in their session at sign-in
    (``remember_carer``) so the header costs no query on every page; the carer's day pages
    note it again, so it follows a change without signing in again."""
    kept = request.session.get(CARER_SESSION_KEY) if hasattr(request, "session") else None
    return isinstance(kept, list) and len(kept) == 2 and kept[0] == staff.pk and bool(kept[1])


def remember_carer(request: HttpRequest, staff: StaffMember | None, *, carer: object = ...) -> None:
    """Note in the session whether ``staff`` visits customers (``carer``: their carer
    record or None when already read)."""
    if staff is None:
        return
    if carer is ...:
        from steward.care.models import Carer  # the console reads care only for this link

        active = Carer.objects.filter(staff=staff, is_active=True).exists()
    else:
        active = carer is not None and bool(getattr(carer, "is_active", False))
    if request.session.get(CARER_SESSION_KEY) != [staff.pk, active]:  # an unchanged session is not saved
        request.session[CARER_SESSION_KEY] = [staff.pk, active]


def not_found(request: HttpRequest, staff: StaffMember, message: str) -> HttpResponse:
    """A 404 in the console's own words. Not-visible reads as not-found, so staff of
    one organisation cannot tell which request numbers exist in another."""
    return page(request, staff, "console/not_found.html", {"message": message}, status=404)


PLANNER_SESSION_KEY = "console_is_planner"


def is_planner(request: HttpRequest, staff: StaffMember) -> bool:
    """Whether the signed-in staff member may plan visits (``visits.permissions.can_plan``),
    as noted in their session at sign-in (``remember_planner``), so the header's Schedule
    link costs no query; the Schedule page notes it again, so it follows a change."""
    kept = request.session.get(PLANNER_SESSION_KEY) if hasattr(request, "session") else None
    return isinstance(kept, list) and len(kept) == 2 and kept[0] == staff.pk and bool(kept[1])


def remember_planner(request: HttpRequest, staff: StaffMember | None, *, planner: bool | None = None) -> None:
    """Note in the session whether ``staff`` may plan (``planner``: already known, or None
    to ask). Only staff of a care provider plan visits."""
    if staff is None:
        return
    if planner is None:
        from steward.visits.permissions import can_plan  # the console reads visits only for this link

        planner = staff.organisation.kind == "care_provider" and can_plan(staff, organisation_id=staff.organisation_id)
    if request.session.get(PLANNER_SESSION_KEY) != [staff.pk, planner]:  # an unchanged session is not saved
        request.session[PLANNER_SESSION_KEY] = [staff.pk, planner]
