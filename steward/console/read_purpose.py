"""Console pages that show a customer's data go through the read door too (I5): the
staff member says why they are opening the record ("Why are you opening this record?"),
the choice is kept in their session for that customer, and every page view is one
access event. The owner of a request (or someone it is routed to) working on it needs
no question: service provision is assumed. Without a grant the page says so, with a
break-glass form."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.http import HttpResponse

from steward.consent.models import AccessEvent
from steward.consent.services import customer_data_read
from steward.consent.vocabulary import DataCategory, Purpose
from steward.errors import PermissionDenied
from steward.organisations.models import StaffMember

from .access import ConsoleRequest, page

SESSION_KEY = "console_read_purposes"


class ReadPurposeForm(forms.Form):
    purpose = forms.ChoiceField(label="Why are you opening this record?", choices=Purpose.choices)
    break_glass_reason = forms.CharField(
        label="Emergency: why you must open it without permission",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only in an emergency. The customer is told, and your supervisors see it.",
    )
    next = forms.CharField(widget=forms.HiddenInput, max_length=500)

    def clean_next(self) -> str:
        target = str(self.cleaned_data["next"])
        return target if target.startswith("/console/") and "//" not in target else "/console/"


def chosen(request: ConsoleRequest, customer_id: int) -> dict[str, str]:
    return dict(request.session.get(SESSION_KEY, {}).get(str(customer_id), {}))


def remember(request: ConsoleRequest, customer_id: int, *, purpose: str, break_glass_reason: str) -> None:
    kept = dict(request.session.get(SESSION_KEY, {}))
    kept[str(customer_id)] = {"purpose": purpose, "break_glass_reason": break_glass_reason.strip()}
    request.session[SESSION_KEY] = dict(list(kept.items())[-50:])


def read_or_ask(
    request: ConsoleRequest,
    staff: StaffMember,
    *,
    customer_id: int,
    categories: Sequence[str],
    resource: str,
    default_purpose: str | None = None,
) -> tuple[AccessEvent | None, HttpResponse | None]:
    """The access event of an allowed read, or the page to show instead: the question
    (no purpose yet) or the refusal with a break-glass form."""
    choice = chosen(request, customer_id)
    purpose = choice.get("purpose") or default_purpose
    form_data: dict[str, Any] = {"purpose": purpose or "", "next": request.get_full_path()}
    if not purpose:
        return None, _ask(request, staff, customer_id, ReadPurposeForm(initial=form_data), refusal="")
    try:
        event = customer_data_read(
            actor=staff,
            customer_id=customer_id,
            purpose=purpose,
            categories=categories,
            resource=resource,
            channel=AccessEvent.Channel.PAGE,
            break_glass_reason=choice.get("break_glass_reason", ""),
        )
    except PermissionDenied as exc:
        form = ReadPurposeForm(initial=form_data)
        return None, _ask(request, staff, customer_id, form, refusal=exc.message, status=403)
    return event, None


def read_story_or_refusal(staff: StaffMember, *, customer_id: int, resource: str) -> str:
    """For a page whose own subject (an offer) stays readable: read the customer's story
    for service provision, or say why not (the refusal is logged)."""
    try:
        customer_data_read(
            actor=staff,
            customer_id=customer_id,
            purpose=Purpose.SERVICE_PROVISION,
            categories=[DataCategory.MESSAGES],
            resource=resource,
            channel=AccessEvent.Channel.PAGE,
        )
    except PermissionDenied as exc:
        return exc.message
    return ""


def _ask(
    request: ConsoleRequest,
    staff: StaffMember,
    customer_id: int,
    form: ReadPurposeForm,
    *,
    refusal: str,
    status: int = 200,
) -> HttpResponse:
    return page(
        request,
        staff,
        "console/read_purpose.html",
        {"form": form, "customer_id": customer_id, "refusal": refusal},
        status=status,
    )
