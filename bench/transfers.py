"""The transfer of issue 3, timed: a council moves ``BENCH_TRANSFER_CLIENTS`` clients
(default 10,000), each with an active service and 1–3 open requests, from a provider to
three receiving providers.

The cast is made once per bench database, through the real services
(`organisation_create`, `team_create`, `staff_create`, `team_set_lead`, `need_create`),
and kept:

- Northmoor Council (from `bench.world`) commissions; the lead of its Adult Social Care
  team is the commissioner.
- Larkfield Care is the provider losing its clients: a head, and a Home Care team of a
  lead and eleven coordinators, with three needs its clients' requests are about.
- Sunrise Home Care, Meadow Homecare and Brookside Care receive: each has a head and a
  Care Coordination team of a lead and seven members, across whom its clients are
  spread when it accepts them.

`World.load` leaves these four organisations out, so the rest of the bench never routes
a request to them.

The clients are made again for every run, in bulk with `bench.bulk_insert` and untimed
(a few seconds): each a customer with contact points and a "registered" event, an active
service from Larkfield commissioned by the council (with one of its coordinators), and
1–3 open requests at Larkfield from the last ten days, each with a four-event timeline
(made by `DatasetGenerator`, so it is consistent with the request). Then the planner's
statistics are refreshed, as the worker does.

Three steps are timed, once each (they are big operations: n=1):

1. create: `transfer_create` (three receivers, no capacities: balanced evenly),
   `transfer_add_clients(every_active_client=True)`, `transfer_open` (which queues the
   offering task) and `transfer_make_offers`, called directly so the offering runs
   within the timing. Every client is offered.
2. accept all: each receiver's team lead calls `transfer_accept_clients` for every client
   offered to it, spread across their team (``assign_team``). Each client's service
   ends and starts again at the receiver and their open requests move there.
3. report: what the commissioner's report page reads: `transfer_get_for`,
   `transfer_counts_for`, `transfer_proof`, and the whole CSV from `report_csv`.

Between steps (untimed) the planner's statistics are refreshed again: in real life the
steps are days apart, and autovacuum (PostgreSQL) or the worker's hourly refresh
(SQLite) would have seen the new rows by then.

Queries are counted during the timed steps with a counting `execute_wrapper` (no SQL is
recorded, so it costs next to nothing).

Afterwards everything the scenario wrote is removed (`scenario_clear`), and also at the
start of every run in case one was interrupted: the transfers, their notifications and
queued tasks, and the clients with everything about them. Timeline events are
append-only (I4); removing the bench's own made-up clients from the bench's own
database goes through the timeline's rewrite door (`timeline_rewrite_allowed`), as
wiping a database does. Every run therefore starts from the same dataset, and a
customer is never left in an unsettled transfer that would block the next run.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TextIO

from django.db import connection, transaction
from django.db.models import Count, Model, Q

from steward.agreements.models import ServiceAgreement
from steward.alerts.models import Alert
from steward.consent.models import AccessEvent, Grant, GrantReceipt
from steward.customers.models import ContactPoint, Customer, NameWord
from steward.database_upkeep import planner_statistics_refresh
from steward.handovers.models import HandoverOffer
from steward.needs.services import need_create
from steward.notifications.models import Notification
from steward.organisations.models import Organisation, StaffMember, Team
from steward.organisations.services import organisation_create, staff_create, team_create, team_set_lead
from steward.requests.lifecycle import Status
from steward.requests.models import Request
from steward.timeline.models import TimelineEvent
from steward.timeline.rewrite_guard import timeline_rewrite_allowed
from steward.transfers.models import Transfer, TransferClient, TransferReceiver
from steward.transfers.report import report_csv
from steward.transfers.selectors import transfer_counts, transfer_counts_for, transfer_get_for, transfer_proof
from steward.transfers.services import (
    ReceiverSpec,
    transfer_accept_clients,
    transfer_add_clients,
    transfer_create,
    transfer_make_offers,
    transfer_open,
)

from .bulk_insert import Row, TableWriter, sequences_reset
from .dataset import HISTORY, DatasetGenerator, RequestPlan, _between
from .measure import Measurement
from .progress import ProgressBar
from .world import FAMILY_NAMES, FIRST_NAMES, World

COUNCIL = "Northmoor Council"
COMMISSIONING_TEAM = "Adult Social Care"
PROVIDER = "Larkfield Care"
PROVIDER_TEAM = "Home Care"
PROVIDER_TEAM_SIZE = 12  # the lead and eleven coordinators
RECEIVERS = ("Sunrise Home Care", "Meadow Homecare", "Brookside Care")
RECEIVER_TEAM = "Care Coordination"
RECEIVER_TEAM_SIZE = 8  # the lead and seven members
LEADERSHIP = "Leadership"
# (title, first reply minutes, resolution minutes)
PROVIDER_NEEDS = (
    ("My carer didn't come", 60, 1440),
    ("I need to change my visit times", 240, 4320),
    ("I'm worried about my care plan", 480, 10080),
)
SERVICES = (
    "Home care, two visits a day",
    "Home care, four visits a day",
    "Home care, one visit a day",
    "Reablement, daily for six weeks",
    "Night sitting, three nights a week",
)
REQUESTS_PER_CLIENT = (1, 3)
REQUESTS_WITHIN = timedelta(days=10)
EVENTS_PER_REQUEST = 4
BATCH = 2_000  # clients (with everything about them) per transaction
DELETE_CHUNK = 2_000  # ids per DELETE statement when clearing
TRANSFER_TASK = "steward.transfers.tasks.transfer_make_offers"
EMAIL_TASK = "steward.notifications.tasks.notification_email"

AGREEMENT_FIELDS = (
    "id",
    "customer",
    "provider",
    "commissioner",
    "team",
    "coordinator",
    "service",
    "contact_interval_days",
    "status",
    "started_at",
    "ended_at",
    "end_reason",
    "created_at",
    "updated_at",
)


@dataclass(frozen=True)
class Receiver:
    organisation: Organisation
    team: Team
    lead: StaffMember  # accepts the clients, for the whole team


@dataclass(frozen=True)
class Cast:
    council: Organisation
    commissioner: StaffMember
    provider: Organisation
    provider_world: World  # Larkfield's teams, staff and needs, for the generator
    receivers: list[Receiver]


# --- the cast ---------------------------------------------------------------------------


def _organisation_build(name: str, kind: str, team_name: str, team_size: int, rng: random.Random) -> None:
    """An organisation with a head (in a leadership team) and one team: a lead under the
    head, and members under the lead."""
    org = organisation_create(name=name, kind=kind, actor=None)
    leadership = team_create(organisation=org, name=LEADERSHIP, actor=None)
    team = team_create(organisation=org, name=team_name, actor=None)
    prefix = org.slug.replace("-", "")
    count = 0

    def person(**kwargs: Any) -> StaffMember:
        nonlocal count
        count += 1
        first, last = rng.choice(FIRST_NAMES), rng.choice(FAMILY_NAMES)
        username = f"{prefix}.{first}.{last}.{count}".lower().replace("'", "")
        return staff_create(organisation=org, username=username, first_name=first, last_name=last, actor=None, **kwargs)

    head = person(team=leadership, job_title="Chief Executive", is_org_admin=True)
    team_set_lead(team=leadership, lead=head, actor=None)
    lead = person(team=team, supervisor=head, job_title=f"Team Lead, {team_name}")
    team_set_lead(team=team, lead=lead, actor=None)
    for _ in range(team_size - 1):
        person(team=team, supervisor=lead, job_title="Care Coordinator")


@transaction.atomic
def _cast_build(seed: int) -> None:
    rng = random.Random(seed)
    _organisation_build(PROVIDER, Organisation.Kind.CARE_PROVIDER, PROVIDER_TEAM, PROVIDER_TEAM_SIZE, rng)
    provider = Organisation.objects.get(name=PROVIDER)
    team = Team.objects.get(organisation=provider, name=PROVIDER_TEAM)
    for title, first_response, resolution in PROVIDER_NEEDS:
        need_create(
            organisation=provider,
            title=title,
            team=team,
            first_response_minutes=first_response,
            resolution_minutes=resolution,
            actor=None,
        )
    for name in RECEIVERS:
        _organisation_build(name, Organisation.Kind.CARE_PROVIDER, RECEIVER_TEAM, RECEIVER_TEAM_SIZE, rng)


def cast_ensure(*, seed: int) -> Cast:
    """The transfer's organisations and people, made the first time they are needed."""
    if not Organisation.objects.filter(name=PROVIDER).exists():
        _cast_build(seed)
    council = Organisation.objects.get(name=COUNCIL)
    commissioning_team = Team.objects.select_related("lead").get(organisation=council, name=COMMISSIONING_TEAM)
    commissioner = commissioning_team.lead
    if commissioner is None or not commissioner.is_active:
        raise RuntimeError(f"{COMMISSIONING_TEAM} at {COUNCIL} has no active lead to commission the transfer.")
    receivers = []
    for name in RECEIVERS:
        team = Team.objects.select_related("organisation", "lead").get(organisation__name=name, name=RECEIVER_TEAM)
        assert team.lead is not None
        receivers.append(Receiver(team.organisation, team, team.lead))
    return Cast(
        council=council,
        commissioner=commissioner,
        provider=Organisation.objects.get(name=PROVIDER),
        provider_world=World.load([PROVIDER]),
        receivers=receivers,
    )


# --- the clients ------------------------------------------------------------------------


@dataclass
class ClientsMade:
    customers: int = 0
    requests: int = 0
    events: int = 0
    seconds: float = 0.0


def clients_add(cast: Cast, count: int, *, seed: int, progress_stream: TextIO | None = None) -> ClientsMade:
    """Write `count` clients of the provider, in bulk: customer, contact points,
    "registered" event, an active service commissioned by the council, and 1–3 open
    requests with their timeline. Each batch of clients is one transaction, so every
    client in the database has their service (that is how `scenario_clear` finds them)."""
    started = time.perf_counter()
    world = cast.provider_world
    generator = DatasetGenerator(world, seed=seed, progress_stream=progress_stream)
    rng = random.Random(seed)
    agreements = TableWriter(ServiceAgreement, AGREEMENT_FIELDS)
    team = next(t for t in world.teams if t.name == PROVIDER_TEAM)
    coordinators = world.active_members[team.pk]
    needs = [n for n in world.needs if n.team_id == team.pk]
    now = generator.now
    history_start = now - HISTORY
    customer_id = generator.customers.next_id()
    contact_id = generator.contact_points.next_id()
    event_id = generator.events.next_id()
    request_id = generator.requests.next_id()
    agreement_id = agreements.next_id()
    made = ClientsMade()
    progress = ProgressBar("transfer clients", count, stream=progress_stream)
    for start in range(0, count, BATCH):
        customers: list[Row] = []
        contacts: list[Row] = []
        services: list[Row] = []
        requests: list[Row] = []
        events: list[Row] = []
        for _ in range(min(BATCH, count - start)):
            # (the generator's own row builders, so the rows match the rest of the dataset)
            row, points, registered = generator._customer_rows(
                customer_id, contact_id, event_id, history_start, registered=True
            )
            customers.append(row)
            contacts.extend(points)
            contact_id += len(points)
            assert registered is not None
            events.append(registered)
            event_id += 1
            since = _between(rng, row[10], now - timedelta(days=30))
            services.append(
                (
                    agreement_id,
                    customer_id,
                    cast.provider.pk,
                    cast.council.pk,
                    team.pk,
                    rng.choice(coordinators).pk,
                    rng.choice(SERVICES),
                    7,
                    ServiceAgreement.Status.ACTIVE,
                    since,
                    None,
                    "",
                    since,
                    since,
                )
            )
            agreement_id += 1
            for _ in range(rng.randint(*REQUESTS_PER_CLIENT)):
                plan = RequestPlan(
                    request_id=request_id,
                    customer_id=customer_id,
                    customer_name=row[1],
                    need=rng.choice(needs),
                    status=Status.OPEN,
                    created_at=now - REQUESTS_WITHIN * rng.random(),
                    events=EVENTS_PER_REQUEST,
                )
                request_row, story = generator._request_rows(plan, event_id, now=now, unanswered=False)
                requests.append(request_row)
                events.extend(story)
                event_id += len(story)
                request_id += 1
            customer_id += 1
        with transaction.atomic():
            generator.customers.write(customers)
            generator.contact_points.write(contacts)
            agreements.write(services)
            generator.requests.write(requests)
            generator.events.write(events)
        made.customers += len(customers)
        made.requests += len(requests)
        made.events += len(events)
        progress.advance(len(customers))
    progress.finish()
    sequences_reset([Customer, ContactPoint, ServiceAgreement, Request, TimelineEvent])
    made.seconds = time.perf_counter() - started
    return made


# --- clearing up ------------------------------------------------------------------------


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), DELETE_CHUNK):
        yield ids[start : start + DELETE_CHUNK]


def _delete_where_in(model: type[Model], column: str, ids: Sequence[int], *, via: str = "") -> int:
    """DELETE rows of `model` whose `column` is one of `ids` (or, with `via`, is the id of
    a request whose `via` column is one of them), in chunks, with plain SQL: the
    timeline's queryset refuses deletes, and the others need no collector."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    deleted = 0
    with connection.cursor() as cursor:
        for chunk in _chunks(ids):
            placeholders = ", ".join(["%s"] * len(chunk))
            if via:
                condition = (
                    f"{quote(column)} IN (SELECT id FROM {quote(Request._meta.db_table)} "
                    f"WHERE {quote(via)} IN ({placeholders}))"
                )
            else:
                condition = f"{quote(column)} IN ({placeholders})"
            cursor.execute(f"DELETE FROM {table} WHERE {condition}", list(chunk))
            deleted += max(cursor.rowcount, 0)
    return deleted


def _task_model() -> type[Model] | None:
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # another task backend: nothing queued in the database
        return None
    return DBTaskResult


def scenario_clear() -> dict[str, int]:
    """Remove everything the transfer scenario wrote, leaving its organisations and
    people: transfers away from the provider, their notifications (and the queued tasks
    for them), and every client who ever had a service from the provider, with their
    services, requests, timeline, contact points and alerts. Returns rows removed."""
    provider = Organisation.objects.filter(name=PROVIDER).first()
    if provider is None:
        return {}
    scenario_orgs = list(Organisation.objects.filter(name__in=[PROVIDER, *RECEIVERS]).values_list("pk", flat=True))
    customer_ids = sorted(set(ServiceAgreement.objects.filter(provider=provider).values_list("customer_id", flat=True)))
    transfer_ids = list(Transfer.objects.filter(from_provider=provider).values_list("pk", flat=True))
    removed: dict[str, int] = {}
    with transaction.atomic(), timeline_rewrite_allowed():
        notifications = Notification.objects.filter(
            Q(kind__startswith="transfer_") | Q(recipient__organisation_id__in=scenario_orgs)
        )
        notification_ids = set(notifications.values_list("pk", flat=True))
        task_model = _task_model()
        if task_model is not None:
            stale = []
            for pk, path, args_kwargs in task_model.objects.filter(  # type: ignore[attr-defined]
                task_path__in=[TRANSFER_TASK, EMAIL_TASK]
            ).values_list("pk", "task_path", "args_kwargs"):
                args = (args_kwargs or {}).get("args") or [None]
                if (path == TRANSFER_TASK and args[0] in transfer_ids) or (
                    path == EMAIL_TASK and args[0] in notification_ids
                ):
                    stale.append(pk)
            removed["tasks"] = task_model.objects.filter(pk__in=stale).delete()[0]  # type: ignore[attr-defined]
        removed["notifications"] = notifications.delete()[0]
        removed["transfer clients"] = TransferClient.objects.filter(
            Q(transfer_id__in=transfer_ids) | Q(customer_id__in=customer_ids)
        ).delete()[0]
        TransferReceiver.objects.filter(transfer_id__in=transfer_ids).delete()
        Alert.objects.filter(subject__in=[f"transfer:{pk}" for pk in transfer_ids]).delete()
        removed["transfers"] = Transfer.objects.filter(pk__in=transfer_ids).delete()[0]
        removed["alerts"] = _delete_where_in(Alert, "customer_id", customer_ids)
        _delete_where_in(Alert, "request_id", customer_ids, via="customer_id")
        _delete_where_in(Notification, "request_id", customer_ids, via="customer_id")
        _delete_where_in(HandoverOffer, "request_id", customer_ids, via="customer_id")
        removed["timeline events"] = _delete_where_in(TimelineEvent, "customer_id", customer_ids)
        removed["requests"] = _delete_where_in(Request, "customer_id", customer_ids)
        removed["services"] = _delete_where_in(ServiceAgreement, "customer_id", customer_ids)
        _delete_where_in(ContactPoint, "customer_id", customer_ids)
        _delete_where_in(NameWord, "customer_id", customer_ids)
        _delete_where_in(AccessEvent, "customer_id", customer_ids)
        _delete_where_in(GrantReceipt, "customer_id", customer_ids)
        removed["grants"] = _delete_where_in(Grant, "customer_id", customer_ids)
        removed["customers"] = _delete_where_in(Customer, "id", customer_ids)
    return {k: v for k, v in removed.items() if v}


# --- the timed steps --------------------------------------------------------------------


class _QueryCounter:
    """Counts the SQL statements run through the connection (`execute_wrapper`); records nothing else."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


@dataclass
class _Step:
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process's CPU time: Python and (SQLite) the database engine
    queries: int = 0
    parts: dict[str, float] = field(default_factory=dict)


@contextmanager
def _timed_step() -> Iterator[_Step]:
    step = _Step()
    counter = _QueryCounter()
    with connection.execute_wrapper(counter):
        started, cpu = time.perf_counter(), time.process_time()
        yield step
        step.seconds = time.perf_counter() - started
        step.cpu_seconds = time.process_time() - cpu
    step.queries = counter.count


def _parts(step: _Step) -> str:
    """Where the step's time went, and how much of it was this process's CPU (the rest is
    the PostgreSQL server, the disk, or waiting for a core on a busy machine)."""
    parts = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in step.parts.items())
    return f"{parts} (CPU in this process {step.cpu_seconds:.1f} s)"


def transfer_measure(
    *,
    clients: int,
    seed: int,
    say: Callable[[str], None] = lambda _: None,
    progress_stream: TextIO | None = None,
) -> list[Measurement]:
    """Make the scenario, time the three steps, clear it all away again."""
    cast = cast_ensure(seed=seed)
    leftovers = scenario_clear()
    if leftovers:
        say(f"cleared what an earlier run left: {leftovers}")
    say(f"writing {clients:,} clients of {PROVIDER}, each with a service and 1–3 open requests (untimed)")
    made = clients_add(cast, clients, seed=seed, progress_stream=progress_stream)
    say(f"written in {made.seconds:.1f} s; refreshing the planner's statistics")
    planner_statistics_refresh()
    commissioner = StaffMember.objects.select_related("organisation").get(pk=cast.commissioner.pk)
    receivers = cast.receivers
    n = f"{clients:,}"

    say(f"timing: create the transfer, list every active client, offer all {n}")
    with _timed_step() as create:
        mark = time.perf_counter()
        transfer = transfer_create(
            actor=commissioner,
            from_provider=cast.provider,
            receivers=[ReceiverSpec(r.organisation) for r in receivers],
            reason=f"{COUNCIL} ended its contract with {PROVIDER}.",
            note_for_receivers="Please read each client's services and open requests before accepting.",
        )
        create.parts["create"] = time.perf_counter() - mark
        mark = time.perf_counter()
        added = transfer_add_clients(transfer=transfer, actor=commissioner, every_active_client=True)
        create.parts["list"] = time.perf_counter() - mark
        mark = time.perf_counter()
        transfer_open(transfer=transfer, actor=commissioner)
        create.parts["open"] = time.perf_counter() - mark
        mark = time.perf_counter()
        offered = transfer_make_offers(transfer_id=transfer.pk)
        create.parts["offer"] = time.perf_counter() - mark
    after_offers = transfer_counts(transfer)
    if added.added != clients or offered != clients or after_offers["pending"] != clients:
        raise RuntimeError(f"Expected {n} clients listed and offered; listed {added.added}, offered {offered}.")
    per_receiver = dict(
        TransferClient.objects.filter(transfer=transfer)
        .values_list("to_provider__name")
        .order_by()
        .annotate(n=Count("id"))
        .values_list("to_provider__name", "n")
    )
    planner_statistics_refresh()

    say(f"timing: {len(receivers)} receivers accept all {n}, spread across their teams")
    with _timed_step() as accept:
        moved = 0
        for receiver in receivers:
            mark = time.perf_counter()
            result = transfer_accept_clients(transfer=transfer, actor=receiver.lead, assign_team=receiver.team)
            accept.parts[receiver.organisation.name] = time.perf_counter() - mark
            moved += result.requests_moved
    planner_statistics_refresh()

    say("timing: the reconciliation report (counts, proof, the whole CSV)")
    with _timed_step() as report:
        mark = time.perf_counter()
        view = transfer_get_for(actor=commissioner, transfer_id=transfer.pk)
        counts = transfer_counts_for(view=view, actor=commissioner)
        report.parts["counts"] = time.perf_counter() - mark
        mark = time.perf_counter()
        proof = transfer_proof(view.transfer)
        report.parts["proof"] = time.perf_counter() - mark
        mark = time.perf_counter()
        lines = size = 0
        for line in report_csv(view=view, actor=commissioner):
            lines += 1
            size += len(line)
        report.parts["CSV"] = time.perf_counter() - mark
    if counts["accepted"] != clients or lines != clients + 1:
        raise RuntimeError(f"Expected {n} accepted clients in the report; counts {counts}, {lines - 1} CSV rows.")

    say("clearing the transfer scenario away")
    mark = time.perf_counter()
    cleared = scenario_clear()
    say(f"cleared in {time.perf_counter() - mark:.1f} s: {cleared}")
    split = ", ".join(f"{name} {count:,}" for name, count in sorted(per_receiver.items()))
    return [
        Measurement(
            f"transfer {n} clients: create, list all, offer all (n=1)",
            [create.seconds * 1000],
            [create.queries],
            f"{_parts(create)}; offered to {split}; setup (untimed): {made.customers:,} clients with "
            f"{made.requests:,} open requests and {made.events:,} timeline events written in {made.seconds:.1f} s",
        ),
        Measurement(
            f"transfer {n} clients: {len(receivers)} receivers accept all (n=1)",
            [accept.seconds * 1000],
            [accept.queries],
            f"{_parts(accept)}; {moved:,} open requests moved; {len(receivers)} teams of {RECEIVER_TEAM_SIZE}",
        ),
        Measurement(
            f"transfer {n} clients: reconciliation report (n=1)",
            [report.seconds * 1000],
            [report.queries],
            f"{_parts(report)}; {lines - 1:,} CSV rows, {size / 2**20:.1f} MiB; "
            f"{counts['without_accepting_provider']} without an accepting provider; proof "
            f"{'holds' if proof.holds else 'FAILS: ' + str(vars(proof))}",
        ),
    ]
