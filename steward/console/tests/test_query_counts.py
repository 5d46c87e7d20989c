"""Console pages that list things read a fixed number of queries, however long the list:
each page is rendered with a little data and with ten times as much, and the second
rendering may not take more queries than the first (an N+1 would), nor more than the
page's stated bound. The bounds are what the pages took when this was written (signing
in, the session and the read door included) plus one or two."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from steward.customers.services import ContactPointData
from steward.customers.tests.factories import make_customer
from steward.handovers.services import handover_offer
from steward.needs.tests.factories import make_need
from steward.organisations.models import StaffMember
from steward.requests.models import Request
from steward.requests.services import request_add_message, request_add_note, request_capture
from steward.requests.tests.factories import World, make_world
from steward.transfers.services import ReceiverSpec, transfer_create
from steward.transfers.tests.factories import make_transfer_world

from .pages import queries_for

pytestmark = pytest.mark.django_db

SMALL, LARGE = 3, 30


def signed_in(staff: StaffMember) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def assert_flat(client: Client, url: str, add: Callable[[int], None], *, bound: int) -> None:
    """``add(n)`` adds n more of whatever the page lists."""
    add(SMALL)
    few = queries_for(client, url)
    add(LARGE - SMALL)
    many = queries_for(client, url)
    assert many <= few, f"{url}: {few} queries with {SMALL} items, {many} with {LARGE} (an N+1?)"
    assert few <= bound, f"{url}: {few} queries, more than the bound of {bound}"


@pytest.fixture
def world() -> World:
    return make_world("Northshire Council")


def capture_for_new_customers(world: World, n: int) -> list[Request]:
    return [
        request_capture(
            customer=make_customer(organisation=world.org),
            need=world.need,
            channel="phone",
            description="My carer didn't come",
            actor=world.head,
        )
        for _ in range(n)
    ]


def test_my_work(world):
    client = signed_in(world.alice)
    assert_flat(client, reverse("console:my-work"), lambda n: capture_for_new_customers(world, n), bound=11)
    assert Request.objects.filter(owner=world.alice).count() >= LARGE // 3 - 1


def test_a_request_with_a_long_story(world):
    request = capture_for_new_customers(world, 1)[0]
    owner = request.owner

    def add(n: int) -> None:
        for i in range(n):
            request_add_note(request=request, actor=owner, body=f"Note {i}")
            request_add_message(request=request, actor=owner, direction="out", body=f"Reply {i}", channel="email")

    assert_flat(signed_in(owner), reverse("console:request", args=[request.pk]), add, bound=18)


def test_a_customer_with_many_requests(world):
    customer = make_customer(organisation=world.org)
    client = signed_in(world.lead)
    client.post(
        reverse("console:read-purpose", args=[customer.pk]), {"purpose": "service_provision", "next": "/console/"}
    )

    def add(n: int) -> None:
        for i in range(n):
            request = request_capture(
                customer=customer, need=world.need, channel="phone", description=f"Ask {i}", actor=world.head
            )
            request_add_note(request=request, actor=world.head, body=f"Note {i}")

    assert_flat(client, reverse("console:customer", args=[customer.pk]), add, bound=15)


def test_customer_search_results(world):
    def add(n: int) -> None:
        for _ in range(n):
            make_customer(
                organisation=world.org,
                given_name="Kim",
                contact_points=[ContactPointData(kind="address", value="1 High St", postcode="NS1 1AA")],
            )

    assert_flat(signed_in(world.alice), reverse("console:capture") + "?q=kim", add, bound=8)


def test_the_capture_form_lists_every_need(world):
    customer = make_customer(organisation=world.org)
    other = make_world("Sunrise Care")

    def add(n: int) -> None:
        for i in range(n):
            make_need(team=(world if i % 2 else other).team, title=f"Need {i} {n}")

    url = reverse("console:capture") + f"?customer={customer.pk}"
    assert_flat(signed_in(world.alice), url, add, bound=9)


def test_handovers_received_and_sent(world):
    sender = make_world("Sunrise Care")

    def add(n: int) -> None:
        for request in capture_for_new_customers(sender, n):
            handover_offer(
                request=request, actor=request.owner, to_organisation=world.org, reason="They look after her now"
            )

    received = signed_in(world.lead)
    assert_flat(received, reverse("console:handovers"), add, bound=8)
    assert queries_for(signed_in(sender.head), reverse("console:handovers")) <= 8


def test_the_transfers_list():
    tw = make_transfer_world(clients=1)

    def add(n: int) -> None:
        for _ in range(n):
            transfer_create(
                actor=tw.council.alice,
                from_provider=tw.old.org,
                receivers=[ReceiverSpec(tw.sunrise.org, None), ReceiverSpec(tw.meadow.org, None)],
                reason="CheapCare Ltd's contract ends on 31 March.",
            )

    assert_flat(signed_in(tw.council.alice), reverse("console:transfers"), add, bound=9)
