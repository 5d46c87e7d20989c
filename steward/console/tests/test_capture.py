"""Capturing a request for a customer (issue 5): staff fill in the customer's own Ask for
help form with them (agent-assisted), adding only who it is for, how they got in touch
and who spoke for them; routing then names the owner and their team.

The world (`steward.requests.tests.factories.make_world`): an organisation with a head,
a team lead (Lena Lead) and two members (Alice Able, Bob Baker), a need routed to the
team and a customer."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from steward.console.forms import CaptureForm
from steward.needs.tests.factories import make_need
from steward.organisations.models import StaffMember
from steward.portal.forms import AskForm
from steward.portal.tests.conftest import as_customer
from steward.requests.models import Request
from steward.requests.tests.factories import World, make_world


def signed_in(staff: StaffMember) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def text(response: Any) -> str:
    return " ".join(response.content.decode().split())


@pytest.fixture
def world(db: Any) -> World:
    return make_world("Northshire Council")


def capture(world: World, client: Client | None = None, **fields: Any) -> Any:
    data = {"customer": world.customer.pk, "need": world.need.pk, "channel": "phone", "description": "Nobody came."}
    return (client or signed_in(world.head)).post(reverse("console:capture"), {**data, **fields})


def _questions(html: str) -> list[str]:
    """The labels and legends of a form, in order: what the person is asked."""
    return re.findall(r'<(?:legend class="field__label"|label class="field__label"[^>]*)>([^<]+)<', html)


def test_the_console_asks_the_customers_own_questions(world):
    assert issubclass(CaptureForm, AskForm)
    portal = text(as_customer(world.customer).get(reverse("portal:ask")))
    console = text(signed_in(world.head).get(reverse("console:capture"), {"customer": world.customer.pk}))
    asked_online = _questions(portal)
    asked_by_staff = _questions(console)
    assert asked_online == ["What do you need help with?", "Tell us about it"]
    # Staff add how they heard and who spoke; then the customer's questions, word for word
    assert asked_by_staff == [
        "How did they get in touch?",
        "Who got in touch, if not the customer? (optional)",
        *asked_online,
    ]
    for hint in (AskForm.base_fields["need"].help_text, AskForm.base_fields["description"].help_text):
        assert hint in portal and hint in console
    assert f'id="need-{world.need.pk}"' in portal and f'id="need-{world.need.pk}"' in console


def test_the_same_checks_give_the_same_words(world):
    response = capture(world, need="", description="")
    page = text(response)
    assert response.status_code == 400
    assert "Choose what you need help with." in page and "Tell us a little about what you need." in page
    assert not Request.objects.exists()


def test_capture_by_phone_names_the_owner_and_their_team(world):
    client = signed_in(world.head)
    response = capture(world, client)
    created = Request.objects.get()
    assert response.status_code == 302
    assert created.channel == "phone" and created.captured_by == world.head
    page = text(client.get(response["Location"]))
    assert f"<strong>{created.owner.display_name}</strong>" in page
    assert f"in the <strong>{world.team.name}</strong> team at Northshire Council is looking after it" in page
    assert f"Your reference is {created.pk}." in page


def test_someone_speaking_for_the_customer_is_written_down(world):
    capture(world, channel="in_person", on_behalf_of="Sara Khan, her daughter")
    created = Request.objects.get()
    assert created.channel == "in_person"
    assert created.description == (
        f"Nobody came.\n\n(Told to us by Sara Khan, her daughter, on {world.customer.known_as}'s behalf.)"
    )


def test_staff_cannot_claim_a_request_came_in_online(world):
    # The web is where customers ask for themselves; a capture says how it reached staff.
    response = capture(world, channel="web")
    assert response.status_code == 400 and "Select a valid choice" in text(response)
    assert not Request.objects.exists()


def test_signed_out_nobody_captures(world):
    response = Client().post(reverse("console:capture"), {"customer": world.customer.pk, "need": world.need.pk})
    assert response.status_code == 302 and reverse("console:login") in response["Location"]
    assert not Request.objects.exists()


def _form_queries(staff: StaffMember, customer_id: int) -> int:
    client = signed_in(staff)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("console:capture"), {"customer": customer_id})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_capture_form_costs_the_same_with_3_or_30_needs(world):
    elsewhere = make_world("Elsewhere")  # needs of another organisation are listed too
    make_need(team=world.team, title="Need 1", code="need-1")
    three = _form_queries(world.head, world.customer.pk)
    for i in range(27):
        make_need(team=(world if i % 2 else elsewhere).team, title=f"More {i}", code=f"more-{i}")
    assert _form_queries(world.head, world.customer.pk) == three
