"""The staff console pages, driven through Django's test client with the demo people:
Dan Evans (call handler, Northshire Council), Priya Shah (team lead, adult social care)
and Mrs Amina Khan."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from steward.accounts.models import User
from steward.customers.tests.factories import make_customer
from steward.needs.models import Need
from steward.needs.tests.factories import make_need
from steward.organisations.models import StaffMember
from steward.organisations.selectors import escalation_chain
from steward.organisations.tests.factories import OrganisationFactory, TeamFactory, make_staff
from steward.requests.lifecycle import Status
from steward.requests.models import Request
from steward.requests.services import request_add_note, request_capture
from steward.timeline.models import TimelineEvent

PASSWORD = "steward-demo"


def signed_in(staff: StaffMember) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def amina(demo: Any) -> Any:
    return Request.objects.filter(customer__given_name="Amina").select_related("owner", "customer").first()


def text(response: Any) -> str:
    return " ".join(response.content.decode().split())


def opening_for(client: Client, customer_id: int, purpose: str) -> Client:
    """Answer "Why are you opening this record?" for the session, as staff do."""
    client.post(reverse("console:read-purpose", args=[customer_id]), {"purpose": purpose, "next": "/console/"})
    return client


# --- sign in ---------------------------------------------------------------------------


def test_login_page_has_labelled_fields_and_signs_in(demo):
    client = Client()
    page = client.get(reverse("console:login"))
    body = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="en-gb">' in body
    assert 'for="id_username"' in body and 'for="id_password"' in body
    assert "Skip to main content" in body

    response = client.post(reverse("console:login"), {"username": "dan.evans", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("console:my-work")


def test_wrong_password_says_so_without_a_500(demo):
    response = Client().post(reverse("console:login"), {"username": "dan.evans", "password": "nope"})
    assert response.status_code == 200
    assert "We couldn't sign you in" in response.content.decode()


def test_logout_is_a_post_and_ends_the_session(demo):
    client = signed_in(demo.staff("dan.evans"))
    assert client.get(reverse("console:logout")).status_code == 405
    response = client.post(reverse("console:logout"))
    assert response.status_code == 302 and response["Location"] == reverse("console:login")
    assert client.get(reverse("console:my-work")).status_code == 302


# --- who may look ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["console:my-work", "console:capture"],
)
def test_anonymous_visitors_are_sent_to_sign_in(demo, name):
    response = Client().get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("console:login") + "?next=")


def test_anonymous_request_and_customer_pages_redirect_to_sign_in(demo):
    request = amina(demo)
    for url in (reverse("console:request", args=[request.pk]), reverse("console:customer", args=[request.customer_id])):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("console:login"))


def test_htmx_fragment_after_the_session_ended_redirects_the_whole_page(demo):
    response = Client().get(
        reverse("console:capture"), {"q": "khan"}, headers={"HX-Request": "true", "HX-Target": "customer-results"}
    )
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("console:login"))


def test_user_without_a_staff_record_gets_a_clear_403(demo):
    user = User.objects.create_user("visitor", password=PASSWORD, first_name="Vera", last_name="Visitor")
    client = Client()
    client.force_login(user)
    for url in (reverse("console:my-work"), reverse("console:capture"), reverse("console:request", args=[1])):
        response = client.get(url)
        assert response.status_code == 403
        assert "not linked to an active staff member" in text(response)
        assert "Vera Visitor" in text(response)


def test_staff_of_another_organisation_get_404_on_a_request(demo):
    request = amina(demo)
    client = signed_in(demo.staff("jo.patel"))  # Sunrise Care
    response = client.get(reverse("console:request", args=[request.pk]))
    assert response.status_code == 404
    assert "We can't find that" in response.content.decode()
    # Writing to it is refused the same way, and nothing is written.
    before = TimelineEvent.objects.filter(request=request).count()
    response = client.post(reverse("console:request-note", args=[request.pk]), {"body": "sneaky"})
    assert response.status_code == 404
    assert TimelineEvent.objects.filter(request=request).count() == before


def test_unknown_request_is_a_friendly_404(demo):
    response = signed_in(demo.staff("priya.shah")).get(reverse("console:request", args=[999999]))
    assert response.status_code == 404
    assert "There is no request #999999 that you can see." in text(response)


# --- my work ---------------------------------------------------------------------------


def test_my_work_shows_my_requests_with_customer_need_status_and_due_time(demo):
    priya = demo.staff("priya.shah")
    request = amina(demo)
    assert request.owner == priya  # the demo's first request goes to the team lead

    response = signed_in(priya).get(reverse("console:my-work"))

    page = text(response)
    assert response.status_code == 200
    assert "Signed in as <strong>Priya Shah</strong>" in page
    assert "Team Lead, Adult Social Care, Northshire Council" in page
    assert "Amina Khan" in page and "My carer didn&#x27;t come" in page
    assert "Being worked on" in page
    assert "First reply due" in page
    assert reverse("console:request", args=[request.pk]) in page
    assert reverse("console:capture") in page
    # The new-work notification addressed to her by name.
    assert "New request for you: My carer didn&#x27;t come" in page


def test_my_work_flags_overdue_requests(demo):
    priya = demo.staff("priya.shah")
    request = amina(demo)
    Request.objects.filter(pk=request.pk).update(first_response_due=request.created_at, due_at=request.created_at)
    page = text(signed_in(priya).get(reverse("console:my-work")))
    assert "work-item--overdue" in page
    assert "Overdue" in page and "overdue by" in page


def test_my_work_has_written_empty_states(demo):
    page = text(signed_in(demo.staff("chloe.martin")).get(reverse("console:my-work")))
    assert "Nothing is waiting on you right now." in page
    assert "No new notifications." in page


# --- one request ---------------------------------------------------------------------


def test_request_page_shows_owner_and_escalation_chain_by_name(demo):
    request = amina(demo)
    response = signed_in(demo.staff("priya.shah")).get(reverse("console:request", args=[request.pk]))
    page = text(response)
    assert response.status_code == 200
    assert "<strong>Priya Shah</strong> is looking after it." in page
    assert "Team Lead, Adult Social Care · Adult Social Care team" in page
    # Priya → Marcus Bell → Helen Carter
    assert page.index("Marcus Bell") < page.index("Helen Carter")
    assert "Director of Adult Social Care" in page
    assert "First reply" in page and "Resolution" in page
    assert "Being helped into bed at about 9pm" in page  # what matters to her, before speaking
    # Timeline newest first: routed (second event) is listed before captured.
    assert page.index("Given to Adult Social Care") < page.index("Dan Evans took down a request by phone")
    # Only the moves the lifecycle allows from "open".
    assert 'value="waiting_on_customer"' in page and 'value="resolved"' in page
    assert 'value="closed"' not in page


def test_internal_notes_are_marked_on_the_timeline(demo):
    priya = demo.staff("priya.shah")
    request = amina(demo)
    request_add_note(request=request, actor=priya, body="Sunrise confirmed the rota gap.")
    page = text(signed_in(priya).get(reverse("console:request", args=[request.pk])))
    assert "Sunrise confirmed the rota gap." in page
    assert "Internal: not shown to the customer" in page


def test_owner_writes_to_the_customer_and_it_appears_on_the_timeline(demo):
    priya = demo.staff("priya.shah")
    request = amina(demo)
    client = signed_in(priya)
    response = client.post(
        reverse("console:request-message", args=[request.pk]),
        {"direction": "out", "channel": "phone", "body": "Tonight's visit is booked for 9pm."},
    )
    assert response.status_code == 302
    page = text(client.get(response["Location"]))
    assert "Your message to Mrs Khan is on the timeline." in page
    assert "Tonight&#x27;s visit is booked for 9pm." in page
    request.refresh_from_db()
    assert request.first_responded_at is not None


def test_htmx_post_returns_just_the_request_fragment(demo):
    priya = demo.staff("priya.shah")
    request = amina(demo)
    response = signed_in(priya).post(
        reverse("console:request-note", args=[request.pk]),
        {"body": "Checked with the provider."},
        headers={"HX-Request": "true", "HX-Target": "request-detail"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="request-detail"')
    assert "<html" not in body
    assert "Checked with the provider." in body


def test_status_change_allowed_by_the_lifecycle(demo):
    priya = demo.staff("priya.shah")
    request = amina(demo)
    client = signed_in(priya)
    response = client.post(
        reverse("console:request-status", args=[request.pk]), {"status": "waiting_on_customer", "reason": "Asked Sara."}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.WAITING
    page = text(client.get(response["Location"]))
    assert "Waiting for the customer to reply" in page
    assert "Paused while we wait for the customer" in page


def test_status_change_not_allowed_shows_a_friendly_error_and_changes_nothing(demo):
    priya = demo.staff("priya.shah")
    request = amina(demo)
    events_before = TimelineEvent.objects.filter(request=request).count()

    response = signed_in(priya).post(reverse("console:request-status", args=[request.pk]), {"status": "closed"})

    assert response.status_code == 409
    page = text(response)
    assert "That didn't work" in page
    assert "A request that is open cannot become closed." in page
    request.refresh_from_db()
    assert request.status == Status.OPEN
    assert TimelineEvent.objects.filter(request=request).count() == events_before


def test_colleague_who_may_not_work_on_it_is_told_why_and_nothing_changes(demo):
    request = amina(demo)
    dan = demo.staff("dan.evans")  # same organisation, another team: can see, cannot work on
    client = opening_for(signed_in(dan), request.customer_id, "service_provision")  # not his: he says why
    page = text(client.get(reverse("console:request", args=[request.pk])))
    assert "Only Priya Shah, their managers or the Adult Social Care team can change the status." in page
    assert 'value="out"' not in page  # he can only key in what the customer said

    response = client.post(reverse("console:request-status", args=[request.pk]), {"status": "resolved"})
    assert response.status_code == 403
    assert "Only the owner, their managers or the Adult Social Care team can do that" in text(response)
    request.refresh_from_db()
    assert request.status == Status.OPEN

    response = client.post(
        reverse("console:request-message", args=[request.pk]),
        {"direction": "out", "channel": "phone", "body": "hello"},
    )
    assert response.status_code == 400  # "out" is not offered to him
    assert not TimelineEvent.objects.filter(request=request, kind=TimelineEvent.Kind.MESSAGE_OUT).exists()


def test_empty_message_is_a_form_error(demo):
    request = amina(demo)
    response = signed_in(demo.staff("priya.shah")).post(
        reverse("console:request-message", args=[request.pk]), {"direction": "out", "channel": "phone", "body": " "}
    )
    assert response.status_code == 400
    assert "Write the message first." in text(response)


# --- capture ---------------------------------------------------------------------------


def test_capture_search_finds_the_customer_with_a_plain_get(demo):
    response = signed_in(demo.staff("dan.evans")).get(reverse("console:capture"), {"q": "khan"})
    page = text(response)
    assert response.status_code == 200
    assert "<html" in page
    assert "Amina Khan" in page and "Sara Khan" in page
    assert "Capture for Amina Khan" in page


def test_capture_search_live_results_are_a_fragment(demo):
    response = signed_in(demo.staff("dan.evans")).get(
        reverse("console:capture"), {"q": "NS1 4AB"}, headers={"HX-Request": "true", "HX-Target": "customer-results"}
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="customer-results"')
    assert "Amina Khan" in body and "Sara Khan" not in body


def test_capture_search_too_short_is_explained(demo):
    page = text(signed_in(demo.staff("dan.evans")).get(reverse("console:capture"), {"q": "k"}))
    assert "Type at least two characters to search." in page


def test_capture_form_lists_needs_of_every_organisation(demo):
    customer = amina(demo).customer
    page = text(signed_in(demo.staff("dan.evans")).get(reverse("console:capture"), {"customer": customer.pk}))
    assert "For Amina Khan (Mrs Khan)" in page
    for organisation in ("Northshire Council", "Sunrise Care", "CheapCare Ltd"):
        assert f"<legend>{organisation}</legend>" in page
    assert 'for="id_channel"' in page and 'for="id_description"' in page


def test_capture_offers_my_own_organisations_needs_first(demo):
    customer = amina(demo).customer
    page = text(signed_in(demo.staff("jo.patel")).get(reverse("console:capture"), {"customer": customer.pk}))
    assert page.index("<legend>Sunrise Care</legend>") < page.index("<legend>CheapCare Ltd</legend>")
    assert page.index("<legend>Sunrise Care</legend>") < page.index("<legend>Northshire Council</legend>")


def test_capture_for_an_unknown_customer_is_explained(demo):
    client = signed_in(demo.staff("dan.evans"))
    response = client.get(reverse("console:capture"), {"customer": 999999})
    assert response.status_code == 404
    assert "That customer could not be found." in text(response)
    response = client.post(reverse("console:capture"), {"customer": 999999, "need": 1, "channel": "phone"})
    assert response.status_code == 302
    assert "That customer could not be found." in text(client.get(response["Location"]))


def _capture(client: Client, customer_id: int, need_id: int, text_: str = "My carer didn't come last night") -> Any:
    return client.post(
        reverse("console:capture"),
        {"customer": customer_id, "need": need_id, "channel": "phone", "description": text_},
    )


def test_capture_creates_a_request_and_names_the_owner_and_their_supervisor(demo):
    dan = demo.staff("dan.evans")
    customer = amina(demo).customer
    need = Need.objects.get(organisation__name="Northshire Council", code="carer-did-not-come")
    client = signed_in(dan)

    response = _capture(client, customer.pk, need.pk)

    created = Request.objects.latest("id")
    assert response.status_code == 302
    assert response["Location"] == reverse("console:capture-done", args=[created.pk])
    assert created.captured_by == dan and created.customer == customer and created.channel == "phone"
    supervisor = escalation_chain(created.owner)[0]
    page = text(client.get(response["Location"]))
    owner = created.owner
    assert (
        f"<strong>{owner.display_name}</strong>, {owner.job_title}, in the <strong>{created.team.name}</strong> "
        f"team at Northshire Council is looking after it and answers to <strong>{supervisor.display_name}</strong>."
    ) in page
    assert reverse("console:request", args=[created.pk]) in page  # Dan's council owns it, so he can open it


def test_capture_for_another_organisation_confirms_without_seeing_the_request(demo):
    jo = demo.staff("jo.patel")  # Sunrise Care captures a council need: any door is the right door
    customer = amina(demo).customer
    need = Need.objects.get(organisation__name="Northshire Council", code="repair-needed")
    client = signed_in(jo)

    response = _capture(client, customer.pk, need.pk, "The heating is broken.")

    created = Request.objects.latest("id")
    assert created.organisation.name == "Northshire Council"
    page = text(client.get(response["Location"]))
    assert f"<strong>{created.owner.display_name}</strong>, " in page and "is looking after it" in page
    assert "so you can't open it" in page
    assert client.get(reverse("console:request", args=[created.pk])).status_code == 404


def test_capture_without_what_they_said_is_a_form_error_and_creates_nothing(demo):
    customer = amina(demo).customer
    need = Need.objects.get(organisation__name="Northshire Council", code="carer-did-not-come")
    before = Request.objects.count()
    response = _capture(signed_in(demo.staff("dan.evans")), customer.pk, need.pk, "   ")
    assert response.status_code == 400
    assert "Tell us a little about what you need." in text(response)
    assert Request.objects.count() == before


def test_capture_done_page_is_only_for_the_capturer(demo):
    response = signed_in(demo.staff("dan.evans")).get(reverse("console:capture-done", args=[amina(demo).pk]))
    assert response.status_code == 404


# --- a customer ------------------------------------------------------------------------


def test_customer_page_puts_what_matters_first_then_contacts_and_story(demo):
    customer = amina(demo).customer
    client = opening_for(signed_in(demo.staff("dan.evans")), customer.pk, "service_provision")
    response = client.get(reverse("console:customer", args=[customer.pk]))
    page = text(response)
    assert response.status_code == 200
    assert page.index("What matters to Mrs Khan") < page.index("Contact details") < page.index("Their story")
    assert "01632 960111" in page and "NS1 4AB" in page
    assert "Dan Evans took down a request by phone" in page


def test_customer_timeline_is_limited_to_my_organisation(demo):
    customer = amina(demo).customer
    # Sunrise Care has no grant from Mrs Khan: Jo is refused, told why, offered break-glass (issue 4).
    client = opening_for(signed_in(demo.staff("jo.patel")), customer.pk, "service_provision")
    refused = client.get(reverse("console:customer", args=[customer.pk]))
    assert refused.status_code == 403
    assert "Sunrise Care has no permission from this customer" in text(refused)
    assert "Being helped into bed" not in text(refused) and "break_glass_reason" in text(refused)
    # In an emergency she opens it with a reason, and still sees only her organisation's entries.
    client.post(
        reverse("console:read-purpose", args=[customer.pk]),
        {"purpose": "safeguarding", "break_glass_reason": "Her daughter says she has fallen", "next": "/console/"},
    )
    page = text(client.get(reverse("console:customer", args=[customer.pk])))
    assert "Being helped into bed" in page
    assert "Dan Evans took down a request" not in page
    # The one entry of hers is the emergency opening itself.
    assert page.count('class="event ') == 1 and "opened your record in an emergency" in page


# --- query counts ----------------------------------------------------------------------


@pytest.fixture
def busy_owner(db) -> tuple[StaffMember, list[Request]]:
    """One person who answers for 30 requests (the only member of the team)."""
    org = OrganisationFactory()
    make_staff(organisation=org, first_name="Hana", last_name="Head")
    team = TeamFactory(organisation=org)
    owner = make_staff(team=team, first_name="Olu", last_name="Owner", lead=True)
    need = make_need(team=team)
    requests = [
        request_capture(
            customer=make_customer(organisation=org), need=need, channel="phone", description=f"Help {i}", actor=None
        )
        for i in range(30)
    ]
    return owner, requests


# My work: session, user, staff member, how many requests they answer for, a page of them
# (customer and need joined in),
# notifications, handover offers waiting, open alerts, transfer offers for the team, who answers
# to them (one query for someone nobody answers to), the header's organisation. The request page adds
# one query per level of the owner's reporting line (bounded by the organisation's depth,
# not by the rows), one for the timeline, one for the request's handover offers and, for
# someone who may offer it, two for the teams and people it can be offered to. Neither
# grows with the number of requests, events or offers.
MY_WORK_MAX_QUERIES = 11
# The request page also goes through the read door: 6 more (grant lookup, savepoint,
# customer row lock, chain tail, access event, release), and 1 for its files.
REQUEST_PAGE_MAX_QUERIES = 10 + 6 + 1


def test_my_work_query_count_does_not_grow_with_rows(busy_owner, django_assert_max_num_queries):
    owner, _ = busy_owner
    client = signed_in(owner)
    with django_assert_max_num_queries(MY_WORK_MAX_QUERIES):
        response = client.get(reverse("console:my-work"))
    assert response.status_code == 200
    # 30 requests: a full first page of 25, the rest on the next.
    assert response.content.decode().count('<li class="work-item') == 25


def test_request_page_query_count_does_not_grow_with_timeline(busy_owner, django_assert_max_num_queries):
    owner, requests = busy_owner
    target = requests[0]
    for i in range(30):
        request_add_note(request=target, actor=owner, body=f"Note {i}")
    client = signed_in(owner)
    with django_assert_max_num_queries(REQUEST_PAGE_MAX_QUERIES):
        response = client.get(reverse("console:request", args=[target.pk]))
    assert response.status_code == 200
    assert response.content.decode().count('class="event ') == 32


class TestNotificationsOnMyWork:
    def test_the_recipient_marks_an_escalation_read_and_it_leaves_my_work(self, client, demo):
        from datetime import timedelta

        from steward.notifications.models import Notification
        from steward.requests.models import Request
        from steward.requests.services import sla_sweep

        request = Request.objects.get(customer__given_name="Amina")
        sla_sweep(at=request.first_response_due + timedelta(minutes=1))
        supervisor = Notification.objects.get(kind="breach_escalated", request=request).recipient
        client.force_login(supervisor.user)
        note = Notification.objects.get(kind="breach_escalated", request=request)
        assert note.title in client.get("/console/").content.decode()

        response = client.post(f"/console/notifications/{note.pk}/read/", follow=True)

        assert "Marked as read." in response.content.decode()
        assert note.title not in response.content.decode()

    def test_someone_else_cannot_mark_it_read(self, client, demo):
        from datetime import timedelta

        from steward.notifications.models import Notification
        from steward.requests.models import Request
        from steward.requests.services import sla_sweep

        request = Request.objects.get(customer__given_name="Amina")
        sla_sweep(at=request.first_response_due + timedelta(minutes=1))
        note = Notification.objects.get(kind="breach_escalated", request=request)
        client.force_login(demo.staff("dan.evans").user)

        response = client.post(f"/console/notifications/{note.pk}/read/")

        assert response.status_code == 404
        note.refresh_from_db()
        assert note.read_at is None
