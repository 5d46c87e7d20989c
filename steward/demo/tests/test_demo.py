from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from steward.organisations.selectors import escalation_chain
from steward.requests.models import Request


def test_demo_loads_the_named_world_and_is_safe_to_rerun(db):
    first, second = StringIO(), StringIO()
    call_command("load_demo", stdout=first)
    counts = Request.objects.count()
    call_command("load_demo", stdout=second)

    assert "loaded" in first.getvalue()
    assert "nothing to add" in second.getvalue()
    assert Request.objects.count() == counts == 2


def test_mrs_khans_request_has_a_named_owner_and_chain(demo):
    request = Request.objects.select_related("owner").get(customer__given_name="Amina")
    assert request.owner.team.name == "Adult Social Care"
    assert [p.display_name for p in escalation_chain(request.owner)][-1] == "Helen Carter"
