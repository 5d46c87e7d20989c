"""Alerts in the staff console: "Alerts for you" on My work, the alert page and its
resolve form; who may see and resolve; and bounded queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from steward.alerts.models import Alert
from steward.alerts.services import alert_raise, alert_resolve
from steward.organisations.models import StaffMember
from steward.organisations.tests.factories import make_staff
from steward.requests.services import request_capture
from steward.requests.tests.factories import World, make_world
from steward.timeline.models import TimelineEvent


def signed_in(staff: StaffMember) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def text(response: Any) -> str:
    return " ".join(response.content.decode().split())


@pytest.fixture
def world(db) -> World:
    return make_world("CheapCare Ltd")


def raise_for(world: World, person: StaffMember, n: int = 1, **extra: Any) -> Alert:
    return alert_raise(
        **{
            "kind": Alert.Kind.NO_CONTACT,
            "subject": f"agreement:{n}",
            "assigned_to": person,
            "organisation": world.org,
            "customer": world.customer,
            "title": f"Check on {world.customer.full_name}: no contact for 9 days",
            "detail": "Nobody has visited, called or written to them for 9 days.",
            **extra,
        }
    )


def test_my_work_lists_alerts_for_me_with_a_link(world):
    alert = raise_for(world, world.alice)
    page = signed_in(world.alice).get(reverse("console:my-work"))
    body = text(page)
    assert "Alerts for you" in body and '<span class="count">(1)</span>' in page.content.decode()
    assert reverse("console:alert", args=[alert.pk]) in body
    assert "Safeguarding: no contact" in body and world.customer.full_name in body
    assert "Alerts for you" not in text(signed_in(world.bob).get(reverse("console:my-work")))


def test_the_assignee_reads_and_resolves_an_alert(world):
    alert = raise_for(world, world.alice)
    client = signed_in(world.alice)
    page = text(client.get(reverse("console:alert", args=[alert.pk])))
    assert "Nobody has visited, called or written to them for 9 days." in page
    assert "Resolve the alert" in page and 'for="resolve-resolution"' in page

    response = client.post(
        reverse("console:alert-resolve", args=[alert.pk]), {"resolution": "Visited; she was fine."}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("console:my-work")
    assert "Resolved: Check on" in text(response)
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.resolved_by == world.alice
    after = text(client.get(reverse("console:alert", args=[alert.pk])))
    assert "Visited; she was fine." in after and "by Alice Able" in after and "Resolve the alert" not in after


def test_a_resolution_is_required_and_nothing_changes_without_one(world):
    alert = raise_for(world, world.alice)
    response = signed_in(world.alice).post(reverse("console:alert-resolve", args=[alert.pk]), {"resolution": ""})
    assert response.status_code == 400
    assert "Say what was done before resolving the alert." in text(response)
    alert.refresh_from_db()
    assert alert.status == "open"


def test_resolving_one_already_resolved_is_explained_in_place(world):
    alert = raise_for(world, world.alice)
    alert_resolve(alert=alert, actor=world.lead, resolution="Rang her daughter.")
    response = signed_in(world.alice).post(reverse("console:alert-resolve", args=[alert.pk]), {"resolution": "Me too"})
    assert response.status_code == 409
    assert "This alert is already resolved." in text(response) and "Rang her daughter." in text(response)


def test_a_manager_may_resolve_an_administrator_outside_the_line_may_only_read(world):
    alert = raise_for(world, world.alice)
    admin = make_staff(organisation=world.org, supervisor=world.head, is_org_admin=True)
    page = text(signed_in(admin).get(reverse("console:alert", args=[alert.pk])))
    assert "Resolve the alert" not in page and "they or the people they answer to can resolve it" in page
    refused = signed_in(admin).post(reverse("console:alert-resolve", args=[alert.pk]), {"resolution": "x"})
    assert refused.status_code == 403
    alert.refresh_from_db()
    assert alert.status == "open"
    assert "Resolve the alert" in text(signed_in(world.lead).get(reverse("console:alert", args=[alert.pk])))


def test_a_colleague_or_another_organisation_gets_not_found_and_nothing_changes(world):
    alert = raise_for(world, world.alice)
    outsider = make_world("Sunrise Care").head
    for person in (world.bob, outsider):
        client = signed_in(person)
        assert client.get(reverse("console:alert", args=[alert.pk])).status_code == 404
        assert client.post(reverse("console:alert-resolve", args=[alert.pk]), {"resolution": "x"}).status_code == 404
    alert.refresh_from_db()
    assert alert.status == "open"
    assert not TimelineEvent.objects.filter(kind=TimelineEvent.Kind.ALERT_RESOLVED).exists()


def test_signed_out_visitors_are_sent_to_sign_in(world):
    alert = raise_for(world, world.alice)
    response = Client().get(reverse("console:alert", args=[alert.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("console:login"))
    assert Client().post(reverse("console:alert-resolve", args=[alert.pk]), {"resolution": "x"}).status_code == 302


def test_an_alert_about_a_request_links_to_it(world):
    request = request_capture(customer=world.customer, need=world.need, channel="phone", description="x", actor=None)
    alert = raise_for(world, request.owner, subject=f"request:{request.pk}:team:1", request=request)
    page = text(signed_in(request.owner).get(reverse("console:alert", args=[alert.pk])))
    assert reverse("console:request", args=[request.pk]) in page


# My work: as before (see test_views.MY_WORK_MAX_QUERIES), plus one for the open alerts
# with everything they print joined in (counted there). The alert page: session, user, staff member,
# the alert with its people, the assignee's reporting line (who may resolve), header.
MY_WORK_MAX_QUERIES = 11  # see test_views.MY_WORK_MAX_QUERIES
ALERT_PAGE_MAX_QUERIES = 8


@pytest.mark.parametrize("how_many", [1, 15])
def test_my_work_with_alerts_stays_bounded(world, how_many, django_assert_max_num_queries):
    for n in range(how_many):
        raise_for(world, world.alice, n)
    client = signed_in(world.alice)
    with django_assert_max_num_queries(MY_WORK_MAX_QUERIES):
        response = client.get(reverse("console:my-work"))
    assert response.content.decode().count('class="alert alert--no_contact"') == min(how_many, 10)


def test_alert_page_stays_bounded(world, django_assert_max_num_queries):
    alert = raise_for(world, world.alice)
    client = signed_in(world.head)
    with django_assert_max_num_queries(ALERT_PAGE_MAX_QUERIES):
        assert client.get(reverse("console:alert", args=[alert.pk])).status_code == 200
