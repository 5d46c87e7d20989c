"""Handovers in the staff console (I2): Priya Shah (Northshire Council, adult social
care) owns Mrs Khan's request and offers it to Sunrise Care, where Jo Patel reads the
story and accepts or declines. Until someone accepts, Priya still answers for it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from steward.handovers.models import HandoverOffer
from steward.handovers.services import handover_offer
from steward.organisations.models import Organisation, StaffMember
from steward.requests.models import Request
from steward.requests.services import request_capture
from steward.requests.tests.factories import World, make_world

DESCRIPTION = "My carer didn't come last night. I sat in my chair until my daughter came at eleven."


def signed_in(staff: StaffMember) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def text(response: Any) -> str:
    return " ".join(response.content.decode().split())


def amina() -> Request:
    return Request.objects.select_related("owner", "customer").get(customer__given_name="Amina")


def sunrise() -> Organisation:
    return Organisation.objects.get(name="Sunrise Care")


@pytest.fixture
def offered(demo: Any) -> HandoverOffer:
    """Mrs Khan's request, offered by its owner Priya Shah to Sunrise Care."""
    return handover_offer(
        request=amina(),
        actor=demo.staff("priya.shah"),
        to_organisation=sunrise(),
        reason="Sunrise Care runs her home-care package now",
        note_for_receiver="Her daughter Sara has a key; ring her first.",
    )


# --- offering from the request page ------------------------------------------------------


def test_owner_offers_from_the_request_page_and_still_owns_it(demo):
    priya = demo.staff("priya.shah")
    request = amina()
    assert request.owner == priya
    client = signed_in(priya)
    page = text(client.get(reverse("console:request", args=[request.pk])))
    assert "Offer to someone else" in page
    assert "Anyone at Sunrise Care" in page and "Jo Patel" in page

    response = client.post(
        reverse("console:request-offer", args=[request.pk]),
        {
            "receiver": f"organisation:{sunrise().pk}",
            "reason": "Sunrise Care runs her home-care package now",
            "note_for_receiver": "Her daughter Sara has a key.",
        },
        follow=True,
    )

    offer = HandoverOffer.objects.get(request=request)
    assert offer.status == "pending" and offer.to_organisation == sunrise()
    request.refresh_from_db()
    assert request.owner == priya  # nothing moves until someone accepts
    page = text(response)
    assert "Offered to Sunrise Care." in page
    assert "Offered to <strong>Sunrise Care</strong>" in page
    assert "<strong>Priya Shah</strong> still looks after it" in page
    assert "Withdraw the offer" in page
    assert "Offer to someone else" not in page  # one open offer at a time


def test_offer_without_a_reason_is_a_form_error_and_creates_nothing(demo):
    request = amina()
    response = signed_in(demo.staff("priya.shah")).post(
        reverse("console:request-offer", args=[request.pk]), {"receiver": f"organisation:{sunrise().pk}"}
    )
    assert response.status_code == 400
    assert "Say why you are handing this request over." in text(response)
    assert not HandoverOffer.objects.filter(request=request).exists()


def test_offer_to_a_person_by_name(demo):
    request = amina()
    jo = demo.staff("jo.patel")
    signed_in(demo.staff("priya.shah")).post(
        reverse("console:request-offer", args=[request.pk]), {"receiver": f"person:{jo.pk}", "reason": "Her carer"}
    )
    offer = HandoverOffer.objects.get(request=request)
    assert offer.target == "person" and offer.to_staff == jo


def test_the_owners_manager_may_offer_too(demo):
    request = amina()
    response = signed_in(demo.staff("marcus.bell")).post(
        reverse("console:request-offer", args=[request.pk]),
        {"receiver": f"organisation:{sunrise().pk}", "reason": "Provider change"},
    )
    assert response.status_code == 302
    offer = HandoverOffer.objects.get(request=request)
    assert offer.sender == demo.staff("priya.shah") and offer.offered_by == demo.staff("marcus.bell")


def test_colleague_who_is_not_owner_or_manager_sees_no_form_and_a_forged_post_is_refused(demo):
    grace = demo.staff("grace.okafor")  # same team as Priya, but answers to her
    request = amina()
    client = signed_in(grace)
    page = text(client.get(reverse("console:request", args=[request.pk])))
    assert "Offer to someone else" not in page
    assert "Only Priya Shah or the people they answer to can hand this request over." in page

    response = client.post(
        reverse("console:request-offer", args=[request.pk]),
        {"receiver": f"organisation:{sunrise().pk}", "reason": "Not mine to give"},
    )

    assert response.status_code == 403
    assert "Only Priya Shah or the people they answer to can hand this request over." in text(response)
    assert not HandoverOffer.objects.filter(request=request).exists()


def test_request_page_shows_the_offer_history(offered, demo):
    jo = demo.staff("jo.patel")
    signed_in(jo).post(reverse("console:handover-decline", args=[offered.pk]), {"reason": "No carers in her area"})
    page = text(signed_in(demo.staff("priya.shah")).get(reverse("console:request", args=[offered.request_id])))
    assert "Earlier offers" in page
    assert "Declined</strong> by Jo Patel: No carers in her area." in page
    assert "Offer to someone else" in page  # free to try somewhere else


# --- the receiver's side --------------------------------------------------------------------


def test_receiver_sees_it_waiting_and_reads_the_story_before_accepting(offered, demo):
    jo = demo.staff("jo.patel")
    client = signed_in(jo)

    inbox = text(client.get(reverse("console:handovers")))
    assert "Handovers waiting for you" in inbox
    assert reverse("console:handover", args=[offered.pk]) in inbox
    assert "Sunrise Care runs her home-care package now" in inbox

    my_work = text(client.get(reverse("console:my-work")))
    assert "Offers waiting for you" in my_work and reverse("console:handover", args=[offered.pk]) in my_work

    page = text(client.get(reverse("console:handover", args=[offered.pk])))
    assert "Priya Shah" in page
    assert "Her daughter Sara has a key; ring her first." in page
    assert DESCRIPTION.replace("'", "&#x27;") in page  # what she said, in her words
    assert "The story so far" in page
    assert "Accept: I will look after it" in page
    request = amina()
    assert request.customer.what_matters_to_me
    assert request.customer.what_matters_to_me.split("\n")[0][:30].replace("'", "&#x27;") in page
    assert request.owner == demo.staff("priya.shah")


def test_accepting_makes_the_receiver_the_owner(offered, demo):
    jo = demo.staff("jo.patel")
    response = signed_in(jo).post(reverse("console:handover-accept", args=[offered.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("console:request", args=[offered.request_id])
    request = amina()
    assert request.owner == jo
    page = text(response)
    assert "You now look after Amina Khan&#x27;s request." in page or "You now look after" in page
    assert "<strong>Jo Patel</strong> is looking after it." in page
    offered.refresh_from_db()
    assert offered.status == "accepted" and offered.responded_by == jo


def test_decline_without_a_reason_is_refused_and_nothing_changes(offered, demo):
    response = signed_in(demo.staff("jo.patel")).post(reverse("console:handover-decline", args=[offered.pk]), {})
    assert response.status_code == 400
    assert "Say why you are declining" in text(response)
    offered.refresh_from_db()
    assert offered.status == "pending"
    assert amina().owner == demo.staff("priya.shah")


def test_decline_with_a_reason_keeps_the_sender_as_owner(offered, demo):
    response = signed_in(demo.staff("jo.patel")).post(
        reverse("console:handover-decline", args=[offered.pk]), {"reason": "No carers in her area"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("console:handovers")
    assert "Priya Shah still looks after it" in text(response)
    offered.refresh_from_db()
    assert offered.status == "declined" and offered.response_reason == "No carers in her area"
    assert amina().owner == demo.staff("priya.shah")


def test_someone_in_a_third_organisation_gets_404_and_cannot_accept(offered, demo):
    kim = demo.staff("kim.lee")  # CheapCare Ltd
    client = signed_in(kim)
    response = client.get(reverse("console:handover", args=[offered.pk]))
    assert response.status_code == 404
    assert "We can't find that" in response.content.decode()
    assert offered.request.description not in response.content.decode()

    for action in ("console:handover-accept", "console:handover-decline", "console:handover-withdraw"):
        assert client.post(reverse(action, args=[offered.pk]), {"reason": "mine now"}).status_code == 404
    offered.refresh_from_db()
    assert offered.status == "pending"
    assert amina().owner == demo.staff("priya.shah")
    assert offered.pk and reverse("console:handover", args=[offered.pk]) not in text(
        client.get(reverse("console:handovers"))
    )


def test_a_colleague_of_the_sender_can_read_the_offer_but_not_answer_it(offered, demo):
    page = text(signed_in(demo.staff("grace.okafor")).get(reverse("console:handover", args=[offered.pk])))
    assert "Accept: I will look after it" not in page
    assert "only they can answer it" in page
    response = signed_in(demo.staff("grace.okafor")).post(reverse("console:handover-accept", args=[offered.pk]))
    assert response.status_code == 403
    offered.refresh_from_db()
    assert offered.status == "pending"


# --- the sender's side ----------------------------------------------------------------------


def test_sender_sees_the_offer_they_made_and_withdraws_it(offered, demo):
    priya = demo.staff("priya.shah")
    client = signed_in(priya)
    assert "Offers you have made" in text(client.get(reverse("console:handovers")))
    assert reverse("console:handover", args=[offered.pk]) in text(client.get(reverse("console:handovers")))

    response = client.post(
        reverse("console:handover-withdraw", args=[offered.pk]), {"reason": "Sorted it ourselves"}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("console:request", args=[offered.request_id])
    assert "The offer to Sunrise Care is withdrawn." in text(response)
    offered.refresh_from_db()
    assert offered.status == "withdrawn" and offered.responded_by == priya
    assert amina().owner == priya


def test_the_receiver_cannot_withdraw(offered, demo):
    response = signed_in(demo.staff("jo.patel")).post(reverse("console:handover-withdraw", args=[offered.pk]))
    assert response.status_code == 403
    offered.refresh_from_db()
    assert offered.status == "pending"


def test_answering_an_offer_that_is_no_longer_open_explains_why(offered, demo):
    signed_in(demo.staff("priya.shah")).post(reverse("console:handover-withdraw", args=[offered.pk]))
    response = signed_in(demo.staff("jo.patel")).post(reverse("console:handover-accept", args=[offered.pk]))
    assert response.status_code == 409
    assert "no longer waiting for an answer" in text(response)
    assert amina().owner == demo.staff("priya.shah")


# --- query counts ---------------------------------------------------------------------------


@pytest.fixture
def twenty_offers(db) -> tuple[World, World]:
    """Twenty requests of one organisation, each offered to another organisation's team."""
    sender, receiver = make_world("Northshire"), make_world("Sunrise Care")
    for i in range(20):
        request = request_capture(
            customer=sender.customer, need=sender.need, channel="phone", description=f"Help {i}", actor=None
        )
        request.refresh_from_db()
        handover_offer(request=request, actor=request.owner, to_team=receiver.team, reason=f"Reason {i}")
    return sender, receiver


# Session, user, staff member, the offers (everything printed joined in), the header's
# organisation; the handovers page reads two lists, My work its requests, notifications,
# the first offers and open alerts; the offer page the story and the receiver's reporting line.
# None grows with the offers or the story.
# A list of offers fetches its receivers and the requests' owners in up to four more
# queries, once, when it has rows (handovers.selectors.LIST_PREFETCHED): the handovers
# page has two lists, My work one.
HANDOVERS_MAX_QUERIES = 7 + 2 * 4
MY_WORK_MAX_QUERIES = 10 + 4  # see test_views.MY_WORK_MAX_QUERIES
# The offer page also goes through the read door: 6 more (grant lookup, savepoint, customer
# row lock, chain tail, access event, release).
OFFER_PAGE_MAX_QUERIES = 8 + 6


def test_handovers_page_query_count_does_not_grow_with_offers(twenty_offers, django_assert_max_num_queries):
    sender, receiver = twenty_offers
    client = signed_in(receiver.alice)
    with django_assert_max_num_queries(HANDOVERS_MAX_QUERIES):
        response = client.get(reverse("console:handovers"))
    assert response.status_code == 200
    assert response.content.decode().count('class="work-item offer-item') == 20

    owner = Request.objects.filter(organisation=sender.org).select_related("owner").first().owner
    client = signed_in(owner)
    with django_assert_max_num_queries(HANDOVERS_MAX_QUERIES):
        response = client.get(reverse("console:handovers"))
    mine = HandoverOffer.objects.filter(sender=owner).count()  # routing shares the requests out
    assert mine > 1
    assert response.content.decode().count('class="work-item offer-item') == mine


def test_my_work_with_offers_waiting_stays_bounded(twenty_offers, django_assert_max_num_queries):
    _, receiver = twenty_offers
    client = signed_in(receiver.alice)
    with django_assert_max_num_queries(MY_WORK_MAX_QUERIES):
        response = client.get(reverse("console:my-work"))
    page = text(response)
    assert 'Offers waiting for you <span class="count">(5+)</span>' in page
    assert page.count("/console/handovers/") >= 5


def test_offer_page_query_count_does_not_grow_with_the_story(twenty_offers, django_assert_max_num_queries):
    _, receiver = twenty_offers
    offer = HandoverOffer.objects.filter(to_team=receiver.team).first()
    client = signed_in(receiver.alice)
    with django_assert_max_num_queries(OFFER_PAGE_MAX_QUERIES):
        response = client.get(reverse("console:handover", args=[offer.pk]))
    assert response.status_code == 200
