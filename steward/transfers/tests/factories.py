"""A transfer world: a council commissioning care from a provider that is closing, and
receiving providers, each a small organisation with a head, a team, a lead and two
members (see `requests.tests.factories.make_world`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from steward.agreements.models import ServiceAgreement
from steward.customers.models import Customer
from steward.customers.tests.factories import make_customer
from steward.requests.models import Request
from steward.requests.services import request_capture
from steward.requests.tests.factories import World, make_world


@dataclass
class TransferWorld:
    council: World
    old: World
    sunrise: World
    meadow: World
    clients: list[Customer] = field(default_factory=list)


def give_service(customer: Customer, provider: World, commissioner: World) -> ServiceAgreement:
    """An active service, made directly: these tests are about transfers, not about
    starting services (agreements.tests cover that)."""
    return ServiceAgreement.objects.create(
        customer=customer,
        provider=provider.org,
        commissioner=commissioner.org,
        team=provider.team,
        coordinator=provider.alice,
        service="Home care, two visits a day",
        started_at=timezone.now(),
    )


def make_transfer_world(clients: int = 4, requests_each: int = 1, suffix: str = "") -> TransferWorld:
    """`suffix` tells the organisations of a second world apart (names are unique)."""
    tw = TransferWorld(
        council=make_world("Northshire Council" + suffix),
        old=make_world("CheapCare Ltd" + suffix),
        sunrise=make_world("Sunrise Care" + suffix),
        meadow=make_world("Meadow Homecare" + suffix),
    )
    for i in range(clients):
        customer = make_customer(organisation=tw.old.org, given_name=f"Client{i}", family_name="Example")
        give_service(customer, tw.old, tw.council)
        for _ in range(requests_each):
            request_capture(customer=customer, need=tw.old.need, channel="phone", description="Care visit", actor=None)
        tw.clients.append(customer)
    return tw


def open_requests_at(customer: Customer, organisation_id: int) -> list[Request]:
    return list(Request.objects.filter(customer=customer, organisation_id=organisation_id).exclude(status="closed"))
