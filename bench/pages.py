"""What staff and customers wait on that is not an API call: finding a customer, and the
console and portal pages.

- **Customer search** (issue 5): ``GET /api/v1/customers?q=…&limit=20`` as a call
  handler, one row per kind of query, each built from a different random customer of the
  dataset: their full name, the first three letters of their family name, their email
  address, their phone number written with a space, their postcode with its space, and
  their name with two letters swapped (a slip: PostgreSQL's trigram path; on SQLite it
  finds nobody). Every answer includes the total count.
- **Pages**: server time of whole pages through ``django.test.Client`` in-process (URL
  routing, middleware, session, the view, the read door where the page reads customer
  data, template rendering; no network, no static files). The staff member is the one
  with the most open requests, so "My work" is as long as it gets; the customers for
  the portal pages are reached through random requests, so frequent askers come up more
  often. Pages that read a customer's data need a grant, as in service; the generated
  dataset has none, so each picked customer gets the grant a request of theirs would have
  made, outside the timing (kept, and reused by later runs).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.db.models import Count, Max, Min
from django.test import Client
from django.urls import reverse

from steward.consent.services import grant_ensure
from steward.customers.models import ContactPoint, Customer
from steward.organisations.models import Organisation, StaffMember
from steward.portal.access import SESSION_KEY as PORTAL_SESSION_KEY
from steward.requests.lifecycle import Status
from steward.requests.models import Request

from .measure import COUNTED, WARMUP, Caller, Measurement, _timed

SEARCH_NOTE = "limit 20, with the total count"


def _random_customers(rng: random.Random, count: int, *, having: str | None = None) -> list[Customer]:
    """``count`` random customers (with replacement), each with a contact point of kind
    ``having`` if given, with their contact points loaded."""
    bounds = Customer.objects.aggregate(low=Min("id"), high=Max("id"))
    picked: list[int] = []
    while len(picked) < count:
        wanted = [rng.randint(bounds["low"], bounds["high"]) for _ in range(count * 3)]
        found = Customer.objects.filter(pk__in=wanted).exclude(search_name="")
        if having:
            found = found.filter(contact_points__kind=having)
        have = set(found.values_list("id", flat=True))
        picked += [pk for pk in wanted if pk in have][: count - len(picked)]
    customers = Customer.objects.prefetch_related("contact_points").in_bulk(set(picked))
    return [customers[pk] for pk in picked]


def _point(customer: Customer, kind: str) -> ContactPoint:
    return next(p for p in customer.contact_points.all() if p.kind == kind)


def _swap_two_letters(name: str, rng: random.Random) -> str:
    if len(name) < 4:
        return name
    i = rng.randrange(1, len(name) - 2)
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]


def customer_search(rng: random.Random, *, samples: int) -> list[Measurement]:
    """GET /api/v1/customers?q=… for each kind of query (see the module docstring)."""
    handler = (
        StaffMember.objects.select_related("user")
        .filter(is_active=True, supervisor__isnull=False)
        .order_by("id")
        .first()
    )
    if handler is None:
        raise RuntimeError("Nobody active to search as.")
    caller = Caller(handler)
    total = WARMUP + samples + COUNTED

    def phone(c: Customer) -> str:
        digits = _point(c, "phone").value
        return f"{digits[:5]} {digits[5:]}"

    def postcode(c: Customer) -> str:
        code = _point(c, "address").postcode
        return f"{code[:-3]} {code[-3:]}"

    kinds: list[tuple[str, str | None, Callable[[Customer], str]]] = [
        ("full name", None, lambda c: f"{c.given_name} {c.family_name}"),
        ("start of the family name (3 letters)", None, lambda c: c.family_name[:3]),
        ("email address", "email", lambda c: _point(c, "email").value),
        ("phone number", "phone", phone),
        ("postcode", "address", postcode),
        ("name with two letters swapped", None, lambda c: f"{c.given_name} {_swap_two_letters(c.family_name, rng)}"),
    ]
    results = []
    for label, having, query_of in kinds:
        queries = [query_of(c) for c in _random_customers(rng, total, having=having)]
        found: list[int] = []

        def call(q: str, found: list[int] = found) -> object:
            response = caller.get("/customers", q=q, limit=20)
            found.append(response.json()["count"])
            return response

        measurement = _timed_with_cpu(
            f"customer search: {label}", call, queries, samples=samples, note="", section="search"
        )
        ordered = sorted(found)
        measurement.note = (
            f"{SEARCH_NOTE}; matches per query: median {ordered[len(ordered) // 2]:,}, most {ordered[-1]:,}"
            + ("; none found in " + f"{sum(1 for n in found if n == 0)} of {len(found)}" if 0 in found else "")
            + measurement.note
        )
        results.append(measurement)
    return results


def _grants_for(pairs: set[tuple[int, int]]) -> None:
    """The grant a request would have made, for each (customer, organisation)."""
    with transaction.atomic():
        customers = Customer.objects.in_bulk({c for c, _ in pairs})
        organisations = Organisation.objects.in_bulk({o for _, o in pairs})
        for customer_id, organisation_id in pairs:
            grant_ensure(
                customer=customers[customer_id],
                organisation=organisations[organisation_id],
                purpose="service_provision",
                categories=["contact_details", "messages"],
                lawful_basis="contract",
                reason="To deal with your requests.",
                actor=None,
            )


class _CpuClock:
    """CPU time of this process per call (``time.process_time``): on a machine shared
    with other work, wall-clock time mostly measures the queue for a core, while CPU time
    stays close to what the call costs. On SQLite it includes the database engine; on
    PostgreSQL the server's work is in another process and not counted."""

    def __init__(self, call: Callable[[Any], object]) -> None:
        self.call = call
        self.seconds: list[float] = []

    def __call__(self, argument: Any) -> object:
        started = time.process_time()
        try:
            return self.call(argument)
        finally:
            self.seconds.append(time.process_time() - started)

    def note(self, samples: int) -> str:
        timed = sorted(self.seconds[WARMUP : WARMUP + samples])
        p50 = timed[max(0, math.ceil(0.5 * len(timed)) - 1)] * 1000
        p95 = timed[max(0, math.ceil(0.95 * len(timed)) - 1)] * 1000
        return f"CPU in this process p50 {p50:.1f} ms, p95 {p95:.1f} ms"


def _timed_with_cpu(
    operation: str, call: Callable[[Any], object], inputs: list[Any], *, samples: int, note: str, section: str
) -> Measurement:
    clock = _CpuClock(call)
    measurement = _timed(operation, clock, inputs, samples=samples, note=note)
    measurement.note = f"{measurement.note}; {clock.note(samples)}"
    measurement.section = section
    return measurement


def _get(client: Client, url: str) -> Any:
    response = client.get(url)
    if response.status_code != 200 or b"<h1>Why are you opening this record?</h1>" in response.content:
        raise RuntimeError(f"{url} answered {response.status_code}, not the page: {response.content[:300]!r}")
    return response


def page_timings(rng: random.Random, *, samples: int) -> list[Measurement]:
    """Server time of the main console and portal pages (see the module docstring)."""
    total = WARMUP + samples + COUNTED
    busiest = (
        Request.objects.filter(status__in=[Status.OPEN, Status.WAITING])
        .values("owner")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if busiest is None:
        raise RuntimeError("No request is open: nobody has any work.")
    staff = StaffMember.objects.select_related("user", "organisation").get(pk=busiest["owner"])
    console = Client()
    console.force_login(staff.user)
    theirs = list(
        Request.objects.filter(owner=staff, status__in=[Status.OPEN, Status.WAITING]).values_list("id", "customer_id")
    )
    open_count = len(theirs)
    # The session remembers the purpose for the last 50 customers opened
    # (steward.console.read_purpose.remember): keep to 40, or some visits would time the
    # "Why are you opening this record?" question instead of the page.
    customers_kept = set(rng.sample(sorted({c for _, c in theirs}), min(40, len({c for _, c in theirs}))))
    theirs = [(r, c) for r, c in theirs if c in customers_kept]
    picks = [rng.choice(theirs) for _ in range(total)]
    _grants_for({(customer_id, staff.organisation_id) for _, customer_id in picks})
    for customer_id in {c for _, c in picks}:  # "Why are you opening this record?", answered once per customer
        console.post(
            reverse("console:read-purpose", args=[customer_id]), {"purpose": "service_provision", "next": "/console/"}
        )
    anyone = _random_customers(rng, total)

    # Portal: customers reached through random requests, each signed in once.
    bounds = Request.objects.aggregate(low=Min("id"), high=Max("id"))
    wanted = [rng.randint(bounds["low"], bounds["high"]) for _ in range(total * 2)]
    found = dict(Request.objects.filter(pk__in=wanted).values_list("id", "customer_id"))
    portal_picks = [(pk, found[pk]) for pk in wanted if pk in found][:total]
    _grants_for(
        set(Request.objects.filter(pk__in=[pk for pk, _ in portal_picks]).values_list("customer_id", "organisation_id"))
    )
    browsers: dict[int, Client] = {}
    for _, customer_id in portal_picks:
        if customer_id not in browsers:
            browser = Client()
            session = browser.session
            session[PORTAL_SESSION_KEY] = customer_id
            session.save()
            browsers[customer_id] = browser
    search_queries = [f"{c.given_name} {c.family_name}" for c in anyone]

    def note(what: str) -> str:
        return f"as {staff.display_name} ({staff.organisation.name}): {what}"

    pages: list[tuple[str, list[tuple[Client, str]], str]] = [
        (
            "console: my work",
            [(console, reverse("console:my-work"))] * total,
            note(f"{open_count:,} open or waiting requests (the page shows the first 25)"),
        ),
        (
            "console: a request",
            [(console, reverse("console:request", args=[r])) for r, _ in picks],
            note("their own open requests; reading the story logs an access event"),
        ),
        (
            "console: a customer (purpose given)",
            [(console, reverse("console:customer", args=[c])) for _, c in picks],
            note("the customers of those requests; up to 200 timeline entries; logs an access event"),
        ),
        (
            "console: capture form for a customer",
            [(console, f"{reverse('console:capture')}?customer={c.pk}") for c in anyone],
            note("random customers; every organisation's needs"),
        ),
        (
            "console: customer search page",
            [(console, f"{reverse('console:capture')}?{urlencode({'q': q})}") for q in search_queries],
            note("a random customer's full name; at most 20 shown"),
        ),
        ("console: handovers", [(console, reverse("console:handovers"))] * total, note("offers to and from them")),
        ("console: transfers", [(console, reverse("console:transfers"))] * total, note("their organisation's")),
        (
            "portal: my requests",
            [(browsers[c], reverse("portal:my-requests")) for _, c in portal_picks],
            "customers reached through random requests",
        ),
        (
            "portal: a request",
            [(browsers[c], reverse("portal:request", args=[r])) for r, c in portal_picks],
            "that request, with its conversation",
        ),
        (
            "portal: who can see my information",
            [(browsers[c], reverse("portal:privacy")) for _, c in portal_picks],
            "grants and the first page of the access log",
        ),
    ]
    results = []
    for label, visits, what in pages:
        results.append(
            _timed_with_cpu(label, lambda visit: _get(*visit), visits, samples=samples, note=what, section="pages")
        )
    return results
