from __future__ import annotations

import pytest
from django.test import Client

from steward.customers.models import Customer
from steward.portal.access import SESSION_KEY
from steward.requests.tests.factories import World, make_world


@pytest.fixture
def world(db) -> World:
    return make_world()


def email_of(customer: Customer) -> str:
    return customer.contact_points.get(kind="email").value


def as_customer(customer: Customer) -> Client:
    """A browser signed in to the portal as `customer` (the code flow is tested on its own)."""
    client = Client()
    session = client.session
    session[SESSION_KEY] = customer.pk
    session.save()
    return client
