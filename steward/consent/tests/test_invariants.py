"""I5 under random sequences of grants, revocations, reads and time passing.

A hypothesis state machine builds two organisations (the north with two teams and a
head in none, the south with one team) and two customers, then step by step:

- gives grants: a customer on their consent, or staff on a legal duty with a reason; to
  an organisation or one of its teams; for a random purpose and set of categories;
  starting now or later, open-ended or ending after a while;
- revokes them, by the customer (refused for a legal duty) or by the organisation;
- reads a customer's data through `customer_data_read` as any of five staff members, for
  a random purpose and categories, sometimes with a break-glass reason;
- moves a fake clock forward, so grants start and end between steps;
- tries a bad grant, which must be refused and change nothing (I7).

Whether each read should succeed is worked out here, from the machine's own record of
the grants, not from the code under test. After every step:

- I5: a read succeeded iff an active grant covered the actor's organisation (or team),
  the purpose and every category at that instant; otherwise it was refused, or allowed
  as an emergency when a reason was given;
- every read attempt, allowed or refused, wrote exactly one access event, for that
  customer;
- every allowed event in the log names a grant that was active when it happened;
- every customer's access log chain verifies (`consent.chain.verify_chain`).

Each example runs inside a savepoint, and with `django.utils.timezone.now` patched to
the machine's clock; `teardown` rolls the savepoint back and restores the clock, so the
next example (and the next test on the same worker) starts clean.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from steward.consent.chain import verify_chain
from steward.consent.models import AccessEvent, Grant, GrantReceipt
from steward.consent.services import customer_data_read, grant_create, grant_revoke
from steward.consent.vocabulary import DataCategory, Purpose
from steward.customers.models import Customer
from steward.errors import DomainError
from steward.organisations.models import Organisation, StaffMember, Team
from steward.organisations.tests.factories import TeamFactory, make_staff
from steward.requests.tests.factories import make_world

picks = st.integers(min_value=0, max_value=1_000)
purposes = st.sampled_from(Purpose.values)
categories = st.sets(st.sampled_from(DataCategory.values), min_size=1, max_size=3)
START = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


@dataclass
class ModelGrant:
    """What the machine knows about a grant it gave: enough to say, independently of the
    code under test, whether it covers a read at a given instant."""

    pk: int
    customer_id: int
    organisation_id: int
    team_id: int | None
    purpose: str
    categories: frozenset[str]
    consent: bool
    starts_at: datetime
    ends_at: datetime | None
    revoked_at: datetime | None = None

    def covers(self, *, actor: StaffMember, customer_id: int, purpose: str, cats: set[str], at: datetime) -> bool:
        return (
            self.customer_id == customer_id
            and self.organisation_id == actor.organisation_id
            and (self.team_id is None or self.team_id == actor.team_id)
            and self.purpose == purpose
            and cats <= self.categories
            and self.revoked_at is None
            and self.starts_at <= at
            and (self.ends_at is None or self.ends_at > at)
        )


def _state() -> tuple[Any, ...]:
    """What a refused change must leave as it was."""
    return (
        list(Grant.objects.order_by("pk").values_list("pk", "revoked_at", "ends_at")),
        GrantReceipt.objects.count(),
        AccessEvent.objects.count(),
    )


class ConsentMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = START
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self._clock_patch = mock.patch("django.utils.timezone.now", lambda: self.clock)
        self._clock_patch.start()
        try:
            north = make_world("North Council")
            south = make_world("South Care")
            other_team = TeamFactory(organisation=north.org, name="Billing")
            carol = make_staff(team=other_team, supervisor=north.head, first_name="Carol", last_name="Coins")
        except BaseException:
            self.teardown()
            raise
        self.orgs: list[Organisation] = [north.org, south.org]
        self.heads: dict[int, StaffMember] = {north.org.pk: north.head, south.org.pk: south.head}
        self.teams: dict[int, list[Team | None]] = {
            north.org.pk: [None, north.team, other_team],
            south.org.pk: [None, south.team],
        }
        # In a team, in another team, in none (the head), and the other organisation.
        self.actors: list[StaffMember] = [north.alice, carol, north.head, south.alice, south.head]
        self.customers: list[Customer] = [north.customer, south.customer]
        self.grants: list[ModelGrant] = []
        self.reads = 0
        self.outcomes: dict[str, int] = {}

    def teardown(self) -> None:
        self._clock_patch.stop()
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- rules ------------------------------------------------------------------------

    @rule(
        customer=picks,
        org=picks,
        team=picks,
        purpose=purposes,
        cats=categories,
        starts_in=st.sampled_from([0, 0, 30, 240]),
        lasts=st.sampled_from([None, None, 60, 600, 3000]),
        consent=st.sampled_from([True, True, False]),
    )
    def give(
        self,
        customer: int,
        org: int,
        team: int,
        purpose: str,
        cats: set[str],
        starts_in: int,
        lasts: int | None,
        consent: bool,
    ) -> None:
        who = self.customers[customer % len(self.customers)]
        organisation = self.orgs[org % len(self.orgs)]
        teams = self.teams[organisation.pk]
        chosen = teams[team % len(teams)]
        starts_at = self.clock + timedelta(minutes=starts_in)
        ends_at = starts_at + timedelta(minutes=lasts) if lasts is not None else None
        common: dict[str, Any] = {
            "customer": who,
            "organisation": organisation,
            "team": chosen,
            "purpose": purpose,
            "categories": sorted(cats),
            "starts_at": starts_at,
            "ends_at": ends_at,
        }
        if consent:
            grant = grant_create(lawful_basis="consent", by_customer=True, **common)
        else:
            grant = grant_create(
                lawful_basis="legal_obligation",
                by_customer=False,
                actor=self.heads[organisation.pk],
                reason="The law requires it.",
                **common,
            )
        self.grants.append(
            ModelGrant(
                pk=grant.pk,
                customer_id=who.pk,
                organisation_id=organisation.pk,
                team_id=chosen.pk if chosen else None,
                purpose=purpose,
                categories=frozenset(cats),
                consent=consent,
                starts_at=starts_at,
                ends_at=ends_at,
            )
        )

    @rule(
        customer=picks,
        bad=st.sampled_from(["purpose", "category", "basis", "ends_before_start", "other_team"]),
    )
    def give_badly(self, customer: int, bad: str) -> None:
        who = self.customers[customer % len(self.customers)]
        north, south = self.orgs
        kwargs: dict[str, Any] = {
            "customer": who,
            "organisation": north,
            "purpose": "billing",
            "categories": ["financial"],
            "lawful_basis": "consent",
            "by_customer": True,
        }
        expected = {
            "purpose": "purpose_unknown",
            "category": "category_unknown",
            "basis": "customer_grants_consent",
            "ends_before_start": "grant_ends_before_start",
            "other_team": "team_other_organisation",
        }[bad]
        if bad == "purpose":
            kwargs["purpose"] = "gossip"
        elif bad == "category":
            kwargs["categories"] = ["financial", "shoe_size"]
        elif bad == "basis":
            kwargs["lawful_basis"] = "legal_obligation"
        elif bad == "ends_before_start":
            kwargs["ends_at"] = self.clock - timedelta(minutes=1)
        else:
            kwargs["team"] = self.teams[south.pk][1]
        before = _state()
        with pytest.raises(DomainError) as refused:
            grant_create(**kwargs)
        assert refused.value.code == expected
        assert _state() == before, "a refused grant must change nothing (I7)"

    @precondition(lambda self: self.grants)
    @rule(which=picks, by_customer=st.booleans())
    def revoke(self, which: int, by_customer: bool) -> None:
        known = self.grants[which % len(self.grants)]
        grant = Grant.objects.get(pk=known.pk)
        expected = None
        if known.revoked_at is not None:
            expected = "grant_revoked"
        elif by_customer and not known.consent:
            expected = "grant_not_revocable"
        before = _state()
        try:
            grant_revoke(
                grant=grant,
                by_customer=by_customer,
                actor=None if by_customer else self.heads[known.organisation_id],
                reason="Changed my mind." if by_customer else "No longer needed.",
            )
        except DomainError as refused:
            assert refused.code == expected, f"revoke refused with {refused.code}, expected {expected}"
            assert _state() == before, "a refused revocation must change nothing (I7)"
            return
        assert expected is None, f"revoke should have been refused with {expected}"
        known.revoked_at = self.clock
        grant.refresh_from_db()
        assert grant.revoked_at == self.clock

    @rule(
        actor=picks,
        customer=picks,
        purpose=purposes,
        cats=categories,
        emergency=st.sampled_from([False, False, False, False, True]),
    )
    def read(self, actor: int, customer: int, purpose: str, cats: set[str], emergency: bool) -> None:
        person = self.actors[actor % len(self.actors)]
        who = self.customers[customer % len(self.customers)]
        covered = any(
            g.covers(actor=person, customer_id=who.pk, purpose=purpose, cats=cats, at=self.clock) for g in self.grants
        )
        expected = "allowed" if covered else ("break_glass" if emergency else "refused")
        before_mine = AccessEvent.objects.filter(customer=who).count()
        before_all = AccessEvent.objects.count()
        self.reads += 1
        try:
            event = customer_data_read(
                actor=StaffMember.objects.select_related("organisation").get(pk=person.pk),
                customer_id=who.pk,
                purpose=purpose,
                categories=sorted(cats),
                resource="timeline",
                channel="api",
                break_glass_reason="Found on the floor." if emergency else "",
            )
            outcome = event.outcome
        except DomainError as refused:
            assert refused.code == "no_grant", refused.code
            outcome = "refused"
        assert outcome == expected, (
            f"{person.display_name} reading {purpose} {sorted(cats)} at {self.clock}: {outcome}, "
            f"expected {expected} (I5)"
        )
        self.outcomes[str(outcome)] = self.outcomes.get(str(outcome), 0) + 1
        assert AccessEvent.objects.filter(customer=who).count() == before_mine + 1, "one access event per read"
        assert AccessEvent.objects.count() == before_all + 1, "one access event per read, and only for that customer"
        latest = AccessEvent.objects.filter(customer=who).order_by("-seq").first()
        assert latest is not None
        assert (latest.outcome, latest.staff_id, latest.purpose, latest.at) == (
            expected,
            person.pk,
            purpose,
            self.clock,
        )

    @precondition(lambda self: self.grants)
    @rule(
        which=picks,
        actor=picks,
        some=st.integers(min_value=1, max_value=3),
        in_team=st.sampled_from([True, True, False]),
    )
    def read_what_a_grant_names(self, which: int, actor: int, some: int, in_team: bool) -> None:
        """A read aimed at a grant the machine gave (its customer, purpose and some of its
        categories, by someone of its organisation): random reads alone rarely match one.
        Whether it is allowed still depends on the team, the clock and revocation."""
        known = self.grants[which % len(self.grants)]
        people = [p for p in self.actors if p.organisation_id == known.organisation_id]
        if in_team and known.team_id is not None:
            people = [p for p in people if p.team_id == known.team_id]
        customer = next(i for i, c in enumerate(self.customers) if c.pk == known.customer_id)
        self.read(
            actor=self.actors.index(people[actor % len(people)]),
            customer=customer,
            purpose=known.purpose,
            cats=set(sorted(known.categories)[:some]),
            emergency=False,
        )

    @rule(minutes=st.sampled_from([1, 29, 61, 300, 1440, 4000]))
    def time_passes(self, minutes: int) -> None:
        self.clock += timedelta(minutes=minutes)

    # --- after every step -------------------------------------------------------------

    @invariant()
    def every_read_left_one_entry(self) -> None:
        assert AccessEvent.objects.count() == self.reads

    @invariant()
    def every_allowed_read_had_an_active_grant_then(self) -> None:
        for event in AccessEvent.objects.filter(outcome="allowed").select_related("grant"):
            grant = event.grant
            assert grant is not None, f"allowed read #{event.pk} names no grant (I5)"
            assert grant.customer_id == event.customer_id and grant.organisation_id == event.organisation_id
            assert grant.purpose == event.purpose and set(event.categories) <= set(grant.categories)
            assert grant.starts_at <= event.at
            assert grant.ends_at is None or grant.ends_at > event.at
            assert grant.revoked_at is None or grant.revoked_at >= event.at

    @invariant()
    def every_chain_holds(self) -> None:
        for customer in self.customers:
            assert verify_chain(customer.pk) is None


MACHINE_SETTINGS = settings(
    max_examples=25,
    stateful_step_count=25,
    derandomize=True,
    deadline=None,
    database=None,  # keep no example database in the working tree
    # No shrinking: an example builds two organisations, so shrinking takes minutes; a
    # failure prints its steps (at most 25) as they ran.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def test_no_read_without_an_active_grant_under_random_operations(db: None) -> None:
    savepoints_before = list(connection.savepoint_ids)
    real_now = timezone.now
    outcomes: dict[str, int] = {}

    class Counting(ConsentMachine):
        def teardown(self) -> None:
            for outcome, n in self.outcomes.items():
                outcomes[outcome] = outcomes.get(outcome, 0) + n
            super().teardown()

    run_state_machine_as_test(Counting, settings=MACHINE_SETTINGS)

    # The machine closed every savepoint it opened and gave the clock back, so later
    # tests on this worker start from a clean connection.
    assert list(connection.savepoint_ids) == savepoints_before and connection.in_atomic_block
    assert timezone.now is real_now
    assert not Grant.objects.exists() and not AccessEvent.objects.exists()
    # ...and it really reached every kind of read, not only refusals.
    assert {"allowed", "refused", "break_glass"} <= set(outcomes), outcomes
