"""The benchmark dataset: customers, their contact points, requests and timeline events,
in the shape production would have after two years, at a size you choose.

`dataset_generate` builds it all; `DatasetGenerator` writes the bulk rows and is also
used by the sweep measurement to add requests that have just become overdue.

What the rows look like (and why):

- Customers registered before the two years of history began, each with one to three
  contact points (email, phone, postal address), each with a "registered" event.
- Requests spread evenly over the two years, ids rising with time. A few customers ask
  often (the distribution is skewed), most ask a handful of times.
- Every request's need picks its team; busier teams get more. Requests from the last 45
  days are a mix of open, waiting, resolved and closed; older ones are closed, except a
  few still open and long overdue (the backlog every queue has).
- Owners: an active member of the routed team for any request that is not closed (the
  database's ``open_request_has_owner`` and I1), anyone who was in the team for closed
  ones. ``due_at`` mirrors `requests.services._next_due`. Deadlines missed before the
  dataset's "now" are already marked breached, as a sweep would have done.
- Timeline events: ``captured`` and ``routed`` for every request, then the story of its
  status (first reply, waiting, resolved, closed, missed deadlines and escalations) and
  conversation in between, with ``occurred_at`` strictly increasing within a request
  and the event's organisation being the request's. Events are only ever inserted
  (the table is append-only).
"""

from __future__ import annotations

import json
import random
import time
from bisect import bisect
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import accumulate
from typing import TextIO

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from steward.customers.contact_normalisation import normalise_email, normalise_phone, normalise_postcode
from steward.customers.models import ContactPoint, Customer, NameWord
from steward.customers.name_folding import fold_name, name_words
from steward.needs.models import Need
from steward.organisations.models import StaffMember
from steward.requests.lifecycle import Status
from steward.requests.models import Channel, Request
from steward.timeline.models import TimelineEvent

from .bulk_insert import Row, TableWriter, indexes_and_foreign_keys_deferred, sequences_reset
from .parameters import DatasetSize
from .progress import ProgressBar
from .world import FAMILY_NAMES, FIRST_NAMES, World, world_build

HISTORY = timedelta(days=730)
RECENT = timedelta(days=45)
# Requests created in the last 45 days: cumulative shares of open, waiting and resolved;
# the rest are closed.
RECENT_STATUS_MIX = ((0.40, Status.OPEN), (0.50, Status.WAITING), (0.60, Status.RESOLVED))
OLD_STILL_OPEN = 0.005  # older requests that are still open (long overdue)
RESOLVED_WITHIN = timedelta(days=6)  # younger than the reopen window, so the sweep leaves them
REOPENED_SHARE = 0.03
BATCH = 5_000  # requests (with their events) or customers per transaction

CHANNELS = (Channel.PHONE, Channel.WEB, Channel.EMAIL, Channel.IN_PERSON, Channel.SMS)
CHANNEL_CUM_WEIGHTS = tuple(accumulate((40, 30, 20, 5, 5)))
LANGUAGES = ("en",) * 17 + ("cy", "ur", "pl")

DESCRIPTIONS = (
    "I rang last week and nobody has got back to me, so I am trying again.",
    "It has been like this for three days now and I am getting worried.",
    "My daughter usually helps me with this but she is away until the end of the month.",
    "I have already explained this to two people; please read what I said before.",
    "I am at home most mornings; please call before you come round.",
    "I don't use email much, a phone call is best for me.",
    "This is the second time this has happened since the spring.",
    "I am not sure this is the right place to ask, but the website sent me here.",
    "It is affecting my sleep and I can't manage the stairs at the moment.",
    "Could somebody explain what happens next and when?",
)
MESSAGES_OUT = (
    "Thank you for letting us know. I have looked into it and will call you tomorrow morning.",
    "I have booked someone to visit on Thursday between 9am and 1pm.",
    "Could you send us a photo or tell us a bit more about when it started?",
    "I have spoken to the team and this is now sorted; please tell me if anything is still wrong.",
    "I am sorry this has happened again. I have asked my manager to look at it too.",
)
MESSAGES_IN = (
    "Thank you, Thursday morning is fine.",
    "Nobody came yesterday, I waited in all day.",
    "Yes, that's right. It started after the storm.",
    "I'm still waiting to hear back, can you tell me what is happening?",
    "That's all working now, thank you for your help.",
)
NOTES = (
    "Spoke to the customer's daughter (with permission). She will be there on Thursday.",
    "Checked the history: same problem reported last year, fixed then by the contractor.",
    "Customer sounded distressed; flagged to the team lead.",
    "Waiting on the contractor's report before replying.",
)
STREETS = ("High Street", "Church Lane", "Station Road", "Mill Road", "Park Avenue", "Victoria Street", "Queens Road")
POSTCODE_AREAS = ("LS", "BD", "HX", "WF", "HD", "YO", "HG")


@dataclass(frozen=True)
class RequestPlan:
    """One request to write: who asked, for what, when, where it stands now, and how
    many timeline events tell its story."""

    request_id: int
    customer_id: int
    customer_name: str
    need: Need
    status: str
    created_at: datetime
    events: int


@dataclass
class GenerationReport:
    """How long each step of `dataset_generate` took, in seconds."""

    world: float = 0.0
    customers: float = 0.0
    requests: float = 0.0
    indexes: float = 0.0  # building the deferred indexes again
    total: float = 0.0


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A random moment in [start, end] (start when end is earlier)."""
    if end <= start:
        return start
    return start + (end - start) * rng.random()


def _next_due(
    status: str, first_responded_at: datetime | None, first_response_due: datetime, resolution_due: datetime
) -> datetime | None:
    """Mirrors `steward.requests.services._next_due`: the deadline a queue sorts by."""
    if status != Status.OPEN:
        return None
    return first_response_due if first_responded_at is None else resolution_due


def _json(data: dict[str, object]) -> str:
    return json.dumps(data, separators=(",", ":"))


CUSTOMER_FIELDS = (
    "id",
    "given_name",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "language",
    "accessibility_needs",
    "what_matters_to_me",
    "is_vulnerable",
    "search_name",
    "created_at",
    "updated_at",
)
NAME_WORD_FIELDS = ("id", "customer", "word")
CONTACT_FIELDS = ("id", "customer", "kind", "value", "normalized", "postcode", "is_preferred", "created_at")
REQUEST_FIELDS = (
    "id",
    "customer",
    "organisation",
    "need",
    "team",
    "owner",
    "owner_since",
    "status",
    "channel",
    "subject",
    "description",
    "captured_by",
    "first_response_due",
    "resolution_due",
    "due_at",
    "first_responded_at",
    "paused_at",
    "first_response_breached_at",
    "resolution_breached_at",
    "resolved_at",
    "closed_at",
    "reopen_count",
    "created_at",
    "updated_at",
)
EVENT_FIELDS = (
    "id",
    "customer",
    "organisation",
    "request",
    "kind",
    "channel",
    "actor",
    "actor_name",
    "summary",
    "body",
    "is_internal",
    "data",
    "corrects",
    "occurred_at",
)

K = TimelineEvent.Kind
SYSTEM = TimelineEvent.Channel.SYSTEM
# What fills a request's story between its milestones: a conversation once someone has
# replied; before that, only the customer chasing and internal notes.
CONVERSATION = ("message_in", "message_out", "note", "message_in")
UNANSWERED_CONVERSATION = ("message_in", "note")
# Status milestone -> (from, to), as a status_changed event records it.
STATUS_STEPS = {
    "waiting": (Status.OPEN, Status.WAITING),
    "resolved": (Status.OPEN, Status.RESOLVED),
    "closed": (Status.RESOLVED, Status.CLOSED),
}


class DatasetGenerator:
    """Writes customers and requests (with their timeline) for a `World`.

    ``now`` is the dataset's present: the newest request is from just before it, and
    deadlines before it count as missed.
    """

    def __init__(
        self, world: World, *, seed: int = 42, now: datetime | None = None, progress_stream: TextIO | None = None
    ) -> None:
        if not world.needs:
            raise ValueError("The world has no needs to route requests to.")
        self.world = world
        self.rng = random.Random(seed)
        self.now = now or timezone.now()
        self.progress_stream = progress_stream
        self.customers = TableWriter(Customer, CUSTOMER_FIELDS)
        self.contact_points = TableWriter(ContactPoint, CONTACT_FIELDS)
        self.name_words = TableWriter(NameWord, NAME_WORD_FIELDS)
        self.requests = TableWriter(Request, REQUEST_FIELDS)
        self.events = TableWriter(TimelineEvent, EVENT_FIELDS)
        self._need_cum_weights = list(accumulate(world.need_weights))
        self._team_names = {t.pk: t.name for t in world.teams}
        self._org_names = {o.pk: o.name for o in world.organisations}

    # --- customers ------------------------------------------------------------------

    def customers_add(self, count: int, *, registered_events: int | None = None) -> dict[int, str]:
        """Write `count` customers with contact points; the first `registered_events`
        of them (default: all) get their "registered" event. Returns id -> given name."""
        registered = count if registered_events is None else registered_events
        customer_id = self.customers.next_id()
        contact_id = self.contact_points.next_id()
        word_id = self.name_words.next_id()
        event_id = self.events.next_id()
        names: dict[int, str] = {}
        progress = ProgressBar("customers", count, stream=self.progress_stream)
        history_start = self.now - HISTORY
        for start in range(0, count, BATCH):
            customers: list[Row] = []
            contacts: list[Row] = []
            words: list[Row] = []
            events: list[Row] = []
            for i in range(start, min(start + BATCH, count)):
                row, points, event = self._customer_rows(
                    customer_id, contact_id, event_id, history_start, registered=i < registered
                )
                customers.append(row)
                contacts.extend(points)
                names[customer_id] = row[1]
                for word in name_words(row[9]):  # the customer's search_name
                    words.append((word_id, customer_id, word))
                    word_id += 1
                customer_id += 1
                contact_id += len(points)
                if event is not None:
                    events.append(event)
                    event_id += 1
            with transaction.atomic():
                self.customers.write(customers)
                self.contact_points.write(contacts)
                self.name_words.write(words)
                self.events.write(events)
            progress.advance(len(customers))
        progress.finish()
        return names

    def _customer_rows(
        self, customer_id: int, contact_id: int, event_id: int, history_start: datetime, *, registered: bool
    ) -> tuple[Row, list[Row], Row | None]:
        rng = self.rng
        given, family = rng.choice(FIRST_NAMES), rng.choice(FAMILY_NAMES)
        preferred = rng.choice(FIRST_NAMES) if rng.random() < 0.05 else ""
        created = history_start - timedelta(days=365) * rng.random()
        vulnerable = rng.random() < 0.08
        row = (
            customer_id,
            given,
            family,
            preferred,
            date(1930, 1, 1) + timedelta(days=rng.randrange(27_000)),
            rng.choice(LANGUAGES),
            "Hard of hearing; please speak clearly or use text." if rng.random() < 0.05 else "",
            "Staying in my own home." if vulnerable else "",
            vulnerable,
            fold_name(" ".join(p for p in (given, family, preferred) if p)),
            created,
            created,
        )
        points: list[Row] = []
        kinds = [k for k, share in (("email", 0.8), ("phone", 0.7), ("address", 0.6)) if rng.random() < share]
        for n, kind in enumerate(kinds or ["phone"]):
            postcode = ""
            if kind == "email":
                value = f"{given}.{family}.{customer_id}@example.org".lower().replace("'", "")
                normalized = normalise_email(value)
            elif kind == "phone":
                value = f"07{rng.randrange(100_000_000, 999_999_999)}"
                normalized = normalise_phone(value)
            else:
                letters = "ABDEFGHJLNPQRSTUWXYZ"
                postcode = (
                    f"{rng.choice(POSTCODE_AREAS)}{rng.randrange(1, 30)} "
                    f"{rng.randrange(1, 10)}{rng.choice(letters)}{rng.choice(letters)}"
                )
                value = f"{rng.randrange(1, 200)} {rng.choice(STREETS)}"
                normalized = " ".join(value.lower().split())
                postcode = normalise_postcode(postcode)
            points.append((contact_id + n, customer_id, kind, value, normalized, postcode, n == 0, created))
        event = None
        if registered:
            org = self.rng.choice(self.world.organisations)
            event = (
                event_id,
                customer_id,
                org.pk,
                None,
                K.CUSTOMER_REGISTERED,
                SYSTEM,
                None,
                org.name,
                f"{given} {family} was registered by {org.name}.",
                "",
                False,
                "{}",
                None,
                created,
            )
        return row, points, event

    # --- requests -------------------------------------------------------------------

    def requests_add(self, count: int, *, events: int, customers: dict[int, str]) -> None:
        """Write `count` requests spread over the last two years, with `events` timeline
        events between them (at least two each), for the given customers (id -> name)."""
        if count == 0:
            return
        if events < 2 * count:
            raise ValueError("Every request needs at least two events (captured, routed).")
        ids = sorted(customers)
        per_request, extra = divmod(events, count)
        request_id = self.requests.next_id()
        progress = ProgressBar("requests", count, stream=self.progress_stream)
        start_at = self.now - HISTORY
        rng = self.rng
        for start in range(0, count, BATCH):
            plans = []
            for i in range(start, min(start + BATCH, count)):
                # Skewed: u**1.5 puts more requests on the first customers (the frequent askers).
                customer_id = ids[int(len(ids) * rng.random() ** 1.5)]
                created = start_at + HISTORY * ((i + rng.random()) / count)
                plans.append(
                    RequestPlan(
                        request_id=request_id + i,
                        customer_id=customer_id,
                        customer_name=customers[customer_id],
                        need=self._need(),
                        status=self._status(created),
                        created_at=created,
                        events=per_request + (1 if i < extra else 0),
                    )
                )
            self._write_plans(plans)
            progress.advance(len(plans), detail=f"events {self.events.rows_written:,}")
        progress.finish()

    def overdue_requests_add(self, count: int, *, now: datetime | None = None) -> list[int]:
        """Write `count` open requests whose first reply became overdue half an hour
        before ``now`` (their resolution is not yet due), with no breach recorded: work
        for the next sweep. Customers are picked from those already in the database."""
        now = now or timezone.now()
        needs = [n for n in self.world.needs if n.resolution_minutes >= n.first_response_minutes + 60]
        bounds = Customer.objects.aggregate(low=Min("id"), high=Max("id"))
        if not needs or bounds["low"] is None:
            raise ValueError("Overdue requests need customers and a need with room between its deadlines.")
        wanted = {self.rng.randint(bounds["low"], bounds["high"]) for _ in range(count)}
        names = dict(Customer.objects.filter(pk__in=wanted).values_list("id", "given_name"))
        customer_ids = sorted(names) or [bounds["low"]]
        request_id = self.requests.next_id()
        plans = []
        for i in range(count):
            need = self.rng.choice(needs)
            customer_id = customer_ids[i % len(customer_ids)]
            plans.append(
                RequestPlan(
                    request_id=request_id + i,
                    customer_id=customer_id,
                    customer_name=names.get(customer_id, "The customer"),
                    need=need,
                    status=Status.OPEN,
                    created_at=now - timedelta(minutes=need.first_response_minutes + 30),
                    events=2,
                )
            )
        self._write_plans(plans, now=now, unanswered=True)
        sequences_reset([Request, TimelineEvent])
        return [p.request_id for p in plans]

    def _need(self) -> Need:
        weights = self._need_cum_weights
        return self.world.needs[bisect(weights, self.rng.random() * weights[-1])]

    def _status(self, created: datetime) -> str:
        r = self.rng.random()
        if self.now - created <= RECENT:
            for share, status in RECENT_STATUS_MIX:
                if r < share:
                    return status
            return Status.CLOSED
        return Status.OPEN if r < OLD_STILL_OPEN else Status.CLOSED

    def _write_plans(self, plans: list[RequestPlan], *, now: datetime | None = None, unanswered: bool = False) -> None:
        event_id = self.events.next_id()
        request_rows: list[Row] = []
        event_rows: list[Row] = []
        for plan in plans:
            request_row, events = self._request_rows(plan, event_id, now=now or self.now, unanswered=unanswered)
            request_rows.append(request_row)
            event_rows.extend(events)
            event_id += len(events)
        with transaction.atomic():
            self.requests.write(request_rows)
            self.events.write(event_rows)

    def _request_rows(
        self, plan: RequestPlan, event_id: int, *, now: datetime, unanswered: bool
    ) -> tuple[Row, list[Row]]:
        """The request's row and its timeline, consistent with each other."""
        rng = self.rng
        need, status, created = plan.need, plan.status, plan.created_at
        team_id = need.team_id
        active = self.world.active_members[team_id]
        owner = rng.choice(
            active if status != Status.CLOSED or not self.world.members[team_id] else self.world.members[team_id]
        )
        first_response = timedelta(minutes=need.first_response_minutes)
        first_response_due = created + first_response
        resolution_due = created + timedelta(minutes=need.resolution_minutes)
        resolved_at = closed_at = paused_at = first_responded_at = None
        if status == Status.CLOSED:
            resolved_at = _between(
                rng,
                min(now, created + first_response * 0.3),
                min(now, created + timedelta(minutes=need.resolution_minutes * 1.3)),
            )
            closed_at = _between(rng, resolved_at, min(now, resolved_at + timedelta(days=7)))
            end = closed_at
        elif status == Status.RESOLVED:
            resolved_at = _between(rng, max(created, now - RESOLVED_WITHIN), now)
            end = resolved_at
        elif status == Status.WAITING:
            paused_at = _between(rng, created, now)
            end = paused_at
        else:
            end = _between(rng, created, now)
        # Everything past "open" has had a first reply; of open requests, most that have
        # been around for a while have had one too.
        replied = status != Status.OPEN or (
            not unanswered and now - created > first_response * 0.5 and rng.random() < 0.7
        )
        if replied:
            first_responded_at = _between(rng, created, min(end, created + first_response * 1.5))
        minute = timedelta(minutes=1)
        first_response_breached_at = resolution_breached_at = None
        if status != Status.WAITING and not unanswered:
            replied_or_now = first_responded_at or now
            if replied_or_now > first_response_due:
                first_response_breached_at = first_response_due + minute
            if (resolved_at or now) > resolution_due:
                resolution_breached_at = resolution_due + minute
        channel = CHANNELS[bisect(CHANNEL_CUM_WEIGHTS, rng.random() * CHANNEL_CUM_WEIGHTS[-1])]
        captured_by: StaffMember | None = None
        if channel != Channel.WEB:
            callers = self.world.customer_contact if channel != Channel.SMS else []
            captured_by = rng.choice(callers) if callers and rng.random() < 0.6 else rng.choice(active)
        description = rng.choice(DESCRIPTIONS)
        # The moments the request row records, each told by an event at that moment.
        milestones: list[tuple[datetime, str]] = []
        if first_responded_at is not None:
            milestones.append((first_responded_at, "message_out"))
        if first_response_breached_at is not None:
            milestones += [
                (first_response_breached_at, "first_response_breached"),
                (first_response_breached_at, "first_response_escalated"),
            ]
        if resolution_breached_at is not None:
            milestones += [
                (resolution_breached_at, "resolution_breached"),
                (resolution_breached_at, "resolution_escalated"),
            ]
        for moment, step in ((paused_at, "waiting"), (resolved_at, "resolved"), (closed_at, "closed")):
            if moment is not None:
                milestones.append((moment, step))
        milestones.sort(key=lambda m: m[0])  # stable: a breach comes before its escalation
        events = self._story_rows(
            plan,
            event_id,
            owner=owner,
            channel=channel,
            captured_by=captured_by,
            description=description,
            milestones=milestones,
            end=end,
            replied=replied,
            first_response_due=first_response_due,
            resolution_due=resolution_due,
        )
        request_row = (
            plan.request_id,
            plan.customer_id,
            need.organisation_id,
            need.pk,
            team_id,
            owner.pk,
            created,
            status,
            channel,
            need.title,
            description,
            captured_by.pk if captured_by else None,
            first_response_due,
            resolution_due,
            _next_due(status, first_responded_at, first_response_due, resolution_due),
            first_responded_at,
            paused_at,
            first_response_breached_at,
            resolution_breached_at,
            resolved_at,
            closed_at,
            1 if status == Status.CLOSED and rng.random() < REOPENED_SHARE else 0,
            created,
            events[-1][-1],
        )
        return request_row, events

    def _story_rows(
        self,
        plan: RequestPlan,
        event_id: int,
        *,
        owner: StaffMember,
        channel: str,
        captured_by: StaffMember | None,
        description: str,
        milestones: list[tuple[datetime, str]],
        end: datetime,
        replied: bool,
        first_response_due: datetime,
        resolution_due: datetime,
    ) -> list[Row]:
        """``plan.events`` timeline rows: captured, routed, then what happened since.

        The milestones (first reply, missed deadlines, waiting, resolved, closed) keep
        their moments; when there are more than the event budget allows, the latest
        are kept. Left-over budget becomes conversation (messages both ways, notes)
        between the first and the last milestone.
        """
        rng = self.rng
        need = plan.need
        created = plan.created_at
        slots = plan.events - 2
        kept = milestones[len(milestones) - slots :] if slots < len(milestones) else milestones
        if len(kept) >= 2:
            window_start, window_end = kept[0][0], kept[-1][0]
        else:
            window_start, window_end = created, (kept[0][0] if kept else end)
        talk = CONVERSATION if replied else UNANSWERED_CONVERSATION
        filler_count = slots - len(kept)
        gap = (window_end - window_start) / (filler_count + 1)
        fillers = [(window_start + gap * (n + 1), talk[n % len(talk)]) for n in range(filler_count)]
        story = sorted(kept + fillers, key=lambda m: m[0])
        owner_name, customer = owner.display_name, plan.customer_name
        org_id, request_id, customer_id = need.organisation_id, plan.request_id, plan.customer_id
        taker = captured_by.display_name if captured_by else f"{customer} (customer)"
        team_name = self._team_names[need.team_id]
        supervisor = self.world.supervisor_names.get(owner.pk, owner_name)
        rows: list[Row] = [
            (
                event_id,
                customer_id,
                org_id,
                request_id,
                K.CAPTURED,
                channel,
                captured_by.pk if captured_by else None,
                taker,
                f"{taker} took down a request: “{need.title}”.",
                description,
                False,
                f'{{"need":{json.dumps(need.code)},"captured_by_organisation":'
                f"{captured_by.organisation_id if captured_by else 'null'}}}",
                None,
                created,
            ),
            (
                event_id + 1,
                customer_id,
                org_id,
                request_id,
                K.ROUTED,
                SYSTEM,
                None,
                "Steward",
                f"Given to {team_name}. {owner_name} is looking after it, and answers to {supervisor}.",
                "",
                False,
                f'{{"team_id":{need.team_id},"owner_id":{owner.pk},"reason":"least open work"}}',
                None,
                created,
            ),
        ]
        previous = created
        tick = timedelta(microseconds=1)
        for n, (moment, step_kind) in enumerate(story, start=2):
            # Strictly increasing, also when a story is squeezed into an instant.
            at = previous = max(moment, previous + tick)
            eid = event_id + n
            if step_kind == "message_out":
                rows.append(
                    (
                        eid,
                        customer_id,
                        org_id,
                        request_id,
                        K.MESSAGE_OUT,
                        channel,
                        owner.pk,
                        owner_name,
                        f"{owner_name} wrote to {customer}.",
                        rng.choice(MESSAGES_OUT),
                        False,
                        "{}",
                        None,
                        at,
                    )
                )
            elif step_kind == "message_in":
                rows.append(
                    (
                        eid,
                        customer_id,
                        org_id,
                        request_id,
                        K.MESSAGE_IN,
                        channel,
                        owner.pk,
                        f"{customer} (customer)",
                        f"{customer} said (noted by {owner_name}).",
                        rng.choice(MESSAGES_IN),
                        False,
                        f'{{"recorded_by":{owner.pk}}}',
                        None,
                        at,
                    )
                )
            elif step_kind == "note":
                rows.append(
                    (
                        eid,
                        customer_id,
                        org_id,
                        request_id,
                        K.NOTE,
                        SYSTEM,
                        owner.pk,
                        owner_name,
                        f"{owner_name} added a note.",
                        rng.choice(NOTES),
                        True,
                        "{}",
                        None,
                        at,
                    )
                )
            elif step_kind in STATUS_STEPS:
                before, after = STATUS_STEPS[step_kind]
                by_sweep = step_kind == "closed" and rng.random() < 0.5
                who, actor = ("Steward", None) if by_sweep else (owner_name, owner.pk)
                rows.append(
                    (
                        eid,
                        customer_id,
                        org_id,
                        request_id,
                        K.STATUS_CHANGED,
                        SYSTEM,
                        actor,
                        who,
                        f"{who} marked the request as {after.label.lower()}.",
                        "",
                        False,
                        _json({"from": before, "to": after, "trigger": "sweep" if by_sweep else "staff", "reason": ""}),
                        None,
                        at,
                    )
                )
            else:
                which = "first_response" if step_kind.startswith("first_response") else "resolution"
                due = first_response_due if which == "first_response" else resolution_due
                if step_kind.endswith("breached"):
                    rows.append(
                        (
                            eid,
                            customer_id,
                            org_id,
                            request_id,
                            K.BREACHED,
                            SYSTEM,
                            None,
                            "Steward",
                            f"The {'first reply' if which == 'first_response' else 'resolution'} was due by "
                            f"{due:%d %b %Y %H:%M} and was missed.",
                            "",
                            False,
                            _json({"which": which, "due": due.isoformat(), "swept_at": at.isoformat()}),
                            None,
                            at,
                        )
                    )
                else:
                    rows.append(
                        (
                            eid,
                            customer_id,
                            org_id,
                            request_id,
                            K.ESCALATED,
                            SYSTEM,
                            None,
                            "Steward",
                            f"Escalated to {supervisor}, who {owner_name} answers to.",
                            "",
                            False,
                            _json({"which": which, "owner": owner.pk}),
                            None,
                            at,
                        )
                    )
        return rows


def dataset_generate(
    size: DatasetSize,
    *,
    seed: int = 42,
    staff_count: int = 300,
    defer_indexes: bool = False,
    progress_stream: TextIO | None = None,
) -> GenerationReport:
    """Build the whole dataset into the current (empty) database.

    ``defer_indexes`` loads the bulk tables without secondary indexes and per-row
    foreign-key checks, restoring both afterwards (much faster at millions of rows;
    only for the bench's own database, outside a transaction).
    """
    report = GenerationReport()
    started = time.perf_counter()
    world = world_build(staff_count=staff_count, seed=seed)
    report.world = time.perf_counter() - started
    generator = DatasetGenerator(world, seed=seed, progress_stream=progress_stream)
    bulk_models = [Customer, ContactPoint, NameWord, Request, TimelineEvent]
    with ExitStack() as stack:
        if defer_indexes:
            stack.enter_context(indexes_and_foreign_keys_deferred(bulk_models, progress_stream=progress_stream))
        mark = time.perf_counter()
        customers = generator.customers_add(size.customers, registered_events=size.registered_events)
        report.customers = time.perf_counter() - mark
        mark = time.perf_counter()
        generator.requests_add(size.requests, events=size.request_events, customers=customers)
        report.requests = time.perf_counter() - mark
        mark = time.perf_counter()
    report.indexes = time.perf_counter() - mark
    sequences_reset(bulk_models)
    report.total = time.perf_counter() - started
    return report
