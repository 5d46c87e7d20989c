"""The minimal grants normal work makes, visibly (issue 4): a request, a handover offer
and its acceptance, a service, and the backfill for work that came before grants."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from steward.agreements.services import agreement_start
from steward.consent.minimal import grants_backfill
from steward.consent.models import Grant, GrantReceipt
from steward.consent.services import GrantNeed, grants_ensure_bulk
from steward.handovers.services import handover_accept, handover_decline, handover_offer
from steward.requests.services import request_capture
from steward.requests.tests.factories import World, make_world
from steward.timeline.models import TimelineEvent


@pytest.fixture
def world(db) -> World:
    return make_world("Northshire")


def _capture(world: World):
    return request_capture(
        customer=world.customer, need=world.need, channel="phone", description="No carer", actor=world.alice
    )


def test_capturing_a_request_grants_its_organisation_service_provision(world: World) -> None:
    request = _capture(world)
    grant = Grant.objects.get(customer=world.customer)
    assert (grant.organisation, grant.purpose, grant.lawful_basis, grant.source) == (
        world.org,
        "service_provision",
        "contract",
        "automatic",
    )
    assert grant.categories == ["contact_details", "messages"] and grant.ends_at is None
    assert grant.reason == f"To deal with your request #{request.pk} “My carer didn't come”."
    assert GrantReceipt.objects.filter(grant=grant, action="granted").count() == 1
    assert TimelineEvent.objects.filter(customer=world.customer, kind="grant_given").count() == 1
    _capture(world)  # a second request is covered by the same grant
    assert Grant.objects.filter(customer=world.customer).count() == 1


def test_a_handover_offer_lets_the_receiver_read_until_its_answer_is_due_and_a_decline_ends_it(world: World) -> None:
    other = make_world("Sunrise Care")
    request = _capture(world)
    offer = handover_offer(request=request, actor=request.owner, reason="Their patch", to_organisation=other.org)
    temporary = Grant.objects.get(customer=world.customer, organisation=other.org)
    assert temporary.ends_at == offer.respond_by and temporary.purpose == "service_provision"
    handover_decline(offer=offer, actor=other.alice, reason="Not ours")
    temporary.refresh_from_db()
    assert temporary.revoked_at is not None
    assert GrantReceipt.objects.filter(grant=temporary, action="revoked").count() == 1


def test_accepting_a_handover_grants_the_acceptor_for_good(world: World) -> None:
    other = make_world("Sunrise Care")
    request = _capture(world)
    offer = handover_offer(request=request, actor=request.owner, reason="Their patch", to_organisation=other.org)
    handover_accept(offer=offer, actor=other.alice)
    grants = Grant.objects.filter(customer=world.customer, organisation=other.org, revoked_at__isnull=True)
    assert sorted((g.ends_at is None) for g in grants) == [False, True]  # the offer's, and the lasting one


def test_a_service_grants_care_delivery_to_the_provider_and_coordination_to_a_council(world: World) -> None:
    provider = make_world("Sunrise Care")
    world.org.kind = "council"
    world.org.save()
    agreement_start(
        customer=world.customer,
        team=provider.team,
        coordinator=provider.alice,
        service="Home care",
        commissioner=world.org,
        actor=world.alice,
    )
    by_org = {g.organisation_id: g for g in Grant.objects.filter(customer=world.customer)}
    assert (by_org[provider.org.pk].purpose, by_org[provider.org.pk].lawful_basis) == ("care_delivery", "public_task")
    assert by_org[provider.org.pk].categories == ["care_plan", "contact_details", "messages"]
    assert (by_org[world.org.pk].purpose, by_org[world.org.pk].lawful_basis) == ("care_coordination", "public_task")


def test_the_backfill_gives_old_work_its_grants_once(world: World) -> None:
    _capture(world)
    with transaction.atomic():
        Grant.objects.all().update(revoked_at=timezone.now())  # as if made before grants existed
    assert grants_backfill() == 1
    assert grants_backfill() == 0
    call_command("backfill_grants", stdout=io.StringIO())
    assert Grant.objects.filter(customer=world.customer, revoked_at__isnull=True).count() == 1


def test_bulk_ensure_makes_each_grant_once_with_its_receipt_and_timeline_entry(world: World) -> None:
    others = [make_world(f"Provider {n}") for n in range(3)]
    ends = timezone.now() + timedelta(days=2)
    needs = [
        GrantNeed(
            customer_id=o.customer.pk,
            organisation_id=world.org.pk,
            purpose="care_coordination",
            categories=("contact_details",),
            lawful_basis="public_task",
            reason="To decide",
            ends_at=ends,
        )
        for o in others
    ]
    with transaction.atomic():
        assert grants_ensure_bulk(needs + needs, actor=None) == 3
        assert grants_ensure_bulk(needs, actor=None) == 0
    assert GrantReceipt.objects.count() == 3
    assert TimelineEvent.objects.filter(kind="grant_given").count() == 3
    # an open-ended need is not met by a time-limited grant
    with transaction.atomic():
        assert grants_ensure_bulk([GrantNeed(**{**needs[0].__dict__, "ends_at": None})], actor=None) == 1
