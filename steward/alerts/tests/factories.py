"""A provider with a vulnerable client on an active service, commissioned by a council."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from steward.agreements.models import ServiceAgreement
from steward.agreements.services import agreement_start
from steward.customers.models import Customer
from steward.customers.tests.factories import make_customer
from steward.organisations.models import Organisation
from steward.requests.tests.factories import World, make_world


@dataclass
class CareWorld:
    provider: World  # head Hana, lead Lena, carers Alice (the coordinator) and Bob
    council: World
    client: Customer
    agreement: ServiceAgreement


def make_care_world(*, days_ago: int = 10, interval: int = 7, vulnerable: bool = True) -> CareWorld:
    """Alice coordinates home care for a client; the service started `days_ago` days ago
    and nobody has been in touch since."""
    n = Organisation.objects.filter(name__startswith="CheapCare Ltd").count()
    suffix = f" {n + 1}" if n else ""
    provider = make_world(f"CheapCare Ltd{suffix}")
    council = make_world(f"Northshire Council{suffix}")
    client = make_customer(organisation=council.org, is_vulnerable=vulnerable, given_name="Amina", family_name="Khan")
    agreement = agreement_start(
        customer=client,
        team=provider.team,
        coordinator=provider.alice,
        service="Home care, 2 visits a day",
        commissioner=council.org,
        contact_interval_days=interval,
        started_at=timezone.now() - timedelta(days=days_ago),
        actor=council.lead,
    )
    return CareWorld(provider=provider, council=council, client=client, agreement=agreement)


def later(days: float) -> datetime:
    return timezone.now() + timedelta(days=days)
