"""My work (issue 5): what is waiting on the person signed in, overdue first, and, for a
supervisor, their people's breaches and the offers that run out within a day.

Each world (`steward.requests.tests.factories.make_world`) has a head (Hana Head), a team
lead (Lena Lead, answering to Hana) and two members (Alice Able, Bob Baker, answering to
Lena)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from steward.customers.tests.factories import make_customer
from steward.handovers.models import HandoverOffer
from steward.handovers.services import handover_offer
from steward.organisations.models import StaffMember
from steward.organisations.selectors import people_of
from steward.requests.models import Request
from steward.requests.services import request_capture
from steward.requests.tests.factories import World, make_world
from steward.transfers.models import TransferClient
from steward.transfers.services import ReceiverSpec, transfer_add_clients, transfer_create, transfer_open
from steward.transfers.tests.factories import make_transfer_world


def signed_in(staff: StaffMember) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def text(response: Any) -> str:
    return " ".join(response.content.decode().split())


def my_work(staff: StaffMember) -> str:
    response = signed_in(staff).get(reverse("console:my-work"))
    assert response.status_code == 200
    return text(response)


def owned_by(world: World, owner: StaffMember, *, due_in: timedelta, what: str = "Help") -> Request:
    """A request `owner` answers for, its running deadline `due_in` from now (negative: overdue)."""
    request = request_capture(
        customer=make_customer(organisation=world.org), need=world.need, channel="phone", description=what, actor=None
    )
    due = timezone.now() + due_in
    Request.objects.filter(pk=request.pk).update(owner=owner, subject=what, first_response_due=due, due_at=due)
    request.refresh_from_db()
    return request


@pytest.fixture
def world(db: Any) -> World:
    return make_world("Northshire Council")


# --- the person's own work --------------------------------------------------------------


def test_requests_are_listed_by_what_is_due_first_with_the_overdue_on_top_and_marked(world):
    later = owned_by(world, world.alice, due_in=timedelta(days=2), what="Blue badge renewal")
    late = owned_by(world, world.alice, due_in=timedelta(hours=-3), what="Carer did not come")
    soon = owned_by(world, world.alice, due_in=timedelta(hours=1), what="Bin not collected")

    page = my_work(world.alice)

    assert page.index(late.subject) < page.index(soon.subject) < page.index(later.subject)
    assert "1 overdue</strong>: it is at the top." in page
    assert "Overdue</strong> (overdue by 3 hours)" in page
    assert page.count("work-item--overdue") == 1


def test_nothing_overdue_says_so(world):
    owned_by(world, world.alice, due_in=timedelta(hours=5))
    assert "Nothing is overdue. The one due soonest is first." in my_work(world.alice)


def test_handover_offers_waiting_for_me_link_to_the_offer(world):
    request = owned_by(world, world.alice, due_in=timedelta(hours=5), what="Handrail")
    offer = handover_offer(request=request, actor=world.alice, reason="Bob knows the family", to_staff=world.bob)
    page = my_work(world.bob)
    assert 'Offers waiting for you <span class="count">(1)</span>' in page
    assert reverse("console:handover", args=[offer.pk]) in page and "from Alice Able" in page


def test_someone_with_nothing_to_do_reads_plain_empty_states(world):
    page = my_work(world.bob)
    assert "Nothing is waiting on you right now." in page
    assert "No one is offering you anything to take on." in page
    assert "No new notifications." in page
    assert "My people" not in page  # Bob supervises nobody


# --- a supervisor's people ---------------------------------------------------------------


def test_a_supervisor_sees_a_breach_by_owner_and_how_late(world):
    breach = owned_by(world, world.alice, due_in=timedelta(hours=-2), what="No visit last night")
    on_time = owned_by(world, world.bob, due_in=timedelta(hours=4), what="Bin not collected")

    page = my_work(world.lead)

    people = page[page.index("My people") :]
    assert "The 2 people who answer to you." in people
    assert "No visit last night" in people and "Alice Able</strong> looks after it" in people
    assert "overdue by 2 hours" in people
    assert reverse("console:request", args=[breach.pk]) in people
    assert on_time.subject not in people  # not late: not a breach


def test_the_head_sees_breaches_all_the_way_down(world):
    owned_by(world, world.alice, due_in=timedelta(hours=-1), what="No visit last night")
    people = my_work(world.head)[my_work(world.head).index("My people") :]
    assert "No visit last night" in people and "Alice Able" in people


def test_a_supervisor_sees_offers_that_run_out_within_a_day(world):
    other_team = make_world("Sunrise Care")  # noqa: F841 - another organisation to offer to
    request = owned_by(world, world.alice, due_in=timedelta(days=3), what="Handrail")
    soon = handover_offer(request=request, actor=world.alice, reason="Housing fits handrails", to_staff=world.bob)
    HandoverOffer.objects.filter(pk=soon.pk).update(respond_by=timezone.now() + timedelta(hours=3))
    far_request = owned_by(world, world.bob, due_in=timedelta(days=3), what="Council tax bill")
    far = handover_offer(request=far_request, actor=world.bob, reason="Alice knows", to_staff=world.alice)
    HandoverOffer.objects.filter(pk=far.pk).update(respond_by=timezone.now() + timedelta(days=3))

    people = my_work(world.lead)
    people = people[people.index("My people") :]

    assert reverse("console:handover", args=[soon.pk]) in people
    assert "Alice Able offered it to Bob Baker" in people and "answer in 2 hours" in people
    assert reverse("console:handover", args=[far.pk]) not in people


def test_transfer_offers_show_for_the_receivers_team_and_their_supervisor(db, django_capture_on_commit_callbacks):
    tw = make_transfer_world(clients=2, requests_each=0)
    transfer = transfer_create(
        actor=tw.council.alice,
        from_provider=tw.old.org,
        receivers=[ReceiverSpec(tw.sunrise.org, None)],
        reason="The council ended its contract with CheapCare Ltd.",
    )
    transfer_add_clients(transfer=transfer, actor=tw.council.alice, every_active_client=True)
    with django_capture_on_commit_callbacks(execute=True):
        transfer_open(transfer=transfer, actor=tw.council.alice)
    link = reverse("console:transfer", args=[transfer.pk])

    # A member of a team at the receiver may accept: the offer waits on their My work
    member = my_work(tw.sunrise.bob)
    assert "2 clients moving from CheapCare Ltd" in member and link in member
    # Not due within a day: not in their supervisor's warnings yet
    lead = my_work(tw.sunrise.lead)
    assert "No offer to or from your people runs out in the next 24 hours." in lead
    # When the answer is due within a day, the supervisor is warned
    TransferClient.objects.filter(transfer=transfer).update(respond_by=timezone.now() + timedelta(hours=5))
    lead = my_work(tw.sunrise.lead)
    people = lead[lead.index("My people") :]
    assert "Transfer from CheapCare Ltd" in people and "2 clients still to be answered for" in people
    assert link in people
    # Someone at another organisation sees none of it
    assert link not in my_work(tw.meadow.bob)


def test_someone_who_supervises_nobody_does_not_see_others_work(world):
    owned_by(world, world.alice, due_in=timedelta(hours=-2), what="No visit last night")
    page = my_work(world.bob)
    assert "No visit last night" not in page and "My people" not in page


def test_another_organisations_people_never_appear(world):
    elsewhere = make_world("Elsewhere Care")
    owned_by(elsewhere, elsewhere.alice, due_in=timedelta(hours=-2), what="Their late request")
    # Even a reporting line drawn across organisations by hand does not bring them in
    StaffMember.objects.filter(pk=elsewhere.alice.pk).update(supervisor=world.lead)
    assert elsewhere.alice.pk not in people_of(world.lead).staff_ids
    for boss in (world.lead, world.head):
        assert "Their late request" not in my_work(boss)


# --- cost ------------------------------------------------------------------------------


def _busy(world: World, n: int) -> None:
    """n requests of her own for Lena, n overdue ones of Alice's, n offers running out."""
    for i in range(n):
        owned_by(world, world.lead, due_in=timedelta(hours=i - 1), what=f"Mine {i}")
        late = owned_by(world, world.alice, due_in=timedelta(hours=-1 - i), what=f"Late {i}")
        offer = handover_offer(request=late, actor=world.alice, reason="Bob knows", to_staff=world.bob)
        HandoverOffer.objects.filter(pk=offer.pk).update(respond_by=timezone.now() + timedelta(hours=1))


def _queries_for(staff: StaffMember) -> int:
    client = signed_in(staff)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("console:my-work"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


# Session, user, staff, own requests (counted, then a page), notifications, handover inbox, alerts, transfer offers
# for the team, the header's organisation; then the supervisor's people (teams led, one per
# reporting level, teams they lead), their breaches, offers and transfers running out, and
# their sign-in lockouts.
MY_WORK_SUPERVISOR_MAX_QUERIES = 17


def test_a_supervisors_my_work_costs_the_same_with_3_or_30_of_everything(db):
    small, big = make_world("Small"), make_world("Big")
    _busy(small, 3)
    _busy(big, 30)
    few, many = _queries_for(small.lead), _queries_for(big.lead)
    assert few == many <= MY_WORK_SUPERVISOR_MAX_QUERIES
    page = my_work(big.lead)
    assert page.count("Late ") >= 20  # the breaches are there, capped per list


def test_a_supervisor_sees_their_people_locked_out_of_signing_in(world):
    for _ in range(5):
        Client().post(reverse("console:login"), {"username": world.alice.user.username, "password": "wrong"})
    people = my_work(world.lead)
    people = people[people.index("My people") :]
    assert "Locked out of signing in" in people
    assert "<strong>Alice Able</strong>: locked at" in people and "after 5 failed attempts" in people
    assert "Locked out of signing in" not in my_work(world.bob)


def test_a_long_list_comes_in_pages_of_25_most_urgent_first(world):
    """Someone answering for 30 requests sees the 25 most urgent, the total, and a link
    to the 5 due later; a page number past the end shows the last page."""
    for i in range(30):
        owned_by(world, world.bob, due_in=timedelta(hours=i - 2, minutes=30), what=f"Job {i:02d}")
    client = signed_in(world.bob)
    first = text(client.get(reverse("console:my-work")))
    assert 'Requests you answer for <span class="count">(30)</span>' in first
    assert "Showing 1–25 of 30, most urgent first." in first
    assert "Job 00" in first and "Job 24" in first and "Job 25" not in first
    assert "2 overdue" in first
    assert 'href="?page=2" rel="next"' in first

    second = text(client.get(reverse("console:my-work"), {"page": "2"}))
    assert "Showing 26–30 of 30" in second
    assert "Job 25" in second and "Job 29" in second and "Job 24" not in second
    assert "Page 2 of 2: these are due later" in second
    assert 'href="?page=1" rel="prev"' in second and 'rel="next"' not in second

    past_the_end = text(client.get(reverse("console:my-work"), {"page": "9"}))
    assert "Showing 26–30 of 30" in past_the_end
    nonsense = text(client.get(reverse("console:my-work"), {"page": "-1x"}))
    assert "Showing 1–25 of 30" in nonsense
