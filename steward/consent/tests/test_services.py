"""Grants, receipts and the read door (I5): no read without a grant, every read logged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from steward.consent.chain import verify_chain
from steward.consent.models import AccessEvent, Grant, GrantReceipt
from steward.consent.selectors import break_glass_report
from steward.consent.services import customer_data_read, grant_create, grant_revoke
from steward.errors import InvalidInput, PermissionDenied
from steward.requests.tests.factories import World, make_world
from steward.timeline.models import TimelineEvent


@pytest.fixture
def world(db) -> World:
    return make_world("Northshire")


def _read(world: World, purpose: str = "billing", **kwargs):
    return customer_data_read(
        actor=kwargs.pop("actor", world.alice),
        customer_id=world.customer.pk,
        purpose=purpose,
        categories=kwargs.pop("categories", ["contact_details"]),
        resource="customer",
        channel="api",
        **kwargs,
    )


def test_no_read_without_a_grant_and_the_refusal_is_logged(world: World) -> None:
    with pytest.raises(PermissionDenied) as refused:
        _read(world)
    assert refused.value.code == "no_grant"
    assert "recorded in the customer's access log" in refused.value.message
    event = AccessEvent.objects.get(customer=world.customer)
    assert (event.outcome, event.staff_name, event.purpose) == ("refused", "Alice Able", "billing")


def test_a_grant_for_the_purpose_and_categories_allows_the_read(world: World) -> None:
    grant_create(
        customer=world.customer,
        organisation=world.org,
        purpose="billing",
        categories=["contact_details"],
        lawful_basis="consent",
        by_customer=True,
    )
    event = _read(world)
    assert event.outcome == "allowed" and event.grant is not None
    with pytest.raises(PermissionDenied):
        _read(world, purpose="marketing")  # another purpose
    with pytest.raises(PermissionDenied):
        _read(world, categories=["contact_details", "financial"])  # a category it does not cover
    assert list(AccessEvent.objects.order_by("seq").values_list("outcome", flat=True)) == [
        "allowed",
        "refused",
        "refused",
    ]


def test_a_team_grant_covers_only_that_team(world: World) -> None:
    other = make_world("Elsewhere")
    grant_create(
        customer=world.customer,
        organisation=world.org,
        team=world.team,
        purpose="care_delivery",
        categories=["care_plan"],
        lawful_basis="consent",
        by_customer=True,
    )
    assert _read(world, purpose="care_delivery", categories=["care_plan"]).outcome == "allowed"
    with pytest.raises(PermissionDenied):
        _read(world, actor=world.head, purpose="care_delivery", categories=["care_plan"])  # in no team
    with pytest.raises(PermissionDenied):
        _read(world, actor=other.alice, purpose="care_delivery", categories=["care_plan"])


def test_revoking_consent_stops_reads_at_once_and_leaves_receipts(world: World) -> None:
    grant = grant_create(
        customer=world.customer,
        organisation=world.org,
        purpose="marketing",
        categories=["contact_details"],
        lawful_basis="consent",
        by_customer=True,
    )
    _read(world, purpose="marketing")
    grant_revoke(grant=grant, by_customer=True)
    with pytest.raises(PermissionDenied):
        _read(world, purpose="marketing")
    receipts = list(GrantReceipt.objects.filter(customer=world.customer).order_by("at", "id"))
    assert [r.action for r in receipts] == ["granted", "revoked"]
    assert receipts[0].by == world.customer.full_name
    assert "telling you about other services" in receipts[0].wording
    kinds = set(TimelineEvent.objects.filter(customer=world.customer).values_list("kind", flat=True))
    assert {"grant_given", "grant_revoked"} <= kinds


def test_a_customer_cannot_revoke_what_rests_on_a_legal_duty_but_is_told_why(world: World) -> None:
    grant = grant_create(
        customer=world.customer,
        organisation=world.org,
        purpose="safeguarding",
        categories=["health_notes"],
        lawful_basis="legal_obligation",
        by_customer=False,
        actor=world.lead,
        reason="The Care Act 2014 requires us to look into concerns about your safety.",
    )
    with pytest.raises(PermissionDenied) as refused:
        grant_revoke(grant=grant, by_customer=True)
    assert refused.value.code == "grant_not_revocable"
    assert "Care Act 2014" in refused.value.message
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_bad_grants_are_refused_and_change_nothing(world: World) -> None:
    base = {"customer": world.customer, "organisation": world.org, "by_customer": True}
    cases = [
        ({"purpose": "gossip", "categories": ["contact_details"], "lawful_basis": "consent"}, "purpose_unknown"),
        ({"purpose": "billing", "categories": ["shoe_size"], "lawful_basis": "consent"}, "category_unknown"),
        ({"purpose": "billing", "categories": [], "lawful_basis": "consent"}, "category_unknown"),
        ({"purpose": "billing", "categories": ["financial"], "lawful_basis": "contract"}, "customer_grants_consent"),
    ]
    for kwargs, code in cases:
        with pytest.raises(InvalidInput) as refused:
            grant_create(**base, **kwargs)
        assert refused.value.code == code
    with pytest.raises(InvalidInput) as refused:
        grant_create(
            customer=world.customer,
            organisation=world.org,
            purpose="billing",
            categories=["financial"],
            lawful_basis="contract",
            by_customer=False,
            actor=world.lead,
        )
    assert refused.value.code == "reason_required"
    assert not Grant.objects.exists() and not GrantReceipt.objects.exists()


def test_break_glass_is_allowed_logged_told_to_the_customer_and_reported(world: World) -> None:
    with pytest.raises(PermissionDenied):
        _read(world, purpose="safeguarding", categories=["health_notes"])
    event = _read(
        world,
        purpose="safeguarding",
        categories=["health_notes"],
        break_glass_reason="Paramedics on site; she cannot speak and we need her medication list.",
    )
    assert event.outcome == "break_glass"
    told = TimelineEvent.objects.get(customer=world.customer, kind="break_glass")
    assert "in an emergency" in told.summary and "Paramedics" in told.summary
    assert list(break_glass_report(organisation_id=world.org.pk)) == [event]


def test_the_access_log_is_a_hash_chain_that_shows_tampering(world: World) -> None:
    grant_create(
        customer=world.customer,
        organisation=world.org,
        purpose="billing",
        categories=["contact_details"],
        lawful_basis="consent",
        by_customer=True,
    )
    for _ in range(3):
        _read(world)
    assert verify_chain(world.customer.pk) is None
    call_command("verify_access_log")
    with pytest.raises(RuntimeError):
        AccessEvent.objects.filter(seq=2).update(staff_name="Nobody")  # the model refuses
    with connection.cursor() as cursor:  # someone with database access tries anyway
        cursor.execute(
            "UPDATE consent_accessevent SET staff_name = %s WHERE seq = 2 AND customer_id = %s",
            ["Nobody", world.customer.pk],
        )
    broken = verify_chain(world.customer.pk)
    assert broken is not None and broken.seq == 2
    with pytest.raises(CommandError, match="event 2"):
        call_command("verify_access_log")


def test_a_grant_that_has_ended_no_longer_allows(world: World) -> None:
    now = timezone.now()
    grant_create(
        customer=world.customer,
        organisation=world.org,
        purpose="billing",
        categories=["contact_details"],
        lawful_basis="consent",
        by_customer=True,
        starts_at=now - timedelta(days=10),
        ends_at=now - timedelta(days=1),
    )
    with pytest.raises(PermissionDenied):
        _read(world)
