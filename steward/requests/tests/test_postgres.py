"""Concurrency on PostgreSQL: several workers and web processes at once.

SQLite takes the write lock at the start of every transaction (IMMEDIATE), so writers
never interleave there; on PostgreSQL they do, and only row locks and conditional
updates keep the invariants. Each test here runs real threads, each with its own
database connection, against committed data (``transaction=True``).

Where a race needs a precise interleaving, a test pauses one thread at a realistic
point (after it has read, before it writes) by wrapping a module-level function, and
lets the other thread run in that gap; the assertion is about the end state only, so
any correct fix (locking, re-checking, refusing with a coded error) passes.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from steward.errors import DomainError
from steward.notifications.models import Notification
from steward.organisations.models import StaffMember
from steward.organisations.services import staff_deactivate
from steward.organisations.tests.factories import make_staff
from steward.requests import services
from steward.requests.lifecycle import Status
from steward.requests.models import Request
from steward.requests.services import SweepReport, request_capture, request_change_status, sla_sweep
from steward.requests.tests.factories import World, make_world
from steward.timeline.models import TimelineEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WAIT = 10  # seconds: generous; a thread that needs longer is stuck


class Worker(threading.Thread):
    """Runs `work` on its own database connection and keeps its result or error."""

    def __init__(self, work: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.work = work
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.work()
        except BaseException as exc:
            self.error = exc
        finally:
            connection.close()

    def finish(self) -> Any:
        self.join(WAIT * 3)
        assert not self.is_alive(), "a worker thread is stuck"
        return self.result


def _run_together(*works: Callable[[], Any]) -> list[Worker]:
    """Start every `work` at the same moment (behind a barrier) and wait for all."""
    barrier = threading.Barrier(len(works), timeout=WAIT)

    def synchronised(work: Callable[[], Any]) -> Callable[[], Any]:
        def go() -> Any:
            barrier.wait()
            return work()

        return go

    workers = [Worker(synchronised(w)) for w in works]
    for w in workers:
        w.start()
    for w in workers:
        w.finish()
    return workers


def _assert_i1() -> None:
    for pk, status, owner_active, owner_org, org in Request.objects.exclude(status=Status.CLOSED).values_list(
        "pk", "status", "owner__is_active", "owner__organisation_id", "organisation_id"
    ):
        assert owner_active, f"request #{pk} ({status}) is owned by someone deactivated (or nobody)"
        assert owner_org == org


@pytest.fixture
def world() -> Iterator[World]:
    yield make_world()


def _capture_many(world: World, n: int) -> list[int]:
    return [
        request_capture(
            customer=world.customer, need=world.need, channel="phone", description=f"Call {i}", actor=world.alice
        ).pk
        for i in range(n)
    ]


class TestConcurrentSweeps:
    def test_two_sweeps_at_once_escalate_each_breach_exactly_once(self, world: World) -> None:
        ids = _capture_many(world, 25)
        at = timezone.now() + timedelta(days=2)  # first reply and resolution both missed

        workers = _run_together(lambda: sla_sweep(at=at), lambda: sla_sweep(at=at))

        assert [w.error for w in workers] == [None, None]
        reports: list[SweepReport] = [w.result for w in workers]
        assert [r.problems for r in reports] == [[], []]
        assert sum(r.first_response_breaches for r in reports) == len(ids)
        assert sum(r.resolution_breaches for r in reports) == len(ids)
        breached = Counter(
            (request_id, data["which"])
            for request_id, data in TimelineEvent.objects.filter(kind=TimelineEvent.Kind.BREACHED).values_list(
                "request_id", "data"
            )
        )
        escalated = Counter(
            (request_id, data["which"])
            for request_id, data in TimelineEvent.objects.filter(kind=TimelineEvent.Kind.ESCALATED).values_list(
                "request_id", "data"
            )
        )
        expected = {(pk, which): 1 for pk in ids for which in ("first_response", "resolution")}
        assert dict(breached) == expected
        assert dict(escalated) == expected
        notices = Counter(
            Notification.objects.filter(kind=Notification.Kind.BREACH_ESCALATED).values_list("request_id", flat=True)
        )
        assert dict(notices) == {pk: 2 for pk in ids}
        # Escalated to the person the owner answers to, by name.
        assert set(
            Notification.objects.filter(kind=Notification.Kind.BREACH_ESCALATED).values_list("recipient", flat=True)
        ) <= {world.lead.pk, world.head.pk}

    def test_two_sweeps_at_once_close_each_resolved_request_once(self, world: World) -> None:
        ids = _capture_many(world, 15)
        for pk in ids:
            request_change_status(request=Request(pk=pk), status=Status.RESOLVED, actor=world.lead, reason="Sorted.")
        at = timezone.now() + timedelta(days=8)  # past the reopen window

        workers = _run_together(lambda: sla_sweep(at=at), lambda: sla_sweep(at=at))

        assert [w.error for w in workers] == [None, None]
        assert sum(w.result.closed_after_window for w in workers) == len(ids)
        assert set(Request.objects.filter(pk__in=ids).values_list("status", flat=True)) == {Status.CLOSED}
        closes = Counter(
            request_id
            for request_id, data in TimelineEvent.objects.filter(kind=TimelineEvent.Kind.STATUS_CHANGED).values_list(
                "request_id", "data"
            )
            if data["to"] == Status.CLOSED
        )
        assert dict(closes) == {pk: 1 for pk in ids}

    def test_two_sweeps_at_once_repair_each_orphan_once(self, world: World) -> None:
        ids = _capture_many(world, 12)
        owners = set(Request.objects.filter(pk__in=ids).values_list("owner_id", flat=True))
        # Owners switched off behind the services' back (say, in the database directly).
        StaffMember.objects.filter(pk__in=owners).exclude(pk=world.head.pk).update(is_active=False)
        before = Counter(
            TimelineEvent.objects.filter(kind=TimelineEvent.Kind.OWNER_CHANGED).values_list("request_id", flat=True)
        )
        assert not before

        workers = _run_together(lambda: sla_sweep(), lambda: sla_sweep())

        assert [w.error for w in workers] == [None, None]
        repaired = sum(w.result.repaired_owners for w in workers)
        assert repaired == len(ids)
        _assert_i1()
        moves = Counter(
            TimelineEvent.objects.filter(kind=TimelineEvent.Kind.OWNER_CHANGED).values_list("request_id", flat=True)
        )
        assert dict(moves) == {pk: 1 for pk in ids}


class TestConcurrentCapturesKeepI1:
    def test_captures_from_many_doors_at_once_each_get_one_active_owner(self, world: World) -> None:
        other = make_world()
        extra = [make_staff(team=world.team, supervisor=world.lead) for _ in range(3)]
        takers = [world.alice, world.bob, other.alice, other.head]  # any door, either organisation

        def capture_batch(taker: StaffMember) -> list[int]:
            return [
                request_capture(
                    customer=world.customer, need=world.need, channel="phone", description="No carer", actor=taker
                ).pk
                for _ in range(6)
            ]

        workers = _run_together(*[lambda t=t: capture_batch(t) for t in takers])

        assert [w.error for w in workers] == [None] * len(takers)
        ids = [pk for w in workers for pk in w.result]
        assert len(ids) == len(set(ids)) == 24
        _assert_i1()
        team = {world.lead.pk, world.alice.pk, world.bob.pk, *(s.pk for s in extra)}
        owners = Counter(Request.objects.filter(pk__in=ids).values_list("owner_id", flat=True))
        assert set(owners) <= team  # routed by the need, not by who answered the phone
        assert Counter(
            TimelineEvent.objects.filter(request_id__in=ids, kind=TimelineEvent.Kind.ROUTED).values_list(
                "request_id", flat=True
            )
        ) == {pk: 1 for pk in ids}

    def test_captures_while_team_members_leave_keep_one_active_owner_each(self, world: World) -> None:
        leavers = [make_staff(team=world.team, supervisor=world.lead) for _ in range(4)]

        def capture_batch() -> list[int]:
            return [
                request_capture(
                    customer=world.customer, need=world.need, channel="phone", description="No carer", actor=world.bob
                ).pk
                for _ in range(8)
            ]

        def leave_one_by_one() -> None:
            for person in leavers:
                staff_deactivate(staff=person, actor=None, reason="Contract ended.")

        workers = _run_together(capture_batch, capture_batch, capture_batch, leave_one_by_one)

        assert [w.error for w in workers] == [None] * 4
        assert sum(len(w.result) for w in workers[:3]) == 24
        assert not StaffMember.objects.filter(pk__in=[p.pk for p in leavers], is_active=True).exists()
        _assert_i1()

    def test_a_capture_routed_to_someone_being_deactivated_does_not_end_up_with_them(
        self, world: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Capture reads who is free (routing), then writes the request. If that person is
        deactivated in between, the new request must not be left with them (I1)."""
        routed = threading.Event()
        deactivated = threading.Event()
        chosen: list[StaffMember] = []
        real_route = services.route

        def route_then_pause(**kwargs: Any) -> Any:
            decision = real_route(**kwargs)
            if not chosen:
                chosen.append(decision.owner)
                routed.set()
                deactivated.wait(2)  # a fix that locks the owner makes the other side wait instead
            return decision

        monkeypatch.setattr(services, "route", route_then_pause)

        def capture() -> Request:
            return request_capture(
                customer=world.customer, need=world.need, channel="phone", description="No carer", actor=world.alice
            )

        def deactivate() -> StaffMember:
            assert routed.wait(WAIT)
            try:
                return staff_deactivate(staff=chosen[0], actor=None, reason="Left today.")
            finally:
                deactivated.set()

        capturer, deactivator = Worker(capture), Worker(deactivate)
        capturer.start()
        deactivator.start()
        capturer.finish()
        deactivator.finish()

        assert deactivator.error is None
        assert capturer.error is None or isinstance(capturer.error, DomainError), capturer.error
        chosen[0].refresh_from_db()
        assert not chosen[0].is_active
        _assert_i1()


class TestConcurrentDeactivationsKeepI1:
    """Two managers deactivate two people of one organisation at the same moment."""

    @pytest.fixture
    def alice_has_work(self, world: World) -> World:
        # Routing spreads work by least open work, so four captures reach Alice too.
        for _ in range(4):
            request_capture(
                customer=world.customer, need=world.need, channel="phone", description="No carer", actor=world.bob
            )
        assert Request.objects.filter(owner=world.alice).exists()
        return world

    def _pause_the_first_move(self, monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
        """The first deactivation to reach the moving of requests stops there (holding
        whatever it has locked) until released."""
        paused, release = threading.Event(), threading.Event()
        real_move = services.requests_move_from_departing

        def move_after_pause(**kwargs: Any) -> int:
            if not paused.is_set():
                paused.set()
                release.wait(WAIT)
            return real_move(**kwargs)

        monkeypatch.setattr(services, "requests_move_from_departing", move_after_pause)
        return paused, release

    def test_a_successor_who_left_a_moment_ago_does_not_receive_the_work(
        self, alice_has_work: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Bob is being deactivated. Meanwhile Alice's manager opens the form, which loads
        Bob as still active, and names him as Alice's successor. Alice's work must not
        end up with Bob once he has gone: refuse with a coded error, or give it to
        someone active."""
        world = alice_has_work
        paused, release = self._pause_the_first_move(monkeypatch)
        bob_leaves = Worker(
            lambda: staff_deactivate(staff=world.bob, actor=None, reason="Retired.", successor=world.lead)
        )
        bob_leaves.start()
        assert paused.wait(WAIT)
        bob_as_the_form_saw_him = StaffMember.objects.get(pk=world.bob.pk)
        assert bob_as_the_form_saw_him.is_active
        alice_leaves = Worker(
            lambda: staff_deactivate(
                staff=world.alice, actor=None, reason="Moved away.", successor=bob_as_the_form_saw_him
            )
        )
        alice_leaves.start()
        threading.Event().wait(0.5)  # Alice's deactivation reaches its locks
        release.set()
        bob_leaves.finish()
        alice_leaves.finish()

        assert bob_leaves.error is None
        assert alice_leaves.error is None or isinstance(alice_leaves.error, DomainError), alice_leaves.error
        _assert_i1()

    def test_two_deactivations_at_once_do_not_deadlock(
        self, alice_has_work: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Alice leaves, naming Bob; Bob leaves, naming Lena; at the same moment. Both are
        fine requests: both must go through (one after the other), not fail with a
        database deadlock."""
        world = alice_has_work
        paused, release = self._pause_the_first_move(monkeypatch)
        alice_leaves = Worker(
            lambda: staff_deactivate(staff=world.alice, actor=None, reason="Moved away.", successor=world.bob)
        )
        alice_leaves.start()
        assert paused.wait(WAIT)
        bob_leaves = Worker(
            lambda: staff_deactivate(staff=world.bob, actor=None, reason="Retired.", successor=world.lead)
        )
        bob_leaves.start()
        threading.Event().wait(0.5)  # Bob's deactivation reaches its locks
        release.set()
        alice_leaves.finish()
        bob_leaves.finish()

        assert alice_leaves.error is None, alice_leaves.error
        assert bob_leaves.error is None, bob_leaves.error
        assert not StaffMember.objects.filter(pk__in=[world.alice.pk, world.bob.pk], is_active=True).exists()
        _assert_i1()
        assert not Request.objects.filter(owner__in=[world.alice, world.bob]).exclude(status=Status.CLOSED).exists()
