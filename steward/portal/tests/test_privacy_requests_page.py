"""The privacy page's additions: giving a new permission (form, check, receipt) and
asking formally for a copy or for erasure (form, check, the request on its one-month
clock with a named person), with the open requests and their due dates on the page.
Refusals change nothing; signed-out visitors and staff sessions get nowhere."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from steward.consent.models import Grant, GrantReceipt, PrivacyRequest
from steward.consent.services import grant_create
from steward.customers.tests.factories import make_customer
from steward.organisations.tests.factories import OrganisationFactory
from steward.requests.tests.factories import World, make_world

from .conftest import as_customer

pytestmark = pytest.mark.django_db

GIVE = "/me/privacy/give/"
ASK = "/me/privacy/ask/"


def give_answers(world: World, **change: object) -> dict[str, object]:
    return {
        "organisation": world.org.pk,
        "purpose": "research",
        "categories": ["messages", "care_plan"],
        "ends_on": "",
        **change,
    }


# --- giving permission -------------------------------------------------------------------


def test_the_form_offers_only_organisations_that_work_with_the_customer(world: World):
    stranger = OrganisationFactory(name="Nobody We Know Ltd")
    html = as_customer(world.customer).get(GIVE).content.decode()
    assert escape(world.org.name) in html and stranger.name not in html
    assert "Research and service improvement" in html and "You are never named" in html


def test_check_then_give_makes_a_consent_with_a_receipt(world: World):
    browser = as_customer(world.customer)

    check = browser.post(GIVE, {**give_answers(world), "step": "check"})

    assert check.status_code == 200
    html = check.content.decode()
    assert "Check before you give permission" in html and "Research and service improvement" in html
    assert "until</dt>" in html.lower() and "you withdraw it" in html
    assert not Grant.objects.filter(purpose="research").exists()  # nothing yet

    done = browser.post(GIVE, {**give_answers(world), "step": "confirm"}, follow=True)

    grant = Grant.objects.get(customer=world.customer, purpose="research")
    assert grant.lawful_basis == "consent" and grant.source == "customer" and grant.ends_at is None
    assert grant.categories == ["care_plan", "messages"]
    receipt = GrantReceipt.objects.get(grant=grant)
    html = done.content.decode()
    assert done.redirect_chain[-1][0] == f"/me/privacy/receipts/{receipt.pk}/"
    assert "You have given permission to" in html and escape(receipt.wording) in html
    download = browser.get(f"/me/privacy/receipts/{receipt.pk}.json")
    assert download.status_code == 200 and download.json()["receipt_id"] == f"steward-receipt-{receipt.pk}"


def test_an_end_date_ends_the_permission_at_the_end_of_that_day(world: World):
    day = timezone.localdate() + timedelta(days=30)
    as_customer(world.customer).post(GIVE, {**give_answers(world, ends_on=day.isoformat()), "step": "confirm"})
    grant = Grant.objects.get(customer=world.customer, purpose="research")
    assert grant.ends_at is not None
    assert timezone.localtime(grant.ends_at).date() == day


def test_change_my_answers_goes_back_to_the_form_with_them(world: World):
    response = as_customer(world.customer).post(GIVE, {**give_answers(world), "change": "1"})
    html = response.content.decode()
    assert "<h1>Give permission</h1>" in html and 'value="research" ' in html and "checked" in html
    assert not Grant.objects.filter(purpose="research").exists()


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"categories": []}, "Tick at least one kind of information."),
        ({"purpose": ""}, "Choose what they may use it for."),
        ({"organisation": ""}, "Choose an organisation."),
        ({"ends_on": "2001-01-01"}, "Choose today or a later date."),
        ({"ends_on": "next tuesday"}, "Enter a date like 31/12/2027."),
    ],
)
def test_mistakes_are_shown_by_their_field_and_nothing_is_given(world: World, change, words):
    response = as_customer(world.customer).post(GIVE, {**give_answers(world, **change), "step": "confirm"})
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not Grant.objects.filter(purpose="research").exists()


def test_an_organisation_that_does_not_work_with_them_cannot_be_chosen(world: World):
    stranger = OrganisationFactory(name="Data Brokers Ltd")
    response = as_customer(world.customer).post(
        GIVE, {**give_answers(world, organisation=stranger.pk), "step": "confirm"}
    )
    assert response.status_code == 400
    assert not Grant.objects.filter(organisation=stranger).exists()


def test_another_customers_receipt_is_not_found(world: World):
    other = make_customer(organisation=world.org)
    grant = grant_create(
        customer=other,
        organisation=world.org,
        purpose="billing",
        categories=["financial"],
        lawful_basis="consent",
        by_customer=True,
    )
    theirs = GrantReceipt.objects.get(grant=grant)
    browser = as_customer(world.customer)
    assert browser.get(f"/me/privacy/receipts/{theirs.pk}/").status_code == 404
    assert browser.get(f"/me/privacy/receipts/{theirs.pk}.json").status_code == 404


# --- asking for a copy or for erasure ------------------------------------------------------


def test_asking_for_erasure_checks_first_then_opens_the_request(world: World):
    browser = as_customer(world.customer)
    answers = {"kind": "erasure", "organisation": world.org.pk}

    check = browser.post(ASK, {**answers, "step": "check"})

    html = check.content.decode()
    assert check.status_code == 200 and "Check your request" in html
    assert "Erasing cannot be undone" in html and "They must answer by" in html
    assert not PrivacyRequest.objects.exists()

    done = browser.post(ASK, {**answers, "step": "confirm"}, follow=True)

    request = PrivacyRequest.objects.get(customer=world.customer)
    assert request.kind == "erasure" and request.organisation == world.org and request.opened_by is None
    html = done.content.decode()
    assert "We have sent your request to" in html
    assert f"{request.due_at:%B %Y}" in html and escape(request.assigned_to.display_name) in html
    assert "Erase your data" in html and "must answer by" in html


def test_asking_for_a_copy_formally(world: World):
    as_customer(world.customer).post(ASK, {"kind": "export", "organisation": world.org.pk, "step": "confirm"})
    assert PrivacyRequest.objects.get(customer=world.customer).kind == "export"


def test_asking_twice_for_the_same_thing_is_explained_not_repeated(world: World):
    browser = as_customer(world.customer)
    answers = {"kind": "export", "organisation": world.org.pk, "step": "confirm"}
    browser.post(ASK, answers)
    again = browser.post(ASK, answers)
    assert again.status_code == 409 and "You already asked" in again.content.decode()
    assert PrivacyRequest.objects.count() == 1


def test_an_ask_with_nothing_chosen_is_refused_by_field(world: World):
    response = as_customer(world.customer).post(ASK, {"step": "confirm"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Choose what you are asking for." in html and "Choose an organisation." in html
    assert not PrivacyRequest.objects.exists()


def test_the_privacy_page_shows_only_my_requests(world: World):
    other = make_customer(organisation=world.org)
    as_customer(other).post(ASK, {"kind": "erasure", "organisation": world.org.pk, "step": "confirm"})
    html = as_customer(world.customer).get("/me/privacy/").content.decode()
    assert "You have not asked for a copy or for erasure" in html


def test_the_ask_form_lists_the_organisation_that_registered_them(world: World):
    elsewhere = make_world("Lonely Org")
    html = as_customer(elsewhere.customer).get(ASK).content.decode()
    assert "Lonely Org" in html and escape(world.org.name) not in html


# --- who may use these pages ---------------------------------------------------------------


@pytest.mark.parametrize("path", [GIVE, ASK, "/me/privacy/receipts/1/", "/me/privacy/receipts/1.json"])
def test_signed_out_and_staff_sessions_get_nowhere(world: World, path):
    assert Client().get(path).url == "/me/sign-in/"
    staff = Client()
    staff.force_login(world.alice.user)
    assert staff.get(path).status_code == 403


def test_posts_from_signed_out_or_staff_change_nothing(world: World):
    staff = Client()
    staff.force_login(world.alice.user)
    for browser in (Client(), staff):
        browser.post(GIVE, {**give_answers(world), "step": "confirm"})
        browser.post(ASK, {"kind": "erasure", "organisation": world.org.pk, "step": "confirm"})
    assert not Grant.objects.filter(purpose="research").exists() and not PrivacyRequest.objects.exists()


def test_privacy_page_queries_do_not_grow_with_requests(world: World, django_assert_max_num_queries):
    browser = as_customer(world.customer)
    browser.post(ASK, {"kind": "export", "organisation": world.org.pk, "step": "confirm"})
    with django_assert_max_num_queries(14) as one:
        browser.get("/me/privacy/")
    first = len(one.captured_queries)  # read now: later requests clear Django's query log
    browser.post(ASK, {"kind": "erasure", "organisation": world.org.pk, "step": "confirm"})
    for _ in range(3):
        grant_create(
            customer=world.customer,
            organisation=world.org,
            purpose="research",
            categories=["messages"],
            lawful_basis="consent",
            by_customer=True,
        )
    with django_assert_max_num_queries(first):
        browser.get("/me/privacy/")
