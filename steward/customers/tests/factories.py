from __future__ import annotations

from typing import Any

from steward.customers.models import Customer
from steward.customers.services import ContactPointData, customer_create
from steward.organisations.models import Organisation

_counter = iter(range(1, 10**9))


def make_customer(*, organisation: Organisation, **kwargs: Any) -> Customer:
    """A customer registered by `organisation`, with an email address."""
    n = next(_counter)
    kwargs.setdefault("given_name", f"Given{n}")
    kwargs.setdefault("family_name", f"Family{n}")
    kwargs.setdefault("contact_points", [ContactPointData(kind="email", value=f"customer{n}@example.org")])
    return customer_create(actor=None, organisation=organisation, **kwargs)
