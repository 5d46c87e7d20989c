"""Alerts under concurrency on PostgreSQL: several workers sweep at once, and a service
raises the same alert as a sweep at the same moment. Each thread has its own connection
and works on committed data (``transaction=True``)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from steward.agreements.services import agreement_start
from steward.alerts.continuity import continuity_sweep
from steward.alerts.models import Alert
from steward.alerts.services import alert_raise
from steward.alerts.team_needs import team_needs_sweep
from steward.customers.tests.factories import make_customer
from steward.needs.services import need_update
from steward.notifications.models import Notification
from steward.organisations.models import StaffMember
from steward.organisations.tests.factories import TeamFactory, make_staff
from steward.requests.services import request_capture
from steward.timeline.models import TimelineEvent

from .factories import make_care_world

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WAIT = 10


def _run_together(*works: Callable[[], Any]) -> list[tuple[Any, BaseException | None]]:
    """Start every `work` at once (behind a barrier), each on its own connection."""
    barrier = threading.Barrier(len(works), timeout=WAIT)
    results: list[tuple[Any, BaseException | None]] = [(None, None)] * len(works)

    def run(i: int, work: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = (work(), None)
        except BaseException as exc:
            results[i] = (None, exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w), daemon=True) for i, w in enumerate(works)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT * 3)
        assert not t.is_alive(), "a worker thread is stuck"
    return results


def test_two_continuity_sweeps_at_once_raise_each_alert_once() -> None:
    care = make_care_world(days_ago=10)
    for n in range(20):
        customer = make_customer(organisation=care.council.org, is_vulnerable=True, given_name=f"Client{n}")
        agreement_start(
            customer=customer,
            team=care.provider.team,
            coordinator=care.provider.bob,
            service="Home care",
            actor=care.provider.head,
            started_at=timezone.now() - timedelta(days=9),
        )
    # A coordinator switched off behind the services' back, too.
    StaffMember.objects.filter(pk=care.provider.bob.pk).update(is_active=False)

    results = _run_together(continuity_sweep, continuity_sweep)

    assert [error for _, error in results] == [None, None]
    assert sum(r.no_contact_raised for r, _ in results) == 21
    assert sum(r.coordinators_repaired for r, _ in results) == 20
    raised = Counter(Alert.objects.filter(kind=Alert.Kind.NO_CONTACT).values_list("subject", flat=True))
    assert len(raised) == 21 and set(raised.values()) == {1}
    events = Counter(
        TimelineEvent.objects.filter(kind=TimelineEvent.Kind.ALERT_RAISED, data__alert_kind="no_contact").values_list(
            "customer_id", flat=True
        )
    )
    assert set(events.values()) == {1}
    assert Notification.objects.filter(kind="alert_raised", title__startswith="Check on").count() == 21
    assert not Alert.objects.filter(status="open", assigned_to__is_active=False).exists()


def test_a_service_and_a_sweep_raising_the_same_alert_at_once_make_one() -> None:
    care = make_care_world()
    subject = f"agreement:{care.agreement.pk}"

    def by_service() -> Alert:
        return alert_raise(
            kind=Alert.Kind.NO_CONTACT,
            subject=subject,
            assigned_to=care.provider.alice,
            organisation=care.provider.org,
            customer=care.client,
            title="Check on Amina Khan",
        )

    results = _run_together(by_service, by_service, continuity_sweep)

    assert [error for _, error in results] == [None, None, None]
    assert Alert.objects.filter(subject=subject).count() == 1
    assert TimelineEvent.objects.filter(kind=TimelineEvent.Kind.ALERT_RAISED).count() == 1
    assert results[0][0].pk == results[1][0].pk


def test_two_team_sweeps_at_once_ask_each_owner_once() -> None:
    care = make_care_world()
    world = care.council
    reablement = TeamFactory(organisation=world.org, name="Reablement")
    make_staff(team=reablement, supervisor=world.head)
    ids = [
        request_capture(customer=world.customer, need=world.need, channel="phone", description="x", actor=None).pk
        for _ in range(10)
    ]
    need_update(need=world.need, actor=None, team=reablement)

    results = _run_together(team_needs_sweep, team_needs_sweep)

    assert [error for _, error in results] == [None, None]
    assert sum(r.raised for r, _ in results) == 10
    assert (
        sorted(Alert.objects.filter(kind=Alert.Kind.TEAM_NO_LONGER_HANDLES).values_list("request_id", flat=True)) == ids
    )


def test_two_sweeps_at_once_pass_each_alert_on_once() -> None:
    care = make_care_world()
    for n in range(8):
        alert_raise(
            kind=Alert.Kind.TRANSFER_DECISION,
            subject=f"transfer:{n}",
            assigned_to=care.provider.alice,
            organisation=care.provider.org,
            customer=care.client,
            title=f"Decide {n}",
        )
    StaffMember.objects.filter(pk=care.provider.alice.pk).update(is_active=False)

    results = _run_together(continuity_sweep, continuity_sweep)

    assert [error for _, error in results] == [None, None]
    assert sum(r.alerts_reassigned for r, _ in results) == 8
    assert set(Alert.objects.filter(kind="transfer_decision").values_list("assigned_to", flat=True)) == {
        care.provider.lead.pk
    }
    moves = Counter(
        TimelineEvent.objects.filter(kind=TimelineEvent.Kind.OWNER_CHANGED, data__has_key="alert").values_list(
            "data__alert", flat=True
        )
    )
    assert len(moves) == 8 and set(moves.values()) == {1}
