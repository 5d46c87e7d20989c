"""The minimal grants that normal work makes, in one place: what a request, a service,
a handover offer and a transfer offer let an organisation read, on what basis, and the
words the customer reads about it. The services that start the work call these (inside
their own transactions); `grants_backfill` gives the same grants to work that existed
before grants did."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction

from .models import Grant
from .services import GrantNeed, grant_ensure, grants_ensure_bulk
from .vocabulary import DataCategory, LawfulBasis, Purpose

if TYPE_CHECKING:
    from steward.customers.models import Customer
    from steward.organisations.models import Organisation, StaffMember

REQUEST_CATEGORIES = (DataCategory.CONTACT_DETAILS.value, DataCategory.MESSAGES.value)
CARE_CATEGORIES = (DataCategory.CONTACT_DETAILS.value, DataCategory.CARE_PLAN.value, DataCategory.MESSAGES.value)


def for_request(*, customer_id: int, organisation_id: int, request_id: int, subject: str) -> GrantNeed:
    """The organisation holding a request may read contact details and messages to deal
    with it (the service the customer asked for: a contract)."""
    return GrantNeed(
        customer_id=customer_id,
        organisation_id=organisation_id,
        purpose=Purpose.SERVICE_PROVISION.value,
        categories=REQUEST_CATEGORIES,
        lawful_basis=LawfulBasis.CONTRACT.value,
        reason=f"To deal with your request #{request_id} “{subject}”.",
    )


def for_service(
    *, customer_id: int, provider_id: int, service: str, commissioner_name: str | None, by_council: bool
) -> GrantNeed:
    """A provider delivering a service may read what delivering care needs; a service
    a council commissioned rests on its public duty, any other on the contract."""
    arranged = f", arranged by {commissioner_name}" if commissioner_name else ""
    return GrantNeed(
        customer_id=customer_id,
        organisation_id=provider_id,
        purpose=Purpose.CARE_DELIVERY.value,
        categories=CARE_CATEGORIES,
        lawful_basis=(LawfulBasis.PUBLIC_TASK if by_council else LawfulBasis.CONTRACT).value,
        reason=f"To provide {service}{arranged}.",
    )


def for_commissioner(*, customer_id: int, commissioner_id: int, service: str, by_council: bool) -> GrantNeed:
    """The organisation that arranged a service may coordinate it (and move it
    between providers) without reading more than the service and its story."""
    return GrantNeed(
        customer_id=customer_id,
        organisation_id=commissioner_id,
        purpose=Purpose.CARE_COORDINATION.value,
        categories=CARE_CATEGORIES,
        lawful_basis=(LawfulBasis.PUBLIC_TASK if by_council else LawfulBasis.CONTRACT).value,
        reason=f"To arrange and oversee {service}.",
    )


def for_handover_offer(
    *, customer_id: int, organisation_id: int, request_id: int, subject: str, from_name: str, ends_at: datetime
) -> GrantNeed:
    """The pending offer is the receiver's legitimate relationship: it may read the
    request's story to decide, until the answer is due (ended early on a decline or a
    withdrawal)."""
    return GrantNeed(
        customer_id=customer_id,
        organisation_id=organisation_id,
        purpose=Purpose.SERVICE_PROVISION.value,
        categories=REQUEST_CATEGORIES,
        lawful_basis=LawfulBasis.CONTRACT.value,
        reason=f"{from_name} asked them to take over your request #{request_id} “{subject}”; "
        "to decide, they may read it until they answer.",
        ends_at=ends_at,
    )


def for_transfer_offer(
    *, customer_id: int, receiver_id: int, commissioner_name: str, from_name: str, ends_at: datetime
) -> GrantNeed:
    """A provider offered a client in a transfer may read what it needs to decide
    whether it can take over their care, until the answer is due."""
    return GrantNeed(
        customer_id=customer_id,
        organisation_id=receiver_id,
        purpose=Purpose.CARE_COORDINATION.value,
        categories=CARE_CATEGORIES,
        lawful_basis=LawfulBasis.PUBLIC_TASK.value,
        reason=f"{commissioner_name} asked them to take over your care from {from_name}; "
        "to decide, they may read your record until they answer.",
        ends_at=ends_at,
    )


def ensure(need: GrantNeed, *, customer: Customer, organisation: Organisation, actor: StaffMember | None) -> Grant:
    """`grant_ensure` for one of the needs above (inside the caller's transaction)."""
    return grant_ensure(
        customer=customer,
        organisation=organisation,
        purpose=need.purpose,
        categories=need.categories,
        lawful_basis=need.lawful_basis,
        reason=need.reason,
        actor=actor,
        ends_at=need.ends_at,
    )


@transaction.atomic
def grants_backfill(*, chunk: int = 500) -> int:
    """Give every request and every active service that existed before grants did its
    minimal grants (a database created before this change; the demo). Idempotent:
    work that already has its grants gets nothing new. Returns how many grants it made."""
    from steward.agreements.models import ServiceAgreement
    from steward.organisations.models import Organisation
    from steward.requests.models import Request

    councils = set(Organisation.objects.filter(kind=Organisation.Kind.COUNCIL).values_list("pk", flat=True))
    names = dict(Organisation.objects.values_list("pk", "name"))
    needs: list[GrantNeed] = [
        for_request(customer_id=c, organisation_id=o, request_id=r, subject=s)
        for r, c, o, s in Request.objects.order_by("pk").values_list("pk", "customer_id", "organisation_id", "subject")
    ]
    for customer_id, provider_id, commissioner_id, service in (
        ServiceAgreement.objects.filter(status=ServiceAgreement.Status.ACTIVE)
        .order_by("pk")
        .values_list("customer_id", "provider_id", "commissioner_id", "service")
    ):
        by_council = commissioner_id in councils
        needs.append(
            for_service(
                customer_id=customer_id,
                provider_id=provider_id,
                service=service,
                commissioner_name=names.get(commissioner_id) if commissioner_id else None,
                by_council=by_council,
            )
        )
        if commissioner_id:
            needs.append(
                for_commissioner(
                    customer_id=customer_id, commissioner_id=commissioner_id, service=service, by_council=by_council
                )
            )
    return grants_ensure_bulk(needs, actor=None, chunk=chunk)
