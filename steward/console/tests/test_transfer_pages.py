"""Transfer pages in the staff console (issue 3, I3): Northshire Council moves the clients
of CheapCare Ltd to Sunrise Care and Meadow Homecare. The commissioner lists and opens,
the receivers accept or decline, the commissioner re-offers or keeps whoever is left,
and the transfer completes only when nobody is without an accepting provider.

Each world (`steward.transfers.tests.factories`) has a head (in no team), a team lead
(Lena Lead) and two members (Alice Able, Bob Baker). The council's Alice is the
commissioner; Lena Lead is her supervisor; Bob is a colleague who may read but not run it.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from steward.accounts.models import User
from steward.agreements.models import ServiceAgreement
from steward.organisations.models import StaffMember
from steward.requests.tests.factories import World, make_world
from steward.transfers.models import Transfer, TransferClient
from steward.transfers.services import (
    ReceiverSpec,
    transfer_accept_clients,
    transfer_add_clients,
    transfer_create,
    transfer_decline_clients,
    transfer_make_offers,
    transfer_open,
)
from steward.transfers.tests.factories import TransferWorld, make_transfer_world

REASON = "The council ended its contract with CheapCare Ltd."


def signed_in(staff: StaffMember) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def text(response: Any) -> str:
    return " ".join(response.content.decode().split())


@pytest.fixture
def tw(db: Any) -> TransferWorld:
    return make_transfer_world(clients=4, requests_each=1)


@pytest.fixture
def outsider(tw: TransferWorld) -> World:
    """An organisation that takes no part in the transfer."""
    return make_world("Elsewhere Care")


def draft(tw: TransferWorld, capacities: tuple[int | None, int | None] = (None, 1)) -> Transfer:
    return transfer_create(
        actor=tw.council.alice,
        from_provider=tw.old.org,
        receivers=[ReceiverSpec(tw.sunrise.org, capacities[0]), ReceiverSpec(tw.meadow.org, capacities[1])],
        reason=REASON,
        note_for_receivers="Keys are with the families.",
    )


def opened(tw: TransferWorld, capture: Any, capacities: tuple[int | None, int | None] = (None, 1)) -> Transfer:
    """Every client listed and offered: three to Sunrise Care, one to Meadow Homecare."""
    transfer = draft(tw, capacities)
    transfer_add_clients(transfer=transfer, actor=tw.council.alice, every_active_client=True)
    with capture(execute=True):
        transfer_open(transfer=transfer, actor=tw.council.alice)
    transfer.refresh_from_db()
    return transfer


def url(name: str, transfer: Transfer, *args: int) -> str:
    return reverse(f"console:{name}", args=[transfer.pk, *args])


def offered_to(transfer: Transfer, world: World) -> list[TransferClient]:
    return list(transfer.clients.filter(to_provider=world.org).select_related("customer").order_by("id"))


# --- who may see the pages -----------------------------------------------------------------


def test_pages_need_a_signed_in_active_staff_member(tw: TransferWorld, django_capture_on_commit_callbacks) -> None:
    transfer = opened(tw, django_capture_on_commit_callbacks)
    anonymous = Client()
    for path in (reverse("console:transfers"), url("transfer", transfer), url("transfer-csv", transfer)):
        response = anonymous.get(path)
        assert response.status_code == 302 and "/console/login/" in response["Location"]
    response = anonymous.post(url("transfer-complete", transfer))
    assert response.status_code == 302 and "/console/login/" in response["Location"]

    not_staff = Client()
    not_staff.force_login(User.objects.create_user(username="visitor", password="x"))
    assert not_staff.get(url("transfer", transfer)).status_code == 403


def test_an_outsider_gets_not_found_for_every_transfer_page(
    tw: TransferWorld, outsider: World, django_capture_on_commit_callbacks
) -> None:
    transfer = opened(tw, django_capture_on_commit_callbacks)
    client = signed_in(outsider.alice)
    client_id = transfer.clients.first().pk
    for path in (url("transfer", transfer), url("transfer-csv", transfer)):
        response = client.get(path)
        assert response.status_code == 404
        assert f"There is no transfer {transfer.pk} you can see." in text(response)
    for name, args in [
        ("transfer-add-clients", ()),
        ("transfer-open", ()),
        ("transfer-accept", ()),
        ("transfer-decline", ()),
        ("transfer-complete", ()),
        ("transfer-reoffer", (client_id,)),
        ("transfer-keep", (client_id,)),
    ]:
        assert client.post(url(name, transfer, *args), {"reason": "x", "which": "all"}).status_code == 404, name
    page = text(client.get(reverse("console:transfers")))
    assert f"Transfer #{transfer.pk}" not in page
    assert "Your organisation takes part in no transfers yet." in page
    assert "New transfer" not in page


# --- the list ----------------------------------------------------------------------------------


def test_the_list_shows_each_side_its_own_figure(tw: TransferWorld, django_capture_on_commit_callbacks) -> None:
    transfer = opened(tw, django_capture_on_commit_callbacks)

    page = text(signed_in(tw.council.bob).get(reverse("console:transfers")))
    assert f"Transfer #{transfer.pk}: clients leaving CheapCare Ltd" in page
    assert "4 clients</strong> without an accepting provider" in page
    assert "<strong>Alice Able</strong> answers for clients nobody has accepted" in page
    assert reverse("console:transfer-new") in page  # the council commissions CheapCare: it may start one

    page = text(signed_in(tw.sunrise.alice).get(reverse("console:transfers")))
    assert "3 clients</strong> offered to you are waiting for your answer" in page
    assert "without an accepting provider" not in page  # receivers never see the whole transfer's figures
    assert reverse("console:transfer-new") not in page

    page = text(signed_in(tw.old.alice).get(reverse("console:transfers")))
    assert "Northshire Council is moving clients away from your organisation." in page


def test_the_list_is_paginated(tw: TransferWorld) -> None:
    for _ in range(27):
        draft(tw)
    client = signed_in(tw.council.alice)
    first = text(client.get(reverse("console:transfers")))
    assert first.count('class="work-item transfer-item') == 25
    assert "Page 1 of 2" in first
    second = text(client.get(reverse("console:transfers"), {"page": 2}))
    assert second.count('class="work-item transfer-item') == 2


# --- a new transfer ------------------------------------------------------------------------


def test_the_commissioner_starts_a_transfer_from_the_form(tw: TransferWorld) -> None:
    client = signed_in(tw.council.alice)
    page = text(client.get(reverse("console:transfer-new")))
    assert "Which provider are the clients leaving?" in page
    assert f'<option value="{tw.old.org.pk}">CheapCare Ltd</option>' in page
    assert f'<option value="{tw.sunrise.org.pk}">' not in page  # the council commissions nothing from Sunrise

    response = client.post(
        reverse("console:transfer-new"),
        {
            "from_provider": tw.old.org.pk,
            f"receive_{tw.sunrise.org.pk}": "on",
            f"capacity_{tw.sunrise.org.pk}": "3",
            f"receive_{tw.meadow.org.pk}": "on",
            "reason": REASON,
            "note_for_receivers": "Keys are with the families.",
            "respond_within_days": "7",
        },
    )

    transfer = Transfer.objects.get()
    assert response.status_code == 302 and response["Location"] == url("transfer", transfer)
    assert (transfer.commissioner, transfer.from_provider, transfer.respond_within_days) == (
        tw.council.alice,
        tw.old.org,
        7,
    )
    assert {(r.organisation_id, r.capacity) for r in transfer.receivers.all()} == {
        (tw.sunrise.org.pk, 3),
        (tw.meadow.org.pk, None),
    }
    page = text(client.get(response["Location"]))
    assert f"Transfer #{transfer.pk} is started. Now list the clients leaving CheapCare Ltd" in page
    assert "No clients are listed yet" in page
    assert "Every client with an active service from CheapCare Ltd that we commission" in page
    assert "API only for now" in page


def test_new_transfer_form_errors_are_shown_and_nothing_is_created(tw: TransferWorld) -> None:
    client = signed_in(tw.council.alice)
    response = client.post(
        reverse("console:transfer-new"),
        {"from_provider": tw.old.org.pk, f"capacity_{tw.meadow.org.pk}": "0", "respond_within_days": "90"},
    )
    assert response.status_code == 400
    page = text(response)
    assert "Tick at least one receiving provider." in page
    assert "Say why the clients are moving." in page
    assert "Give the providers at most 60 working days." in page
    assert "A capacity must be at least 1" in page

    # Well formed, but the service refuses: its words are shown.
    response = client.post(
        reverse("console:transfer-new"),
        {"from_provider": tw.old.org.pk, f"receive_{tw.old.org.pk}": "on", "reason": REASON, "respond_within_days": 5},
    )
    assert response.status_code == 400
    assert "CheapCare Ltd is the provider the clients are leaving." in text(response)
    assert not Transfer.objects.exists()


def test_someone_whose_organisation_commissions_nothing_cannot_start_one(tw: TransferWorld) -> None:
    client = signed_in(tw.sunrise.lead)
    page = text(client.get(reverse("console:transfer-new")))
    assert "Your organisation commissions no active services from another provider" in page
    response = client.post(
        reverse("console:transfer-new"),
        {"from_provider": tw.old.org.pk, f"receive_{tw.meadow.org.pk}": "on", "reason": "x", "respond_within_days": 5},
    )
    assert response.status_code == 200
    assert not Transfer.objects.exists()


# --- listing and opening -----------------------------------------------------------------------


def test_the_commissioner_lists_clients_and_opens_with_progress(tw: TransferWorld, django_capture_on_commit_callbacks):
    transfer = draft(tw)
    client = signed_in(tw.council.alice)

    stranger = tw.sunrise.customer
    response = client.post(
        url("transfer-add-clients", transfer), {"customer_ids": f"{tw.clients[0].pk}, {stranger.pk}"}
    )
    assert response.status_code == 400
    assert f"no active service from CheapCare Ltd commissioned by Northshire Council: {stranger.full_name}" in text(
        response
    )
    assert not transfer.clients.exists()

    response = client.post(url("transfer-add-clients", transfer), {"customer_ids": "12x"})
    assert response.status_code == 400 and "Customer numbers are whole numbers; these are not: 12x." in text(response)

    response = client.post(url("transfer-add-clients", transfer), {"customer_ids": f"{tw.clients[0].pk}"}, follow=True)
    assert "Listed 1 client." in text(response)
    response = client.post(url("transfer-add-clients", transfer), {"every_active_client": "on"}, follow=True)
    page = text(response)
    assert "Listed 3 clients. 1 client already listed stayed as they were." in page
    assert "4</span> clients without an accepting provider" in page
    assert "Open transfer" in page

    # Opening makes the offers in the background (on commit); until they run, the page
    # shows how far it has got and polls.
    response = client.post(url("transfer-open", transfer), follow=True)
    page = text(response)
    assert "The transfer is open. The offers are being made in the background" in page
    assert "0 of 4</strong> clients offered so far" in page
    assert 'hx-trigger="every 3s"' in page
    progress = client.get(url("transfer", transfer), {"part": "progress"}, headers={"HX-Request": "true"})
    assert "0 of 4" in text(progress) and "<html" not in progress.content.decode()

    transfer_make_offers(transfer_id=transfer.pk)  # what the worker does
    done = client.get(url("transfer", transfer), {"part": "progress"}, headers={"HX-Request": "true"})
    assert done.headers.get("HX-Refresh") == "true"  # all offered: the whole page reloads
    page = text(client.get(url("transfer", transfer)))
    assert "Making the offers" not in page
    assert "4</span> clients without an accepting provider" in page
    assert "Complete transfer" in page


def test_opening_an_empty_transfer_is_refused_in_words(tw: TransferWorld) -> None:
    transfer = draft(tw)
    response = signed_in(tw.council.alice).post(url("transfer-open", transfer))
    assert response.status_code == 409
    assert "List the clients before opening the transfer." in text(response)


# --- the report, for each side -------------------------------------------------------------------


def test_the_commissioner_reads_the_headline_first_then_counts_then_clients(
    tw: TransferWorld, django_capture_on_commit_callbacks
) -> None:
    transfer = opened(tw, django_capture_on_commit_callbacks)
    meadow = offered_to(transfer, tw.meadow)[0]
    transfer_decline_clients(transfer=transfer, actor=tw.meadow.alice, client_ids=[meadow.pk], reason="No carers")
    page = text(signed_in(tw.council.alice).get(url("transfer", transfer)))
    assert (
        page.index("without an accepting provider")
        < page.index("Where the clients stand")
        < page.index('id="clients-heading"')
    )
    assert '<span class="headline__number">4</span> clients without an accepting provider' in page
    assert "1</strong> was declined or not answered in time and needs a decision from Alice Able" in page
    assert "<strong>3</strong> offered, waiting for an answer" in page and "<strong>1</strong> declined" in page
    assert "Declined: No carers" in page
    # Who answers for them now: the coordinator at the old provider, until someone accepts.
    assert "<strong>Alice Able</strong>, CheapCare Ltd" in page
    assert page.count('<details class="decide"') == 1  # only the declined client needs a decision
    assert "Download CSV" in page


def test_the_report_filters_by_status_and_receiving_provider(tw: TransferWorld, django_capture_on_commit_callbacks):
    transfer = opened(tw, django_capture_on_commit_callbacks)
    client = signed_in(tw.council.alice)
    meadow_name = offered_to(transfer, tw.meadow)[0].customer.full_name
    page = text(client.get(url("transfer", transfer), {"provider": tw.meadow.org.pk}))
    assert "(1 shown)" in page and meadow_name in page
    page = text(client.get(url("transfer", transfer), {"status": "accepted"}))
    assert "No clients match these filters." in page

    # Over HTMX, only the table is sent back.
    fragment = client.get(
        url("transfer", transfer), {"status": "pending"}, headers={"HX-Request": "true", "HX-Target": "clients"}
    )
    body = fragment.content.decode()
    assert body.lstrip().startswith('<section id="clients"') and "<html" not in body
    assert body.count('class="report-row ') == 4


def test_a_receiver_sees_only_the_clients_offered_to_it(tw: TransferWorld, django_capture_on_commit_callbacks):
    transfer = opened(tw, django_capture_on_commit_callbacks)
    page = text(signed_in(tw.sunrise.alice).get(url("transfer", transfer)))
    assert "3</span> clients offered to" in page and "waiting for your answer" in page
    for client in offered_to(transfer, tw.sunrise):
        assert client.customer.full_name in page
    assert offered_to(transfer, tw.meadow)[0].customer.full_name not in page
    assert "Accept all 3 offered to us" in page and "Decline the ticked clients" in page
    assert page.count('form="answer-form"') == 3
    assert "List clients" not in page and "Complete transfer" not in page and "Re-offer or keep" not in page
    assert "The checks behind this" not in page


def test_the_provider_losing_clients_reads_the_report_but_cannot_act(
    tw: TransferWorld, django_capture_on_commit_callbacks
) -> None:
    transfer = opened(tw, django_capture_on_commit_callbacks)
    client = signed_in(tw.old.lead)
    page = text(client.get(url("transfer", transfer)))
    assert "4</span> clients without an accepting provider" in page
    assert "You can read this report." in page
    for action in ("Complete transfer", "Accept all", "Re-offer or keep", "List these clients", "Open transfer"):
        assert action not in page
    chosen = offered_to(transfer, tw.sunrise)[0]
    response = client.post(url("transfer-accept", transfer), {"which": "all", "assign": "me"})
    assert response.status_code == 403
    response = client.post(url("transfer-decline", transfer), {"client_ids": [chosen.pk], "reason": "Keep them"})
    assert response.status_code == 403
    response = client.post(url("transfer-keep", transfer, chosen.pk), {"reason": "Keep them"})
    assert response.status_code == 403
    assert client.post(url("transfer-complete", transfer)).status_code == 403
    assert transfer.clients.filter(status="pending").count() == 4


def test_a_colleague_of_the_commissioner_reads_but_cannot_run_it(
    tw: TransferWorld, django_capture_on_commit_callbacks
) -> None:
    transfer = opened(tw, django_capture_on_commit_callbacks)
    client = signed_in(tw.council.bob)
    page = text(client.get(url("transfer", transfer)))
    assert "Only Alice Able, the people they answer to, or an administrator of Northshire Council" in page
    assert "Complete transfer" not in page
    response = client.post(url("transfer-complete", transfer))
    assert response.status_code == 403
    assert "Only Alice Able, the people they answer to, or an administrator" in text(response)
    # Her supervisor may act for her.
    assert "Complete transfer" in text(signed_in(tw.council.lead).get(url("transfer", transfer)))


# --- the receiver answers -----------------------------------------------------------------------


def test_a_receiver_accepts_everything_offered_spread_across_a_team(
    tw: TransferWorld, django_capture_on_commit_callbacks
) -> None:
    transfer = opened(tw, django_capture_on_commit_callbacks)
    client = signed_in(tw.sunrise.lead)
    response = client.post(
        url("transfer-accept", transfer), {"which": "all", "assign": "team", "team": tw.sunrise.team.pk}, follow=True
    )
    page = text(response)
    assert "You accepted 3 clients. Who answers for them now:" in page
    assert "3 open requests moved with them." in page
    owners = set(transfer.clients.filter(status="accepted").values_list("owner_id", flat=True))
    assert owners == {tw.sunrise.lead.pk, tw.sunrise.alice.pk, tw.sunrise.bob.pk}
    assert "0</span> clients offered to" in page and "Nothing is waiting for your answer" in page


def test_a_receiver_accepts_ticked_clients_to_a_named_person_and_declines_others(
    tw: TransferWorld, django_capture_on_commit_callbacks
) -> None:
    transfer = opened(tw, django_capture_on_commit_callbacks)
    first, second, third = offered_to(transfer, tw.sunrise)
    client = signed_in(tw.sunrise.lead)

    response = client.post(url("transfer-accept", transfer), {"which": "selected", "assign": "person"})
    assert response.status_code == 400
    page = text(response)
    assert "Choose the person who will answer for them." in page
    assert "Tick the clients you are accepting in the list below." in page

    response = client.post(
        url("transfer-accept", transfer),
        {"which": "selected", "client_ids": [first.pk], "assign": "person", "person": tw.sunrise.bob.pk},
        follow=True,
    )
    assert "You accepted 1 client. Who answers for them now: Bob Baker (1)." in text(response)
    first.refresh_from_db()
    assert (first.status, first.owner) == ("accepted", tw.sunrise.bob)

    response = client.post(url("transfer-decline", transfer), {"client_ids": [second.pk, third.pk], "reason": " "})
    assert response.status_code == 400
    assert "Say why you cannot take them" in text(response)
    response = client.post(
        url("transfer-decline", transfer),
        {"client_ids": [second.pk, third.pk], "reason": "No carers in that area"},
        follow=True,
    )
    assert "You declined 2 clients. CheapCare Ltd still looks after them, and Alice Able has been told why." in text(
        response
    )
    assert set(transfer.clients.filter(pk__in=[second.pk, third.pk]).values_list("status", flat=True)) == {"declined"}


def test_a_receiver_cannot_answer_for_clients_offered_to_someone_else(
    tw: TransferWorld, django_capture_on_commit_callbacks
) -> None:
    transfer = opened(tw, django_capture_on_commit_callbacks)
    meadow = offered_to(transfer, tw.meadow)[0]
    response = signed_in(tw.sunrise.alice).post(
        url("transfer-accept", transfer), {"which": "selected", "client_ids": [meadow.pk], "assign": "me"}
    )
    assert response.status_code == 409
    assert f"Not waiting for an answer from Sunrise Care: {meadow.customer.full_name}." in text(response)
    meadow.refresh_from_db()
    assert meadow.status == "pending"


def test_a_receiver_in_no_team_may_read_but_not_answer(tw: TransferWorld, django_capture_on_commit_callbacks) -> None:
    transfer = opened(tw, django_capture_on_commit_callbacks)
    client = signed_in(tw.sunrise.head)
    page = text(client.get(url("transfer", transfer)))
    assert "Only an active member of a team at Sunrise Care can accept or decline these clients." in page
    assert "Accept all" not in page
    response = client.post(url("transfer-accept", transfer), {"which": "all", "assign": "me"})
    assert response.status_code == 403
    assert transfer.clients.filter(status="accepted").count() == 0


def test_a_receiver_cannot_keep_reoffer_or_complete(tw: TransferWorld, django_capture_on_commit_callbacks) -> None:
    transfer = opened(tw, django_capture_on_commit_callbacks)
    mine = offered_to(transfer, tw.sunrise)[0]
    transfer_decline_clients(transfer=transfer, actor=tw.sunrise.alice, client_ids=[mine.pk], reason="Full")
    client = signed_in(tw.sunrise.lead)
    response = client.post(url("transfer-keep", transfer, mine.pk), {"reason": "We say so"})
    assert response.status_code == 403
    response = client.post(url("transfer-reoffer", transfer, mine.pk), {"to_provider": tw.sunrise.org.pk})
    assert response.status_code == 403
    assert client.post(url("transfer-complete", transfer)).status_code == 403
    assert client.post(url("transfer-add-clients", transfer), {"every_active_client": "on"}).status_code == 403
    mine.refresh_from_db()
    assert mine.status == "declined"
    transfer.refresh_from_db()
    assert transfer.status == "open"


# --- the commissioner decides and completes -------------------------------------------------------


def test_complete_is_refused_with_the_names_of_who_is_left(tw: TransferWorld, django_capture_on_commit_callbacks):
    transfer = opened(tw, django_capture_on_commit_callbacks)
    transfer_accept_clients(transfer=transfer, actor=tw.sunrise.alice)
    left = offered_to(transfer, tw.meadow)[0]
    response = signed_in(tw.council.alice).post(url("transfer-complete", transfer))
    assert response.status_code == 409
    page = text(response)
    assert f"1 client has no accepting provider yet: {left.customer.full_name}." in page
    assert "Each must be accepted, or kept with a reason, before the transfer can be completed." in page
    transfer.refresh_from_db()
    assert transfer.status == "open"


def test_reoffer_and_keep_need_a_choice_and_a_reason(tw: TransferWorld, django_capture_on_commit_callbacks) -> None:
    transfer = opened(tw, django_capture_on_commit_callbacks)
    declined = offered_to(transfer, tw.sunrise)[0]
    transfer_decline_clients(transfer=transfer, actor=tw.sunrise.alice, client_ids=[declined.pk], reason="Full")
    client = signed_in(tw.council.alice)
    response = client.post(url("transfer-reoffer", transfer, declined.pk), {})
    assert response.status_code == 400 and "Choose the provider to offer the client to." in text(response)
    assert '<details class="decide" open>' in response.content.decode()  # the row's forms stay open
    response = client.post(url("transfer-keep", transfer, declined.pk), {"reason": ""})
    assert response.status_code == 400 and "Say why this client stays with their current provider." in text(response)
    # The provider the client is leaving is not a choice (keep them instead).
    response = client.post(url("transfer-reoffer", transfer, declined.pk), {"to_provider": tw.old.org.pk})
    assert response.status_code == 400 and "Choose one of the providers in the list." in text(response)
    declined.refresh_from_db()
    assert declined.status == "declined"


# --- CSV --------------------------------------------------------------------------------------------


def _csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_the_csv_download_has_every_client_with_who_answers(tw: TransferWorld, django_capture_on_commit_callbacks):
    transfer = opened(tw, django_capture_on_commit_callbacks)
    transfer_accept_clients(transfer=transfer, actor=tw.sunrise.alice)
    meadow = offered_to(transfer, tw.meadow)[0]
    transfer_decline_clients(transfer=transfer, actor=tw.meadow.alice, client_ids=[meadow.pk], reason="No carers")

    rows = _csv(signed_in(tw.council.alice).get(url("transfer-csv", transfer)))
    assert len(rows) == 4
    by_name = {r["customer_name"]: r for r in rows}
    declined = by_name[meadow.customer.full_name]
    assert (declined["status"], declined["declined_because"]) == ("declined", "No carers")
    assert (declined["answers_now"], declined["answers_now_organisation"]) == ("Alice Able", "CheapCare Ltd")
    accepted = [r for r in rows if r["status"] == "accepted"]
    assert len(accepted) == 3
    assert {r["answers_now"] for r in accepted} == {"Alice Able"} and accepted[0]["answers_now_organisation"] == (
        "Sunrise Care"
    )
    assert all(r["requests_moved"] == "1" for r in accepted)

    filtered = _csv(signed_in(tw.council.alice).get(url("transfer-csv", transfer), {"status": "declined"}))
    assert [r["customer_name"] for r in filtered] == [meadow.customer.full_name]
    # A receiver's CSV holds only its own clients.
    assert len(_csv(signed_in(tw.meadow.alice).get(url("transfer-csv", transfer)))) == 1


# --- query counts --------------------------------------------------------------------------------

# The report page: session, user, staff member, the transfer (joined with its
# organisations and people), its receivers, the grouped counts, the page's row count, the
# page of rows (customer, receiver, owner and decision-maker joined; the old provider's
# coordinator as a subquery), the organisations a declined client can be re-offered to,
# and the header's organisation. None of it grows with the number of clients: 30 and 60
# clients (one page of 30, one of 50) cost the same.
REPORT_MAX_QUERIES = 10


def _busy(clients: int, capture: Any) -> tuple[TransferWorld, Transfer]:
    tw = make_transfer_world(clients=clients, requests_each=0)
    transfer = opened(tw, capture, capacities=(None, None))
    sunrise = offered_to(transfer, tw.sunrise)
    transfer_decline_clients(transfer=transfer, actor=tw.sunrise.alice, client_ids=[sunrise[0].pk], reason="Full")
    transfer_accept_clients(transfer=transfer, actor=tw.sunrise.alice, client_ids=[c.pk for c in sunrise[1:5]])
    return tw, transfer


@pytest.mark.parametrize("clients", [30, 60])
def test_report_page_query_count_does_not_grow_with_clients(
    db: Any, clients: int, django_capture_on_commit_callbacks, django_assert_max_num_queries
) -> None:
    tw, transfer = _busy(clients, django_capture_on_commit_callbacks)
    client = signed_in(tw.council.alice)
    with django_assert_max_num_queries(REPORT_MAX_QUERIES):
        response = client.get(url("transfer", transfer))
    assert response.status_code == 200
    assert response.content.decode().count('class="report-row ') == min(clients, 50)


def test_receiver_report_page_query_count_does_not_grow_with_clients(
    db: Any, django_capture_on_commit_callbacks, django_assert_max_num_queries
) -> None:
    # The receiver's page swaps the re-offer choices for who clients can be given to:
    # the people and the teams of their organisation.
    tw, transfer = _busy(60, django_capture_on_commit_callbacks)
    client = signed_in(tw.meadow.alice)
    with django_assert_max_num_queries(REPORT_MAX_QUERIES + 1):
        response = client.get(url("transfer", transfer))
    assert response.status_code == 200
    assert response.content.decode().count('form="answer-form"') == 30


# --- end to end ---------------------------------------------------------------------------------


def test_commissioner_creates_lists_opens_receivers_answer_commissioner_keeps_and_completes(
    tw: TransferWorld, django_capture_on_commit_callbacks
) -> None:
    council = signed_in(tw.council.alice)

    # Create.
    response = council.post(
        reverse("console:transfer-new"),
        {
            "from_provider": tw.old.org.pk,
            f"receive_{tw.sunrise.org.pk}": "on",
            f"receive_{tw.meadow.org.pk}": "on",
            f"capacity_{tw.meadow.org.pk}": "1",
            "reason": REASON,
            "respond_within_days": "5",
        },
    )
    transfer = Transfer.objects.get()
    # List every client, then open: the offers are made (on commit, in the background).
    council.post(url("transfer-add-clients", transfer), {"every_active_client": "on"})
    with django_capture_on_commit_callbacks(execute=True):
        response = council.post(url("transfer-open", transfer))
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == "open"
    page = text(council.get(url("transfer", transfer)))
    assert "4</span> clients without an accepting provider" in page

    # Sunrise Care accepts two and declines one; Meadow Homecare declines theirs.
    a, b, c = offered_to(transfer, tw.sunrise)
    (m,) = offered_to(transfer, tw.meadow)
    sunrise = signed_in(tw.sunrise.alice)
    sunrise.post(url("transfer-accept", transfer), {"which": "selected", "client_ids": [a.pk, b.pk], "assign": "me"})
    sunrise.post(url("transfer-decline", transfer), {"client_ids": [c.pk], "reason": "Full this month"})
    signed_in(tw.meadow.lead).post(url("transfer-decline", transfer), {"client_ids": [m.pk], "reason": "No carers"})

    page = text(council.get(url("transfer", transfer)))
    assert "2</span> clients without an accepting provider" in page
    assert page.count('<details class="decide"') == 2
    response = council.post(url("transfer-complete", transfer))
    assert response.status_code == 409
    assert c.customer.full_name in text(response) and m.customer.full_name in text(response)

    # The commissioner re-offers one to Sunrise Care, who accepts; keeps the other.
    response = council.post(url("transfer-reoffer", transfer, c.pk), {"to_provider": tw.sunrise.org.pk}, follow=True)
    assert f"{c.customer.full_name} is offered to Sunrise Care." in text(response)
    sunrise.post(url("transfer-accept", transfer), {"which": "all", "assign": "me"})
    response = council.post(
        url("transfer-keep", transfer, m.pk), {"reason": "Stays until the in-house team starts"}, follow=True
    )
    assert f"{m.customer.full_name} stays with CheapCare Ltd" in text(response)

    # Nobody left: complete, and the report proves its zero.
    response = council.post(url("transfer-complete", transfer), follow=True)
    page = text(response)
    assert "The transfer is complete" in page
    assert '<span class="headline__number">0</span> clients without an accepting provider' in page
    assert "The checks behind this (all pass)" in page
    assert "Accepted clients still receiving a service from CheapCare Ltd: <strong>0</strong>" in page
    assert "Kept by Alice Able: Stays until the in-house team starts" in page
    assert "Complete transfer" not in page and "Re-offer or keep" not in page
    transfer.refresh_from_db()
    assert (transfer.status, transfer.completed_by) == ("complete", tw.council.alice)
    assert ServiceAgreement.objects.filter(customer=a.customer, provider=tw.sunrise.org, status="active").exists()

    # The provider losing the clients reads the same proof; a receiver sees its own clients.
    page = text(signed_in(tw.old.alice).get(url("transfer", transfer)))
    assert "The checks behind this (all pass)" in page
    page = text(signed_in(tw.sunrise.alice).get(url("transfer", transfer)))
    assert "Nothing is waiting for your answer in this transfer." in page
    assert m.customer.full_name not in page
