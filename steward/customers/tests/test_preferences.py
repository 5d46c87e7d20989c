"""Contact preferences: the customer sets them (all at once, refused per field and
changing nothing when something is wrong), the change is on their timeline, and staff
read them only through the read door (purpose, grant, logged)."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from django.test import Client

from steward.accounts.services import customer_token_issue
from steward.consent.models import AccessEvent
from steward.consent.services import grant_create
from steward.customers.models import ContactPreferences, Customer
from steward.customers.preferences import PreferencesData
from steward.customers.selectors import preferences_for
from steward.customers.services import preferences_update
from steward.customers.tests.factories import make_customer
from steward.errors import InvalidInput
from steward.requests.tests.factories import World, make_world
from steward.timeline.models import TimelineEvent

pytestmark = pytest.mark.django_db

GOOD = PreferencesData(
    channels=["text", "phone"],
    quiet_from=time(21, 0),
    quiet_to=time(8, 0),
    language="cy",
    time_zone="Europe/London",
    access_needs=["large_print", "more_time"],
    access_other="Please speak slowly.",
    what_matters_to_me="  Staying in my own home with my cat.  ",
)


@pytest.fixture
def world(db) -> World:
    return make_world("Sunrise Care")


def changes(customer: Customer) -> list[TimelineEvent]:
    return list(TimelineEvent.objects.filter(customer=customer, kind=TimelineEvent.Kind.PREFERENCES_CHANGED))


# --- the service ------------------------------------------------------------------------


def test_a_customer_without_preferences_reads_the_defaults(world):
    view = preferences_for(customer=world.customer)
    assert view.channels == [] and view.quiet_hours == "" and view.time_zone == "Europe/London"
    assert view.language == "en" and view.language_label == "English"


def test_setting_preferences_saves_them_and_tells_the_story(world):
    preferences_update(customer=world.customer, data=GOOD)

    saved = ContactPreferences.objects.get(customer=world.customer)
    assert saved.channels == ["text", "phone"]
    assert (saved.quiet_from, saved.quiet_to) == (time(21, 0), time(8, 0))
    assert saved.access_needs == ["large_print", "more_time"]
    customer = Customer.objects.get(pk=world.customer.pk)
    assert customer.language == "cy"
    assert customer.what_matters_to_me == "Staying in my own home with my cat."
    assert customer.accessibility_needs == "Please speak slowly."
    view = preferences_for(customer=customer)
    assert view.how_to_contact == "Text message, then phone call"
    assert view.quiet_hours == "21:00 to 08:00 (Europe/London)"
    [event] = changes(world.customer)
    assert event.is_internal is False  # the customer sees it on their timeline
    assert event.organisation_id == world.org.pk  # recorded against who registered them
    assert "how to contact them" in event.summary and "what matters to them" in event.summary
    assert "cat" not in event.summary  # which parts changed, not what they say


def test_saving_the_same_choices_again_changes_nothing(world):
    preferences_update(customer=world.customer, data=GOOD)
    preferences_update(customer=world.customer, data=GOOD)
    assert len(changes(world.customer)) == 1


def test_a_later_change_names_only_what_changed(world):
    preferences_update(customer=world.customer, data=GOOD)
    preferences_update(customer=world.customer, data=PreferencesData(**{**GOOD.__dict__, "time_zone": "Europe/Paris"}))
    latest = changes(world.customer)[0]
    assert latest.data == {"changed": ["time_zone"]}
    assert latest.summary.endswith("contact preferences: time zone.")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channels": ["pigeon"]}, "channels"),
        ({"channels": ["email", "email"]}, "channels"),
        ({"quiet_to": None}, "quiet_to"),
        ({"quiet_from": None}, "quiet_from"),
        ({"quiet_from": time(8), "quiet_to": time(8)}, "quiet_to"),
        ({"language": "xx-nowhere"}, "language"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"access_needs": ["telepathy"]}, "access_needs"),
        ({"access_other": "x" * 2001}, "access_other"),
        ({"what_matters_to_me": "x" * 4001}, "what_matters_to_me"),
    ],
)
def test_bad_input_is_refused_by_field_and_changes_nothing(world, change, field):
    with pytest.raises(InvalidInput) as refused:
        preferences_update(customer=world.customer, data=PreferencesData(**{**GOOD.__dict__, **change}))
    assert refused.value.code == "preferences_invalid"
    assert field in refused.value.details["fields"]  # type: ignore[index]
    assert not ContactPreferences.objects.exists()
    assert Customer.objects.get(pk=world.customer.pk).language == "en"
    assert changes(world.customer) == []


def test_every_problem_is_reported_at_once(world):
    bad = PreferencesData(channels=["pigeon"], language="xx", time_zone="Nowhere")
    with pytest.raises(InvalidInput) as refused:
        preferences_update(customer=world.customer, data=bad)
    assert set(refused.value.details["fields"]) == {"channels", "language", "time_zone"}  # type: ignore[arg-type]


# --- the API ------------------------------------------------------------------------------


class Caller:
    def __init__(self) -> None:
        self.client = Client()
        self.tokens: dict[int, str] = {}

    def headers(self, customer: Customer) -> dict[str, str]:
        if customer.pk not in self.tokens:
            self.tokens[customer.pk] = customer_token_issue(customer=customer, label="test")[1]
        return {"Authorization": f"Bearer {self.tokens[customer.pk]}"}

    def get(self, *, as_: Customer) -> Any:
        return self.client.get("/api/v1/customer/preferences", headers=self.headers(as_))

    def put(self, body: dict[str, Any], *, as_: Customer) -> Any:
        return self.client.put(
            "/api/v1/customer/preferences", body, content_type="application/json", headers=self.headers(as_)
        )


@pytest.fixture
def me() -> Caller:
    return Caller()


BODY = {
    "channels": ["letter", "phone"],
    "quiet_from": "20:30",
    "quiet_to": "09:00",
    "language": "pl",
    "time_zone": "Europe/Warsaw",
    "access_needs": ["easy_read"],
    "access_other": "",
    "what_matters_to_me": "My garden.",
}


def test_the_customer_sets_and_reads_their_own_preferences(world, me):
    response = me.put(BODY, as_=world.customer)
    assert response.status_code == 200, response.content
    body = response.json()
    assert [c["label"] for c in body["channels"]] == ["Letter", "Phone call"]
    assert body["quiet_hours"] == {"starts": "20:30:00", "ends": "09:00:00"}
    assert body["language"] == {"code": "pl", "label": "Polish (Polski)"}
    assert me.get(as_=world.customer).json() == body


def test_another_customer_reads_only_their_own(world, me):
    me.put(BODY, as_=world.customer)
    other = make_customer(organisation=world.org)
    body = me.get(as_=other).json()
    assert body["customer_id"] == other.pk and body["channels"] == [] and body["updated_at"] is None


def test_the_api_refuses_bad_input_with_field_messages(world, me):
    response = me.put({**BODY, "time_zone": "Europe/Atlantis"}, as_=world.customer)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "preferences_invalid"
    assert "Europe/Atlantis is not a time zone" in body["details"]["fields"]["time_zone"]
    assert not ContactPreferences.objects.exists()


def test_unknown_fields_and_missing_tokens_are_refused(world, me):
    assert me.put({**BODY, "favourite_colour": "blue"}, as_=world.customer).status_code == 422
    assert Client().get("/api/v1/customer/preferences").status_code == 401


def test_a_staff_token_does_not_open_the_customers_door(world, api):
    assert api.get("/customer/preferences", as_=world.alice).status_code == 401


def test_staff_read_preferences_through_the_read_door(world, api, me):
    me.put(BODY, as_=world.customer)
    grant_create(
        customer=world.customer,
        organisation=world.org,
        purpose="care_delivery",
        categories=["contact_details"],
        lawful_basis="consent",
        by_customer=True,
    )
    path = f"/customers/{world.customer.pk}/preferences"

    response = api.get(path, as_=world.alice, purpose="care_delivery")

    assert response.status_code == 200
    assert response.json()["what_matters_to_me"] == "My garden."
    read = AccessEvent.objects.get(customer=world.customer, outcome="allowed")
    assert read.resource == "preferences" and read.categories == ["contact_details"]


def test_staff_without_a_purpose_are_asked_for_one(world, api):
    response = api.get(f"/customers/{world.customer.pk}/preferences", as_=world.alice)
    assert response.status_code == 400 and response.json()["code"] == "purpose_required"
    assert not AccessEvent.objects.exists()


def test_staff_without_a_grant_are_refused_and_it_is_logged(world, api):
    response = api.get(f"/customers/{world.customer.pk}/preferences", as_=world.alice, purpose="marketing")
    assert response.status_code == 403 and response.json()["code"] == "no_grant"
    assert AccessEvent.objects.get(customer=world.customer).outcome == "refused"


def test_staff_of_another_organisation_are_refused(world, api):
    elsewhere = make_world("Elsewhere Council")
    response = api.get(f"/customers/{world.customer.pk}/preferences", as_=elsewhere.alice, purpose="care_delivery")
    assert response.status_code == 403


def test_an_unknown_customer_is_not_found(world, api):
    assert api.get("/customers/999999/preferences", as_=world.alice, purpose="care_delivery").status_code == 404


def test_reading_preferences_takes_a_bounded_number_of_queries(world, api, django_assert_max_num_queries):
    api.get(f"/customers/{world.customer.pk}/preferences", as_=world.alice, purpose="care_delivery")  # warm the token
    with django_assert_max_num_queries(12):
        api.get(f"/customers/{world.customer.pk}/preferences", as_=world.alice, purpose="care_delivery")


def test_erasure_takes_the_preferences_with_it(world):
    from steward.consent.erasure import customer_erase
    from steward.consent.privacy import privacy_request_open

    world.head.is_org_admin = True
    world.head.save(update_fields=["is_org_admin"])
    preferences_update(customer=world.customer, data=GOOD)
    erasure = privacy_request_open(customer=world.customer, kind="erasure", actor=world.alice)

    customer_erase(privacy_request=erasure, actor=world.head)

    assert not ContactPreferences.objects.filter(customer=world.customer).exists()
    [event] = changes(world.customer)
    assert event.summary.startswith("[erased]") and world.customer.family_name not in event.actor_name
    erased = Customer.objects.get(pk=world.customer.pk)
    assert erased.what_matters_to_me == "" and erased.accessibility_needs == ""
