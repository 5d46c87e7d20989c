"""Reads for the customer's own pages. Everything here is restricted to one customer:
a request of someone else reads as not found."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, IntegerField, QuerySet, Value, When

from steward.customers.contact_normalisation import normalise_email
from steward.customers.models import ContactPoint, Customer
from steward.errors import NotFound
from steward.needs.models import Need
from steward.needs.selectors import need_list
from steward.organisations.models import StaffMember
from steward.organisations.selectors import escalation_chains
from steward.requests.lifecycle import Status
from steward.requests.models import Request
from steward.timeline.models import TimelineEvent
from steward.trusted.models import TrustedPerson
from steward.trusted.selectors import trusts_for_email

from .models import CodeRequest

PORTAL_RELATED = ("need", "owner", "organisation", "team")


def customer_for_email(*, email: str) -> Customer | None:
    """The one customer with this email address, or None. An address shared by several
    customers signs nobody in (we cannot tell whose record to open)."""
    ids = set(
        ContactPoint.objects.filter(kind=ContactPoint.Kind.EMAIL, normalized=normalise_email(email)).values_list(
            "customer_id", flat=True
        )
    )
    if len(ids) != 1:
        return None
    return Customer.objects.filter(pk=ids.pop()).first()


def portal_customer(*, customer_id: int) -> Customer | None:
    return Customer.objects.filter(pk=customer_id).first()


@dataclass(frozen=True)
class Choice:
    """Whose requests a signed-in address may look at: the customer's own (``trusted``
    None) or those of a customer who trusts them."""

    customer: Customer
    trusted: TrustedPerson | None

    @property
    def key(self) -> str:
        return "self" if self.trusted is None else f"trusted-{self.trusted.pk}"


def portal_choices(*, email: str) -> list[Choice]:
    """Everyone a signed-in address may act as: themselves when the address is one
    customer's, then every customer who currently trusts it, by name."""
    choices = []
    own = customer_for_email(email=email)
    if own is not None:
        choices.append(Choice(customer=own, trusted=None))
    choices += [Choice(customer=t.customer, trusted=t) for t in trusts_for_email(email=email)]
    return choices


def address_is_known(*, email: str) -> bool:
    """A code is sent to this address: it is one customer's, or someone trusts it."""
    return customer_for_email(email=email) is not None or trusts_for_email(email=email).exists()


def code_requests_since(*, email: str, ip: str | None, since: datetime) -> tuple[int, int]:
    """How many codes were asked for this address, and from this IP, since `since`."""
    recent = CodeRequest.objects.filter(created_at__gte=since)
    by_email = recent.filter(email=email).count()
    by_ip = recent.filter(ip=ip).count() if ip else 0
    return by_email, by_ip


def customer_requests(*, customer: Customer) -> QuerySet[Request]:
    """The customer's requests: those still in play first (most urgent first), then
    closed ones, newest first."""
    return (
        Request.objects.filter(customer=customer)
        .select_related(*PORTAL_RELATED)
        .annotate(
            finished=Case(When(status=Status.CLOSED, then=Value(1)), default=Value(0), output_field=IntegerField())
        )
        .order_by("finished", "-created_at", "-id")
    )


def customer_request(*, customer: Customer, request_id: int) -> Request:
    try:
        return Request.objects.select_related(*PORTAL_RELATED).get(pk=request_id, customer=customer)
    except Request.DoesNotExist as exc:
        raise NotFound(f"There is no request #{request_id} of yours.", code="request_not_found") from exc


def chains_for(requests: list[Request]) -> dict[int, list[StaffMember]]:
    """Who each owner answers to, for a page of requests, in a bounded number of queries."""
    return escalation_chains(r.owner for r in requests if r.owner is not None)


def conversation(*, request: Request) -> QuerySet[TimelineEvent]:
    """What the customer may see of a request's story, oldest first: every entry that is
    not an internal note for staff."""
    return TimelineEvent.objects.filter(request=request, is_internal=False).order_by("occurred_at", "id")


def needs_by_organisation() -> list[tuple[str, list[Need]]]:
    """Every organisation's active needs, in the customer's words, grouped by organisation."""
    groups: dict[str, list[Need]] = defaultdict(list)
    for need in need_list():
        groups[need.organisation.name].append(need)
    return list(groups.items())
