"""Reads for the privacy page's choices: which organisations the customer can give
permission to or ask (those that work with them), and their privacy requests."""

from __future__ import annotations

from django.db.models import QuerySet

from steward.consent.models import PrivacyRequest
from steward.consent.privacy import OPEN_STATUSES
from steward.customers.models import Customer
from steward.organisations.models import Organisation
from steward.timeline.models import TimelineEvent

PRIVACY_REQUESTS_SHOWN = 20


def organisations_working_with(*, customer: Customer) -> QuerySet[Organisation]:
    """Organisations that work with the customer: every one with an entry in their story
    (registered them, took a request, provides a service, holds a permission), by name.
    One query."""
    ids = TimelineEvent.objects.filter(customer=customer).values("organisation_id")
    return Organisation.objects.filter(pk__in=ids).order_by("name", "id")


def customer_privacy_requests(*, customer: Customer) -> QuerySet[PrivacyRequest]:
    """The customer's privacy requests, newest first (the page shows the latest
    `PRIVACY_REQUESTS_SHOWN`)."""
    return (
        PrivacyRequest.objects.filter(customer=customer)
        .select_related("organisation", "assigned_to")
        .order_by("-received_at", "-id")
    )


def open_privacy_request(*, customer: Customer, organisation: Organisation, kind: str) -> PrivacyRequest | None:
    """An open request of this kind the customer already made to this organisation."""
    return (
        PrivacyRequest.objects.filter(customer=customer, organisation=organisation, kind=kind, status__in=OPEN_STATUSES)
        .select_related("organisation", "assigned_to")
        .first()
    )
