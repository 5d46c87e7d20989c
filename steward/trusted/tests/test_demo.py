"""The demo world: Mrs Khan trusts her daughter Sara, once, however often it is loaded."""

from __future__ import annotations

from steward.trusted.models import TrustedPerson
from steward.trusted.selectors import trusts_for_email


def test_sara_may_act_for_her_mother_and_reloading_adds_nobody(demo):
    [sara] = trusts_for_email(email="sara.khan@example.org")
    assert sara.customer.full_name == "Amina Khan" and sara.relationship == "daughter"
    assert {"see_requests", "reply", "ask"} <= set(sara.scopes)
    demo.load_demo()
    assert TrustedPerson.objects.count() == 1
