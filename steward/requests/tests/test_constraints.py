"""The database's own guards, for writes that go around the services.

I1 holds in the database too: an open, waiting or resolved request cannot lose its owner
even by a direct ``UPDATE``, while a closed one (history, not work) may. Unknown statuses
and a person supervising themselves are refused the same way.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from steward.errors import InvalidInput
from steward.organisations.models import StaffMember
from steward.organisations.services import staff_set_supervisor
from steward.requests.lifecycle import Status
from steward.requests.models import Request
from steward.requests.services import request_capture, request_change_status

from .factories import World


def _capture(world: World) -> Request:
    return request_capture(
        customer=world.customer, need=world.need, channel="phone", description="Nobody came.", actor=world.alice
    )


def _move_to(request: Request, status: str, world: World) -> Request:
    path = {
        Status.OPEN: [],
        Status.WAITING: [Status.WAITING],
        Status.RESOLVED: [Status.RESOLVED],
        Status.CLOSED: [Status.RESOLVED, Status.CLOSED],
    }[Status(status)]
    for step in path:
        request = request_change_status(request=request, status=step, actor=world.lead, reason="test")
    request.refresh_from_db()
    assert request.status == status
    return request


class TestOpenRequestHasOwner:
    @pytest.mark.parametrize("status", [Status.OPEN, Status.WAITING, Status.RESOLVED])
    def test_a_request_that_is_not_closed_cannot_lose_its_owner(self, world: World, status: str) -> None:
        request = _move_to(_capture(world), status, world)
        owner_id = request.owner_id
        assert owner_id is not None
        with pytest.raises(IntegrityError), transaction.atomic():
            Request.objects.filter(pk=request.pk).update(owner=None)
        request.refresh_from_db()
        assert request.owner_id == owner_id

    def test_a_closed_request_may_have_no_owner(self, world: World) -> None:
        request = _move_to(_capture(world), Status.CLOSED, world)
        assert Request.objects.filter(pk=request.pk).update(owner=None) == 1
        request.refresh_from_db()
        assert request.owner_id is None
        assert request.status == Status.CLOSED

    def test_an_ownerless_request_cannot_be_reopened_directly(self, world: World) -> None:
        request = _move_to(_capture(world), Status.CLOSED, world)
        Request.objects.filter(pk=request.pk).update(owner=None)
        with pytest.raises(IntegrityError), transaction.atomic():
            Request.objects.filter(pk=request.pk).update(status=Status.OPEN)
        request.refresh_from_db()
        assert request.status == Status.CLOSED

    def test_an_open_request_cannot_be_inserted_without_an_owner(self, world: World) -> None:
        now = timezone.now()
        with pytest.raises(IntegrityError), transaction.atomic():
            Request.objects.create(
                customer=world.customer,
                organisation=world.org,
                need=world.need,
                team=world.team,
                owner=None,
                owner_since=now,
                status=Status.OPEN,
                channel="phone",
                subject="Nobody's",
                description="x",
                first_response_due=now,
                resolution_due=now,
                created_at=now,
            )
        assert not Request.objects.filter(subject="Nobody's").exists()


class TestRequestStatusKnown:
    @pytest.mark.parametrize("bogus", ["archived", "OPEN", ""])
    def test_an_unknown_status_is_refused(self, world: World, bogus: str) -> None:
        request = _capture(world)
        with pytest.raises(IntegrityError), transaction.atomic():
            Request.objects.filter(pk=request.pk).update(status=bogus)
        request.refresh_from_db()
        assert request.status == Status.OPEN

    @pytest.mark.parametrize("status", list(Status.values))
    def test_every_known_status_is_accepted(self, world: World, status: str) -> None:
        request = _capture(world)
        assert Request.objects.filter(pk=request.pk).update(status=status) == 1


class TestStaffNotOwnSupervisor:
    def test_the_database_refuses_a_self_supervisor(self, world: World) -> None:
        with pytest.raises(IntegrityError), transaction.atomic():
            StaffMember.objects.filter(pk=world.alice.pk).update(supervisor=F("id"))
        world.alice.refresh_from_db()
        assert world.alice.supervisor_id == world.lead.pk

    def test_the_database_refuses_a_self_supervisor_given_as_a_value(self, world: World) -> None:
        with pytest.raises(IntegrityError), transaction.atomic():
            StaffMember.objects.filter(pk=world.head.pk).update(supervisor_id=world.head.pk)
        world.head.refresh_from_db()
        assert world.head.supervisor_id is None

    def test_the_service_refuses_it_with_a_coded_error(self, world: World) -> None:
        with pytest.raises(InvalidInput) as excinfo:
            staff_set_supervisor(staff=world.alice, supervisor=world.alice, actor=None)
        assert excinfo.value.code == "supervisor_cycle"
        world.alice.refresh_from_db()
        assert world.alice.supervisor_id == world.lead.pk

    def test_someone_else_as_supervisor_is_fine(self, world: World) -> None:
        assert StaffMember.objects.filter(pk=world.alice.pk).update(supervisor=world.head) == 1
