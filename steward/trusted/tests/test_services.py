"""Naming, changing and ending trusted people: each change is the customer's, writes a
timeline entry they can read, and bad input changes nothing (I7)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from steward.consent.chain import verify_chain
from steward.consent.models import AccessEvent
from steward.consent.services import customer_data_read
from steward.consent.vocabulary import DataCategory, Purpose
from steward.consent.wording import access_sentence
from steward.customers.tests.factories import make_customer
from steward.errors import Conflict, InvalidInput, PermissionDenied
from steward.requests.models import Channel
from steward.requests.services import request_capture
from steward.requests.tests.factories import World, make_world
from steward.timeline.models import TimelineEvent
from steward.trusted.models import TrustedPerson
from steward.trusted.permissions import Scope
from steward.trusted.selectors import trusts_for_email
from steward.trusted.services import (
    trusted_acting_check,
    trusted_person_add,
    trusted_person_change,
    trusted_person_revoke,
    trusted_read,
)

from .factories import make_trusted

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return make_world()


def events(customer, kind):
    return list(TimelineEvent.objects.filter(customer=customer, kind=kind))


def test_naming_someone_records_it_on_the_customers_timeline(world):
    sara = trusted_person_add(
        customer=world.customer,
        name="Sara Khan",
        email=" Sara.Khan@Example.org ",
        relationship="daughter",
        scopes=[Scope.REPLY, Scope.SEE_REQUESTS],
    )
    assert sara.email == "sara.khan@example.org"
    assert sara.scopes == [Scope.SEE_REQUESTS, Scope.REPLY]
    [event] = events(world.customer, TimelineEvent.Kind.TRUSTED_PERSON_ADDED)
    assert not event.is_internal
    assert event.actor_name == f"{world.customer.full_name} (customer)"
    assert "Sara Khan (daughter)" in event.summary
    assert "see your requests and their conversations and reply" in event.summary
    assert "until you end it" in event.summary
    assert list(trusts_for_email(email="SARA.KHAN@example.org")) == [sara]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"scopes": []}, "scopes_required"),
        ({"scopes": ["everything"]}, "unknown_scope"),
        ({"scopes": [Scope.REPLY]}, "scope_needs_another"),
        ({"email": "not an address"}, "email_invalid"),
        ({"name": "  "}, "name_required"),
        ({"relationship": ""}, "relationship_required"),
        ({"ends_at": timezone.now() - timedelta(days=1)}, "ends_in_past"),
    ],
)
def test_bad_input_is_refused_in_words_and_changes_nothing(world, changes, code):
    before = TimelineEvent.objects.count()
    data = {"name": "Sara Khan", "email": "sara@example.org", "relationship": "daughter", "scopes": ["see_requests"]}
    with pytest.raises(InvalidInput) as refused:
        trusted_person_add(customer=world.customer, **{**data, **changes})
    assert refused.value.code == code
    assert TrustedPerson.objects.count() == 0 and TimelineEvent.objects.count() == before


def test_the_customers_own_address_and_the_same_person_twice_are_refused(world):
    own = world.customer.contact_points.get(kind="email").value
    with pytest.raises(InvalidInput):
        make_trusted(customer=world.customer, email=own)
    make_trusted(customer=world.customer, email="sara@example.org")
    with pytest.raises(Conflict):
        make_trusted(customer=world.customer, email="SARA@example.org")
    assert TrustedPerson.objects.count() == 1


def test_changing_and_revoking_write_their_events(world):
    sara = make_trusted(customer=world.customer, name="Sara Khan")
    later = timezone.now() + timedelta(days=30)
    trusted_person_change(trusted=sara, customer=world.customer, scopes=[Scope.SEE_PRIVACY], ends_at=later)
    sara.refresh_from_db()
    assert sara.scopes == [Scope.SEE_PRIVACY] and sara.ends_at == later
    assert len(events(world.customer, TimelineEvent.Kind.TRUSTED_PERSON_CHANGED)) == 1
    trusted_person_revoke(trusted=sara, customer=world.customer)
    sara.refresh_from_db()
    assert sara.revoked_at is not None and sara.revoked_by == world.customer.full_name
    [ended] = events(world.customer, TimelineEvent.Kind.TRUSTED_PERSON_REVOKED)
    assert "can no longer act" in ended.summary
    assert list(trusts_for_email(email=sara.email)) == []
    with pytest.raises(Conflict):
        trusted_person_revoke(trusted=sara, customer=world.customer)


def test_only_the_customer_who_named_them_can_change_or_end_it(world):
    sara = make_trusted(customer=world.customer)
    other = make_customer(organisation=world.org)
    with pytest.raises(PermissionDenied):
        trusted_person_revoke(trusted=sara, customer=other)
    with pytest.raises(PermissionDenied):
        trusted_person_change(trusted=sara, customer=other, scopes=[Scope.SEE_REQUESTS], ends_at=None)
    sara.refresh_from_db()
    assert sara.revoked_at is None and sara.scopes == [Scope.SEE_REQUESTS, Scope.REPLY]


def test_acting_needs_a_current_trust_and_the_scope(world):
    sara = make_trusted(customer=world.customer, scopes=[Scope.SEE_REQUESTS])
    assert trusted_acting_check(trusted=sara, scope=Scope.SEE_REQUESTS).pk == sara.pk
    with pytest.raises(PermissionDenied) as missing:
        trusted_acting_check(trusted=sara, scope=Scope.REPLY)
    assert missing.value.code == "scope_missing"
    trusted_person_revoke(trusted=sara, customer=world.customer)
    with pytest.raises(PermissionDenied) as ended:
        trusted_acting_check(trusted=sara, scope=Scope.SEE_REQUESTS)
    assert ended.value.code == "trust_ended"


def test_a_trust_ends_by_itself_at_its_end_date(world):
    sara = make_trusted(customer=world.customer, ends_at=timezone.now() + timedelta(hours=1))
    assert list(trusts_for_email(email=sara.email)) == [sara]
    assert list(trusts_for_email(email=sara.email, at=timezone.now() + timedelta(hours=2))) == []


def test_a_trusted_persons_reads_join_the_same_hash_chain_as_staff_reads(world):
    req = request_capture(
        customer=world.customer, need=world.need, channel=Channel.PHONE, description="Help", actor=world.head
    )
    customer_data_read(
        actor=req.owner,
        customer_id=world.customer.pk,
        purpose=Purpose.SERVICE_PROVISION,
        categories=[DataCategory.MESSAGES],
        resource=f"request:{req.pk}",
        channel="page",
    )
    sara = make_trusted(customer=world.customer, name="Sara Khan")
    trusted_read(trusted=sara, resource=f"request:{req.pk}", categories=[DataCategory.MESSAGES])
    staff_read, sara_read = AccessEvent.objects.filter(customer=world.customer).order_by("seq")
    assert sara_read.actor_kind == "trusted" and sara_read.staff_id is None and sara_read.seq == staff_read.seq + 1
    assert verify_chain(world.customer.pk) is None
    assert access_sentence(sara_read).startswith(
        f"Sara Khan, whom you trust to act for you, looked at your request #{req.pk} and its conversation on "
    )
    # Changing who read breaks the chain: the trusted person is inside the hash.
    other = make_trusted(customer=world.customer)
    AccessEvent._base_manager.filter(pk=sara_read.pk).update(trusted_person=other)
    assert verify_chain(world.customer.pk) is not None


def test_what_they_write_is_signed_as_them_for_the_customer(world):
    from steward.portal.services import portal_reply

    req = request_capture(customer=world.customer, need=world.need, channel=Channel.WEB, description="Help", actor=None)
    sara = make_trusted(customer=world.customer, name="Sara Khan")
    event = portal_reply(customer=world.customer, request=req, body="Mum is still waiting.", trusted=sara)
    assert event.actor_name == f"Sara Khan (for {world.customer.full_name})"
    assert event.data["trusted_person"] == sara.pk
    assert event.summary == f"Sara Khan (for {world.customer.full_name}) wrote online."
