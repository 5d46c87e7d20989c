"""The benchmark's dataset generator keeps producing valid data: a tiny dataset, built
by the same functions `make bench` uses, into the test database."""

from __future__ import annotations

import io

import pytest
from django.db.models import F, Q
from django.utils import timezone

from bench.dataset import DatasetGenerator, dataset_generate
from bench.parameters import DatasetSize
from bench.world import World
from steward.customers.models import ContactPoint, Customer
from steward.organisations.models import StaffMember
from steward.requests.lifecycle import Status
from steward.requests.models import Request
from steward.requests.services import sla_sweep
from steward.timeline.models import TimelineEvent

TINY = DatasetSize(customers=40, requests=200, events=900)


@pytest.fixture
def tiny_dataset(db: object) -> DatasetSize:
    dataset_generate(TINY, seed=7, staff_count=40, progress_stream=io.StringIO())
    return TINY


def test_sizes_are_what_was_asked_for(tiny_dataset: DatasetSize) -> None:
    assert Customer.objects.count() == tiny_dataset.customers
    assert Request.objects.count() == tiny_dataset.requests
    assert TimelineEvent.objects.count() == tiny_dataset.events
    assert ContactPoint.objects.values("customer").distinct().count() == tiny_dataset.customers
    assert TimelineEvent.objects.filter(kind=TimelineEvent.Kind.CUSTOMER_REGISTERED).count() == TINY.customers


def test_every_open_request_has_an_active_owner_in_its_routed_team(tiny_dataset: DatasetSize) -> None:
    not_closed = Request.objects.exclude(status=Status.CLOSED)
    assert not_closed.exists()
    assert not not_closed.filter(Q(owner__isnull=True) | Q(owner__is_active=False)).exists()
    assert not not_closed.exclude(owner__team_id=F("team_id")).exists()


def test_requests_are_consistent_with_their_need_and_clocks(tiny_dataset: DatasetSize) -> None:
    assert not Request.objects.exclude(team_id=F("need__team_id")).exists()
    assert not Request.objects.exclude(organisation_id=F("need__organisation_id")).exists()
    for request in Request.objects.all():
        if request.status != Status.OPEN:
            expected = None
        elif request.first_responded_at is None:
            expected = request.first_response_due
        else:
            expected = request.resolution_due
        assert request.due_at == expected, request.pk


def test_each_request_tells_its_story_in_order_within_its_organisation(tiny_dataset: DatasetSize) -> None:
    about_requests = TimelineEvent.objects.exclude(request=None)
    assert not about_requests.exclude(organisation_id=F("request__organisation_id")).exists()
    assert not about_requests.exclude(customer_id=F("request__customer_id")).exists()
    for request in Request.objects.prefetch_related("events"):
        events = sorted(request.events.all(), key=lambda e: e.pk)
        assert [e.kind for e in events[:2]] == [TimelineEvent.Kind.CAPTURED, TimelineEvent.Kind.ROUTED]
        moments = [e.occurred_at for e in events[1:]]
        assert moments == sorted(moments) and len(set(moments)) == len(moments), request.pk


def test_a_sweep_right_after_generation_finds_no_missed_deadline_left_unrecorded(tiny_dataset: DatasetSize) -> None:
    # The dataset's "now" was just before this sweep: every deadline missed by then is
    # already marked breached, and nothing was resolved longer ago than the reopen window.
    report = sla_sweep(at=timezone.now())
    assert report.first_response_breaches + report.resolution_breaches + report.closed_after_window == 0
    assert report.repaired_owners == 0


def test_overdue_requests_give_the_next_sweep_work(tiny_dataset: DatasetSize) -> None:
    generator = DatasetGenerator(World.load(), seed=1, progress_stream=io.StringIO())
    ids = generator.overdue_requests_add(5)
    report = sla_sweep(at=timezone.now())
    assert report.first_response_breaches == 5
    assert report.resolution_breaches == 0
    assert Request.objects.filter(pk__in=ids, first_response_breached_at__isnull=False).count() == 5
    owners = StaffMember.objects.filter(owned_requests__in=ids)
    assert all(o.is_active for o in owners)
