"""Portal pages that list things read a fixed number of queries, however long the list:
each page is rendered with a little data and with ten times as much, and the second
rendering may not take more queries than the first (an N+1 would), nor more than the
page's stated bound (what the page took when this was written, plus one or two)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from steward.consent.services import customer_data_read, grant_create
from steward.needs.tests.factories import make_need
from steward.requests.services import request_add_message, request_capture
from steward.requests.tests.factories import World, make_world

from .conftest import as_customer

pytestmark = pytest.mark.django_db

SMALL, LARGE = 3, 30


def queries_for(client: Client, url: str) -> int:
    client.get(url)  # first visit: the session settles
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(captured.captured_queries)


def assert_flat(client: Client, url: str, add: Callable[[int], None], *, bound: int) -> None:
    add(SMALL)
    few = queries_for(client, url)
    add(LARGE - SMALL)
    many = queries_for(client, url)
    assert many <= few, f"{url}: {few} queries with {SMALL} items, {many} with {LARGE} (an N+1?)"
    assert few <= bound, f"{url}: {few} queries, more than the bound of {bound}"


def test_my_requests(world: World):
    others = [world, make_world("Sunrise Care")]  # requests at two organisations, owners in each

    def add(n: int) -> None:
        for i in range(n):
            at = others[i % 2]
            request_capture(customer=world.customer, need=at.need, channel="phone", description=f"Ask {i}", actor=None)

    assert_flat(as_customer(world.customer), reverse("portal:my-requests"), add, bound=6)


def test_a_request_with_a_long_conversation(world: World):
    request = request_capture(
        customer=world.customer, need=world.need, channel="phone", description="My carer didn't come", actor=None
    )

    def add(n: int) -> None:
        for i in range(n):
            request_add_message(
                request=request, actor=request.owner, direction="out", body=f"Reply {i}", channel="email"
            )
            request_add_message(
                request=request,
                actor=None,
                customer=world.customer,
                direction="in",
                body=f"Thanks {i}",
                channel="web",
            )

    assert_flat(as_customer(world.customer), reverse("portal:request", args=[request.pk]), add, bound=7)


def test_who_can_see_my_information(world: World):
    organisations = [world, make_world("Sunrise Care"), make_world("Meadow Homecare")]

    def add(n: int) -> None:
        for i in range(n):
            at = organisations[i % 3]
            grant_create(
                customer=world.customer,
                organisation=at.org,
                purpose="care_delivery",
                categories=["care_plan"],
                lawful_basis="consent",
                by_customer=True,
            )
            customer_data_read(
                actor=at.alice,
                customer_id=world.customer.pk,
                purpose="care_delivery",
                categories=["care_plan"],
                resource="timeline",
                channel="page",
            )

    assert_flat(as_customer(world.customer), reverse("portal:privacy"), add, bound=7)


def test_asking_for_help_lists_every_need(world: World):
    other = make_world("Sunrise Care")

    def add(n: int) -> None:
        for i in range(n):
            make_need(team=(world if i % 2 else other).team, title=f"Need {i} of {n}")

    assert_flat(as_customer(world.customer), reverse("portal:ask"), add, bound=5)
