"""'My contact preferences' (/me/preferences/): the form shows what the customer chose,
saves with a confirmation, refuses with a message by each field (changing nothing), and
is closed to signed-out visitors and staff sessions. Portal times follow the customer's
time zone."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from steward.customers.models import ContactPreferences, Customer
from steward.customers.preferences import PreferencesData
from steward.customers.services import preferences_update
from steward.portal.customer_time import customer_time_zone
from steward.requests.tests.factories import World
from steward.timeline.models import TimelineEvent

from .conftest import as_customer

pytestmark = pytest.mark.django_db

URL = "/me/preferences/"

FILLED = {
    "channel_1": "text",
    "channel_2": "phone",
    "channel_3": "",
    "quiet_from": "21:00",
    "quiet_to": "08:00",
    "language": "cy",
    "time_zone": "Europe/London",
    "access_needs": ["large_print", "hearing_loop"],
    "access_other": "Knock loudly, please.",
    "what_matters_to_me": "Seeing my grandchildren on Sundays.",
}


def test_the_page_is_in_the_portal_nav_and_shows_the_defaults(world: World):
    page = as_customer(world.customer).get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'aria-current="page">My contact preferences' in html
    assert "<h1>My contact preferences</h1>" in html
    assert "These pages are in English for now" in html
    assert "Times on these pages are in your time zone, Europe/London" in html


def test_saving_shows_a_confirmation_and_the_saved_choices(world: World):
    browser = as_customer(world.customer)

    response = browser.post(URL, FILLED, follow=True)

    assert response.status_code == 200
    html = response.content.decode()
    assert "We have saved your preferences" in html
    assert 'value="21:00"' in html and "Seeing my grandchildren on Sundays." in html
    saved = ContactPreferences.objects.get(customer=world.customer)
    assert saved.channels == ["text", "phone"] and saved.access_needs == ["large_print", "hearing_loop"]
    assert Customer.objects.get(pk=world.customer.pk).language == "cy"
    assert TimelineEvent.objects.filter(customer=world.customer, kind="preferences_changed").count() == 1


@pytest.mark.parametrize(
    ("change", "field_id", "words"),
    [
        ({"channel_2": "text"}, "id_channel_2", "You have chosen this already"),
        ({"quiet_to": ""}, "id_quiet_to", "Give both times"),
        ({"quiet_from": "late"}, "id_quiet_from", "Enter a time like 21:00"),
        ({"quiet_to": "21:00"}, "id_quiet_to", "must end at a different time"),
        ({"language": "klingon"}, "id_language", "Choose a language from the list"),
        ({"time_zone": "Mars/Base"}, "id_time_zone", "Choose a time zone from the list"),
        ({"what_matters_to_me": "x" * 4001}, "id_what_matters_to_me", "Keep this under 4,000 characters"),
    ],
)
def test_a_mistake_is_shown_by_its_field_and_changes_nothing(world: World, change, field_id, words):
    response = as_customer(world.customer).post(URL, {**FILLED, **change})

    assert response.status_code == 400
    html = response.content.decode()
    assert words in html
    assert f'href="#{field_id}"' in html  # the summary links to the field
    assert "<title>Error: My contact preferences" in html
    assert not ContactPreferences.objects.exists()


def test_signed_out_visitors_are_sent_to_sign_in(db):
    response = Client().get(URL)
    assert response.status_code == 302 and response["Location"] == "/me/sign-in/"
    assert Client().post(URL, FILLED).status_code == 302
    assert not ContactPreferences.objects.exists()


def test_a_staff_session_is_not_a_customer(world: World):
    browser = Client()
    browser.force_login(world.alice.user)
    assert browser.get(URL).status_code == 403
    assert browser.post(URL, FILLED).status_code == 403
    assert not ContactPreferences.objects.exists()


def test_another_customers_choices_are_never_shown(world: World):
    other_customer = Customer.objects.exclude(pk=world.customer.pk).first() or _another(world)
    preferences_update(customer=other_customer, data=PreferencesData(what_matters_to_me="A secret of someone else."))
    html = as_customer(world.customer).get(URL).content.decode()
    assert "A secret of someone else." not in html


def _another(world: World) -> Customer:
    from steward.customers.tests.factories import make_customer

    return make_customer(organisation=world.org)


def test_portal_times_follow_the_customers_time_zone(world: World):
    preferences_update(customer=world.customer, data=PreferencesData(time_zone="Asia/Karachi"))
    assert customer_time_zone(world.customer.pk) == "Asia/Karachi"
    html = as_customer(world.customer).get("/me/privacy/").content.decode()
    assert "your time zone, Asia/Karachi" in html


def test_the_access_log_reads_in_the_customers_time(world: World):
    from steward.consent.services import customer_data_read, grant_create

    grant_create(
        customer=world.customer,
        organisation=world.org,
        purpose="care_delivery",
        categories=["care_plan"],
        lawful_basis="consent",
        by_customer=True,
    )
    preferences_update(customer=world.customer, data=PreferencesData(time_zone="Asia/Karachi"))
    event = customer_data_read(
        actor=world.alice,
        customer_id=world.customer.pk,
        purpose="care_delivery",
        categories=["care_plan"],
        resource="timeline",
        channel="page",
    )
    karachi = event.at.astimezone(ZoneInfo("Asia/Karachi"))
    html = as_customer(world.customer).get("/me/privacy/").content.decode()
    assert f"at {karachi:%H:%M}" in html


def test_the_page_takes_a_bounded_number_of_queries(world: World, django_assert_max_num_queries):
    preferences_update(customer=world.customer, data=PreferencesData(channels=["email"], time_zone="Europe/Paris"))
    browser = as_customer(world.customer)
    browser.get(URL)
    with django_assert_max_num_queries(8):
        assert browser.get(URL).status_code == 200


def test_quiet_hours_shown_back_as_entered(world: World):
    preferences_update(customer=world.customer, data=PreferencesData(quiet_from=time(22, 30), quiet_to=time(7, 0)))
    html = as_customer(world.customer).get(URL).content.decode()
    assert 'value="22:30"' in html and 'value="07:00"' in html
