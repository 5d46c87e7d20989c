"""The console's customer page opens with what matters to the customer, what helps them
take part and how and when to contact them (their contact preferences), read through the
read door like the rest of the page."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from steward.consent.models import AccessEvent
from steward.customers.models import Customer
from steward.customers.preferences import PreferencesData
from steward.customers.services import preferences_update
from steward.organisations.models import StaffMember


def signed_in(staff: StaffMember) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def opening_for(client: Client, customer_id: int, purpose: str) -> Client:
    client.post(reverse("console:read-purpose", args=[customer_id]), {"purpose": purpose, "next": "/console/"})
    return client


def text(response: Any) -> str:
    return " ".join(response.content.decode().split())


def mrs_khan() -> Customer:
    return Customer.objects.get(given_name="Amina", family_name="Khan")


def test_preferences_are_at_the_top_of_the_customer_page(demo):
    customer = mrs_khan()
    karachi_now = timezone.now().astimezone(ZoneInfo("Asia/Karachi"))
    preferences_update(
        customer=customer,
        data=PreferencesData(
            channels=["phone", "letter"],
            # Quiet from an hour ago until an hour from now, on her clock.
            quiet_from=(karachi_now - timedelta(hours=1)).time().replace(second=0, microsecond=0),
            quiet_to=(karachi_now + timedelta(hours=1)).time().replace(second=0, microsecond=0),
            language="ur",
            time_zone="Asia/Karachi",
            access_needs=["large_print", "hearing_loop"],
            access_other="Knock loudly.",
            what_matters_to_me="Staying at home with my cat.",
        ),
    )
    client = opening_for(signed_in(demo.staff("dan.evans")), customer.pk, "service_provision")

    page = text(client.get(reverse("console:customer", args=[customer.pk])))

    assert page.index("What matters to Mrs Khan") < page.index("Staying at home with my cat.")
    assert page.index("Large print") < page.index("Contact details") < page.index("Their story")
    assert "A hearing loop" in page and "Knock loudly." in page
    assert "Phone call, then letter" in page
    assert "(Asia/Karachi)" in page and "Quiet hours now" in page
    assert "Urdu" in page
    # Her change is on the story too.
    assert "Amina Khan changed their contact preferences" in page
    # One read of her contact details and messages, logged.
    assert AccessEvent.objects.filter(customer=customer, resource="customer", outcome="allowed").count() == 1


def test_a_customer_who_has_said_nothing_reads_as_such(demo):
    customer = mrs_khan()
    client = opening_for(signed_in(demo.staff("dan.evans")), customer.pk, "service_provision")
    page = text(client.get(reverse("console:customer", args=[customer.pk])))
    assert "They have not said; ask them." in page and "Quiet hours now" not in page
    assert "(Europe/London)" in page


def test_without_a_grant_the_preferences_are_not_shown(demo):
    customer = mrs_khan()
    preferences_update(customer=customer, data=PreferencesData(what_matters_to_me="A private wish."))
    client = opening_for(signed_in(demo.staff("jo.patel")), customer.pk, "service_provision")
    refused = client.get(reverse("console:customer", args=[customer.pk]))
    assert refused.status_code == 403
    assert "A private wish." not in text(refused)


def test_quiet_hours_over_midnight(db):
    from steward.customers.models import ContactPreferences
    from steward.customers.preferences import preferences_view

    customer = Customer(given_name="Ivy", language="en")
    view = preferences_view(
        customer, ContactPreferences(quiet_from=time(21, 0), quiet_to=time(8, 0), time_zone="Europe/London")
    )
    london = ZoneInfo("Europe/London")
    assert view.is_quiet_at(datetime(2026, 1, 5, 23, 30, tzinfo=london))
    assert view.is_quiet_at(datetime(2026, 1, 5, 7, 59, tzinfo=london))
    assert not view.is_quiet_at(datetime(2026, 1, 5, 8, 0, tzinfo=london))
    assert not view.is_quiet_at(datetime(2026, 1, 5, 12, 0, tzinfo=london))
    # 21:30 in Karachi is 16:30 in London in winter: not quiet on her London clock.
    assert not view.is_quiet_at(datetime(2026, 1, 5, 21, 30, tzinfo=ZoneInfo("Asia/Karachi")))
