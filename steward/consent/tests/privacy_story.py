"""A customer with a full record, for the export, erasure and portability tests:
Zenobia Quartermaine, with an email, a phone and an address, a request captured by phone
with messages both ways and an internal note (resolved and closed), a service started and
ended, a grant she gave, an allowed read and a break-glass read."""

from __future__ import annotations

from dataclasses import dataclass

from steward.agreements.services import agreement_end, agreement_start
from steward.consent.services import customer_data_read, grant_create
from steward.customers.models import Customer
from steward.customers.services import ContactPointData, customer_create
from steward.requests.models import Request
from steward.requests.services import request_add_message, request_add_note, request_capture, request_change_status
from steward.requests.tests.factories import World

NAME = "Zenobia Quartermaine"
EMAIL = "zenobia.q@example.net"
PHONE = "07700 900123"
ADDRESS = "12 Larkspur Row, Northtown"


@dataclass
class Story:
    customer: Customer
    request: Request


def tell(world: World) -> Story:
    customer = customer_create(
        given_name="Zenobia",
        family_name="Quartermaine",
        preferred_name="Zen",
        accessibility_needs="Large print please",
        what_matters_to_me="My cat, Biscuit",
        is_vulnerable=True,
        contact_points=[
            ContactPointData(kind="email", value=EMAIL, is_preferred=True),
            ContactPointData(kind="phone", value=PHONE),
            ContactPointData(kind="address", value=ADDRESS, postcode="NT1 4QZ"),
        ],
        actor=world.alice,
    )
    request = request_capture(
        customer=customer,
        need=world.need,
        channel="phone",
        description=f"{NAME} rang from {PHONE}: her carer did not come last night.",
        actor=world.alice,
    )
    request.refresh_from_db()
    owner = request.owner
    request_add_message(
        request=request, actor=owner, direction="out", body="Dear Zenobia, we are on it.", channel="email"
    )
    request_add_message(
        request=request, actor=owner, direction="in", body=f"Thank you. Write to {EMAIL}.", channel="email"
    )
    request_add_note(request=request, actor=owner, body=f"{NAME} sounded frail; called the agency.")
    request_change_status(request=request, status="resolved", actor=owner)
    request_change_status(request=request, status="closed", actor=owner)
    agreement = agreement_start(
        customer=customer,
        team=world.team,
        coordinator=world.lead,
        service="Home care, two visits a day",
        actor=world.head,
    )
    agreement_end(agreement=agreement, actor=world.head, reason=f"{NAME} moved to her daughter's")
    grant_create(
        customer=customer,
        organisation=world.org,
        purpose="care_delivery",
        categories=["care_plan", "contact_details"],
        lawful_basis="consent",
        by_customer=True,
    )
    customer_data_read(
        actor=world.bob,
        customer_id=customer.pk,
        purpose="care_delivery",
        categories=["care_plan"],
        resource="timeline",
        channel="page",
    )
    customer_data_read(
        actor=world.bob,
        customer_id=customer.pk,
        purpose="billing",
        categories=["financial"],
        resource="customer",
        channel="api",
        break_glass_reason=f"{NAME} collapsed; ambulance needs her details",
    )
    return Story(customer=customer, request=request)
