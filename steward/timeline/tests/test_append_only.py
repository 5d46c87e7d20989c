"""I4: the customer's timeline is append-only, in the code and in the database.

The model and its queryset refuse to change or remove an event; the database triggers
refuse raw ``UPDATE`` and ``DELETE`` too, on whichever database the suite runs on
(SQLite or PostgreSQL). The one sanctioned way past them is
`rewrite_guard.timeline_rewrite_allowed`, inside a transaction.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from steward.requests.services import request_add_note, request_capture
from steward.requests.tests.factories import World, make_world
from steward.timeline import rewrite_guard
from steward.timeline.models import AppendOnlyError, TimelineEvent
from steward.timeline.rewrite_guard import timeline_rewrite_allowed

TABLE = TimelineEvent._meta.db_table


def _row(pk: int) -> tuple[Any, ...]:
    """The stored event, read straight from the table (no model code involved)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT kind, summary, body, customer_id, occurred_at FROM {TABLE} WHERE id = %s", [pk])
        return cursor.fetchone()


def _raw(sql: str, params: list[Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@pytest.fixture(autouse=True)
def _rewrite_door_closed(request: pytest.FixtureRequest) -> None:
    """Outside transactional tests, start from a closed door, as every connection in
    production does, whatever an earlier test on this worker left behind (conftest opens
    it on SQLite for transactional tests' flush)."""
    if "transactional_db" not in request.fixturenames:
        rewrite_guard._state.allowed = False


@pytest.fixture
def world(db: Any) -> World:
    return make_world()


@pytest.fixture
def event(world: World) -> TimelineEvent:
    request = request_capture(
        customer=world.customer, need=world.need, channel="phone", description="My carer didn't come.", actor=world.bob
    )
    return TimelineEvent.objects.get(request=request, kind=TimelineEvent.Kind.CAPTURED)


class TestTheModelRefuses:
    def test_saving_an_existing_event_is_refused_and_the_row_is_unchanged(self, event: TimelineEvent) -> None:
        before = _row(event.pk)
        event.summary = "Nothing happened."
        with pytest.raises(AppendOnlyError):
            event.save()
        with pytest.raises(AppendOnlyError):
            event.save(update_fields=["summary"])
        assert _row(event.pk) == before

    def test_deleting_an_event_is_refused_and_the_row_stays(self, event: TimelineEvent) -> None:
        with pytest.raises(AppendOnlyError):
            event.delete()
        assert _row(event.pk) is not None

    def test_queryset_update_and_delete_are_refused(self, event: TimelineEvent) -> None:
        before = _row(event.pk)
        with pytest.raises(AppendOnlyError):
            TimelineEvent.objects.filter(pk=event.pk).update(summary="Rewritten.")
        with pytest.raises(AppendOnlyError):
            TimelineEvent.objects.filter(pk=event.pk).delete()
        with pytest.raises(AppendOnlyError):
            TimelineEvent.objects.all().delete()
        assert _row(event.pk) == before
        assert TimelineEvent.objects.count() >= 2  # captured and routed are both still there

    def test_bulk_update_is_refused(self, event: TimelineEvent) -> None:
        before = _row(event.pk)
        event.body = "Something else."
        with pytest.raises(AppendOnlyError), transaction.atomic():
            TimelineEvent.objects.bulk_update([event], ["body"])
        assert _row(event.pk) == before

    def test_a_correction_is_a_new_event_and_the_original_stays(self, world: World, event: TimelineEvent) -> None:
        before = _row(event.pk)
        correction = request_add_note(
            request=event.request, actor=world.bob, body="It was Tuesday night, not Monday.", corrects=event
        )
        assert correction.pk != event.pk
        assert correction.kind == TimelineEvent.Kind.CORRECTION
        assert correction.corrects_id == event.pk
        assert _row(event.pk) == before


class TestTheDatabaseRefusesRawSql:
    """Raw SQL bypasses the model entirely; the triggers must still refuse it."""

    def test_raw_update_is_refused(self, event: TimelineEvent) -> None:
        before = _row(event.pk)
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            _raw(f"UPDATE {TABLE} SET summary = %s WHERE id = %s", ["Rewritten behind the services' back.", event.pk])
        assert _row(event.pk) == before

    def test_raw_update_of_every_row_is_refused(self, event: TimelineEvent) -> None:
        count = TimelineEvent.objects.count()
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            _raw(f"UPDATE {TABLE} SET body = %s", [""])
        assert TimelineEvent.objects.count() == count
        assert _row(event.pk)[2] == "My carer didn't come."

    def test_raw_delete_is_refused(self, event: TimelineEvent) -> None:
        count = TimelineEvent.objects.count()
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            _raw(f"DELETE FROM {TABLE} WHERE id = %s", [event.pk])
        assert _row(event.pk) is not None
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            _raw(f"DELETE FROM {TABLE}", [])
        assert TimelineEvent.objects.count() == count

    def test_inserting_is_still_allowed(self, world: World, event: TimelineEvent) -> None:
        """Append-only, not read-only: new events keep arriving."""
        note = request_add_note(request=event.request, actor=world.alice, body="Rang the agency.")
        assert _row(note.pk) is not None


class TestTheSanctionedPath:
    def test_inside_the_guard_a_raw_update_is_allowed(self, event: TimelineEvent) -> None:
        with transaction.atomic(), timeline_rewrite_allowed():
            assert _raw(f"UPDATE {TABLE} SET body = %s WHERE id = %s", ["[erased]", event.pk]) == 1
        assert _row(event.pk)[2] == "[erased]"

    def test_inside_the_guard_a_raw_delete_is_allowed(self, world: World) -> None:
        request = request_capture(
            customer=world.customer, need=world.need, channel="web", description="Please erase me.", actor=None
        )
        ids = list(TimelineEvent.objects.filter(request=request).values_list("pk", flat=True))
        assert ids
        with transaction.atomic(), timeline_rewrite_allowed():
            for pk in ids:
                assert _raw(f"DELETE FROM {TABLE} WHERE id = %s", [pk]) == 1
        assert not TimelineEvent.objects.filter(pk__in=ids).exists()

    def test_the_door_closes_when_the_guard_exits_even_in_the_same_transaction(self, event: TimelineEvent) -> None:
        with transaction.atomic():
            with timeline_rewrite_allowed():
                _raw(f"UPDATE {TABLE} SET body = %s WHERE id = %s", ["[erased]", event.pk])
            with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
                _raw(f"UPDATE {TABLE} SET body = %s WHERE id = %s", ["again", event.pk])
        assert _row(event.pk)[2] == "[erased]"
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            _raw(f"UPDATE {TABLE} SET body = %s WHERE id = %s", ["later", event.pk])
        assert _row(event.pk)[2] == "[erased]"

    def test_the_guard_does_not_open_the_model_and_queryset(self, event: TimelineEvent) -> None:
        """The guard is for raw erasure only; application code still cannot rewrite."""
        with transaction.atomic(), timeline_rewrite_allowed():
            with pytest.raises(AppendOnlyError):
                TimelineEvent.objects.filter(pk=event.pk).update(body="x")
            with pytest.raises(AppendOnlyError):
                event.delete()


class TestTestDatabaseFlush:
    """Transactional tests end with a flush of the whole database (conftest lets it past
    the guard on SQLite; PostgreSQL truncates, which the row triggers do not see).

    These request the ``transactional_db`` fixture by name: that is what conftest's
    guard-opening fixture recognises."""

    def test_flush_empties_the_timeline(self, transactional_db: None) -> None:
        world = make_world()
        request_capture(customer=world.customer, need=world.need, channel="phone", description="x", actor=world.alice)
        assert TimelineEvent.objects.exists()
        call_command("flush", interactive=False, verbosity=0)
        assert not TimelineEvent.objects.exists()

    @pytest.mark.postgres
    def test_on_postgresql_raw_delete_is_refused_outside_the_guard_even_in_a_transactional_test(
        self, transactional_db: None
    ) -> None:
        world = make_world()
        request = request_capture(
            customer=world.customer, need=world.need, channel="phone", description="x", actor=world.alice
        )
        pk = TimelineEvent.objects.filter(request=request).values_list("pk", flat=True).first()
        assert rewrite_guard._state.allowed  # conftest opened the Python side for the flush
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            _raw(f"DELETE FROM {TABLE} WHERE id = %s", [pk])
        assert _row(pk) is not None
