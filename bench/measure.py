"""The timed operations: what people (and the worker) wait on.

Each API call goes through the real URL configuration, authentication (a real bearer
token), Ninja's validation and serialisation, in-process via ``django.test.Client`` (no
network, no web server). Each operation is warmed up first; then ``samples`` calls are
timed with nothing else recording; then a few more calls run under
``CaptureQueriesContext`` to count the SQL queries one call makes (kept out of the
timed calls so query logging does not inflate the timings).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Count, Max, Min
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from steward.accounts.services import api_token_issue
from steward.customers.models import Customer
from steward.organisations.models import StaffMember, Team
from steward.requests.lifecycle import Status
from steward.requests.models import Request
from steward.requests.services import SweepReport, sla_sweep

from .dataset import DatasetGenerator

T = TypeVar("T")
WARMUP = 5
COUNTED = 5  # calls whose queries are counted, after the timed ones
SWEEP_COUNTED = 2


@dataclass
class Measurement:
    """Timings (ms) of one operation, and the SQL queries per call."""

    operation: str
    timings_ms: list[float]
    queries: list[int]
    note: str = ""
    section: str = "operations"  # the report's table: operations, search or pages

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile: the smallest timing at least q% of calls were at or under."""
        ordered = sorted(self.timings_ms)
        return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]

    @property
    def queries_text(self) -> str:
        if not self.queries:
            return "–"
        low, high = min(self.queries), max(self.queries)
        return str(low) if low == high else f"{low}–{high}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "samples": len(self.timings_ms),
            "p50_ms": round(self.percentile(50), 2),
            "p95_ms": round(self.percentile(95), 2),
            "max_ms": round(max(self.timings_ms), 2),
            "queries": self.queries_text,
            "note": self.note,
            "section": self.section,
        }


def _ms(seconds: float) -> float:
    return seconds * 1000


def _timed(
    operation: str,
    call: Callable[[T], object],
    inputs: Sequence[T],
    *,
    samples: int,
    counted: int = COUNTED,
    warmup: int = WARMUP,
    note: str = "",
) -> Measurement:
    """Call ``call`` on successive inputs: ``warmup`` untimed, ``samples`` timed, then
    ``counted`` under query capture. ``inputs`` must hold warmup + samples + counted."""
    feed = iter(inputs)
    for _ in range(warmup):
        call(next(feed))
    timings = []
    for _ in range(samples):
        argument = next(feed)
        started = time.perf_counter()
        call(argument)
        timings.append(_ms(time.perf_counter() - started))
    queries = []
    for _ in range(counted):
        with CaptureQueriesContext(connection) as captured:
            call(next(feed))
        queries.append(len(captured.captured_queries))
    return Measurement(operation, timings, queries, note)


@dataclass
class Caller:
    """Calls the JSON API as one staff member, with a real bearer token."""

    staff: StaffMember
    client: Client = field(default_factory=Client)
    token: str = ""

    def __post_init__(self) -> None:
        self.token = api_token_issue(user=self.staff.user, label="bench")[1]

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get("/api/v1" + path, params, headers={"Authorization": f"Bearer {self.token}"})
        return self._checked(response, 200, path)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.client.post(
            "/api/v1" + path, body, content_type="application/json", headers={"Authorization": f"Bearer {self.token}"}
        )
        return self._checked(response, 201, path)

    @staticmethod
    def _checked(response: Any, status: int, path: str) -> Any:
        if response.status_code != status:
            raise RuntimeError(f"{path} answered {response.status_code}, not {status}: {response.content[:500]!r}")
        return response


def _active_member(team: Team) -> StaffMember:
    """The team's lead if active, else its first active member."""
    members = StaffMember.objects.select_related("user").filter(team=team, is_active=True).order_by("id")
    lead = members.filter(pk=team.lead_id).first() if team.lead_id else None
    member = lead or members.first()
    if member is None:
        raise RuntimeError(f"{team.name} has nobody active to call the API as.")
    return member


def capture(generator: DatasetGenerator, rng: random.Random, *, samples: int) -> Measurement:
    """POST /api/v1/requests: a call handler takes down a request for a random customer
    and a random need (any organisation's: any door is the right door)."""
    world = generator.world
    handlers = world.customer_contact or [s for people in world.active_members.values() for s in people]
    caller = Caller(StaffMember.objects.select_related("user").get(pk=handlers[0].pk))
    bounds = Customer.objects.aggregate(low=Min("id"), high=Max("id"))
    total = WARMUP + samples + COUNTED
    payloads = [
        {
            "customer_id": rng.randint(bounds["low"], bounds["high"]),
            "need_id": rng.choice(world.needs).pk,
            "channel": "phone",
            "description": "My carer didn't come this morning and nobody rang to say why.",
        }
        for _ in range(total)
    ]
    return _timed(
        "capture a request (POST /requests)",
        lambda body: caller.post("/requests", body),
        payloads,
        samples=samples,
        note="routes to the least-busy member; 2 events, 1 notification, 1 task",
    )


def team_queue(*, samples: int) -> Measurement:
    """GET /api/v1/teams/{id}/queue: the first page (25) of the busiest team's queue, as its lead."""
    busiest = (
        Request.objects.exclude(status=Status.CLOSED).values("team").annotate(n=Count("id")).order_by("-n").first()
    )
    if busiest is None:
        raise RuntimeError("No request is open: nothing to queue.")
    team = Team.objects.get(pk=busiest["team"])
    caller = Caller(_active_member(team))
    path = f"/teams/{team.pk}/queue"
    return _timed(
        "team queue, page 1 (GET /teams/{id}/queue)",
        lambda _: caller.get(path),
        [None] * (WARMUP + samples + COUNTED),
        samples=samples,
        note=f"{team.name}: {busiest['n']:,} requests not closed",
    )


def customer_timeline(rng: random.Random, *, samples: int) -> Measurement:
    """GET /api/v1/customers/{id}/timeline: the first page (25) of the story of customers
    picked through random requests (so frequent askers come up more often, as at a
    real front desk), as a staff member of that request's organisation."""
    bounds = Request.objects.aggregate(low=Min("id"), high=Max("id"))
    total = WARMUP + samples + COUNTED
    wanted = [rng.randint(bounds["low"], bounds["high"]) for _ in range(total * 2)]
    found = dict(Request.objects.filter(pk__in=wanted).values_list("id", "customer_id"))
    orgs = dict(Request.objects.filter(pk__in=wanted).values_list("id", "organisation_id"))
    picks = [(found[pk], orgs[pk]) for pk in wanted if pk in found][:total]
    callers: dict[int, Caller] = {}
    for organisation_id in {org for _, org in picks}:
        staff = (
            StaffMember.objects.select_related("user")
            .filter(organisation_id=organisation_id, is_active=True, supervisor__isnull=False)
            .order_by("id")
            .first()
        )
        assert staff is not None
        callers[organisation_id] = Caller(staff)

    # The read names its purpose and goes through the consent door (a grant check and an
    # access-log entry), as every staff read does. The generated dataset holds no grants:
    # give each picked customer the grant a request of theirs would have made (kept and
    # reused by later runs), outside the timing.
    from django.db import transaction

    from steward.consent.services import grant_ensure
    from steward.customers.models import Customer
    from steward.organisations.models import Organisation

    with transaction.atomic():
        customers = Customer.objects.in_bulk({c for c, _ in picks})
        organisations = Organisation.objects.in_bulk({o for _, o in picks})
        for customer_id, organisation_id in set(picks):
            grant_ensure(
                customer=customers[customer_id],
                organisation=organisations[organisation_id],
                purpose="service_provision",
                categories=["contact_details", "messages"],
                lawful_basis="contract",
                reason="To deal with your requests.",
                actor=None,
            )

    def call(pick: tuple[int, int]) -> object:
        customer_id, organisation_id = pick
        return callers[organisation_id].get(f"/customers/{customer_id}/timeline", limit=25, purpose="service_provision")

    return _timed(
        "customer timeline, page 1 (GET /customers/{id}/timeline)",
        call,
        picks,
        samples=samples,
        note="limit 25, with the total count; includes the grant check and the access-log entry",
    )


def _sweep_timed() -> tuple[float, SweepReport]:
    started = time.perf_counter()
    report = sla_sweep(at=timezone.now())
    return _ms(time.perf_counter() - started), report


def first_sweep() -> Measurement:
    """The run's first ``sla_sweep(at=now)``, before anything else touches the database:
    it does whatever work built up since the dataset was made or last swept (deadlines
    that passed in between), then further sweeps drain anything left."""
    elapsed, report = _sweep_timed()
    note = (
        f"{report.changes} changes: {report.first_response_breaches} first-reply and "
        f"{report.resolution_breaches} resolution escalations, {report.closed_after_window} closed"
    )
    drained = 0
    while report.changes and drained < 50:
        _, report = _sweep_timed()
        drained += 1
    return Measurement("sweep: first of the run", [elapsed], [], note)


def sweeps(generator: DatasetGenerator, *, idle_samples: int, busy_samples: int, batch: int) -> list[Measurement]:
    """``sla_sweep(at=now)``, called directly as the worker does, once nothing is left
    over from before (see `first_sweep`), two ways:

    - sweeps with nothing to do: what the worker pays every minute, all day;
    - sweeps right after ``batch`` open requests became overdue for their first reply
      (added, untimed, just before each): each escalates ``batch`` requests by name.
    """
    results = [
        _timed(
            "sweep: nothing to do",
            lambda _: sla_sweep(at=timezone.now()),
            [None] * (WARMUP + idle_samples + SWEEP_COUNTED),
            samples=idle_samples,
            counted=SWEEP_COUNTED,
            note="the worker's steady state",
        )
    ]
    if busy_samples < 1:
        return results
    timings: list[float] = []
    escalated: list[int] = []
    for _ in range(busy_samples):
        generator.overdue_requests_add(batch)
        elapsed, report = _sweep_timed()
        timings.append(elapsed)
        escalated.append(report.first_response_breaches)
    queries = []
    for _ in range(SWEEP_COUNTED):
        generator.overdue_requests_add(batch)
        with CaptureQueriesContext(connection) as captured:
            sla_sweep(at=timezone.now())
        queries.append(len(captured.captured_queries))
    note = f"escalated {min(escalated)}–{max(escalated)} per sweep" if escalated else ""
    results.append(Measurement(f"sweep: {batch} newly overdue", timings, queries, note))
    return results
