from __future__ import annotations

from typing import Any

from steward.customers.models import Customer
from steward.trusted.models import TrustedPerson
from steward.trusted.permissions import Scope
from steward.trusted.services import trusted_person_add

_counter = iter(range(1, 10**9))


def make_trusted(*, customer: Customer, **kwargs: Any) -> TrustedPerson:
    """Someone `customer` trusts to see and reply to their requests, unless told otherwise."""
    n = next(_counter)
    kwargs.setdefault("name", f"Trusted Person{n}")
    kwargs.setdefault("email", f"trusted{n}@example.org")
    kwargs.setdefault("relationship", "daughter")
    kwargs.setdefault("scopes", [Scope.SEE_REQUESTS, Scope.REPLY])
    return trusted_person_add(customer=customer, **kwargs)
