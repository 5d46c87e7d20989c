from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.db.models import Count, Q

from steward.agreements.models import ServiceAgreement
from steward.alerts.continuity import continuity_sweep
from steward.alerts.models import Alert
from steward.customers.models import Customer
from steward.demo.personas import CHEAPCARE_CLIENTS, DEMO_PASSWORD, OVERDUE_CLIENTS, generated_clients
from steward.organisations.models import Organisation
from steward.organisations.selectors import escalation_chain, organisation_head
from steward.requests.models import Request
from steward.timeline.models import TimelineEvent


def _counts() -> tuple[int, ...]:
    return (
        Customer.objects.count(),
        Request.objects.count(),
        ServiceAgreement.objects.count(),
        TimelineEvent.objects.count(),
    )


def test_demo_loads_the_named_world_and_is_safe_to_rerun(db):
    first, second = StringIO(), StringIO()
    call_command("load_demo", stdout=first)
    counts = _counts()
    call_command("load_demo", stdout=second)

    assert "loaded" in first.getvalue()
    assert "nothing to add" in second.getvalue()
    assert _counts() == counts
    assert Customer.objects.count() == 3 + CHEAPCARE_CLIENTS - 1


def test_mrs_khans_request_has_a_named_owner_and_chain(demo):
    request = Request.objects.select_related("owner").get(customer__given_name="Amina")
    assert request.owner.team.name == "Adult Social Care"
    assert [p.display_name for p in escalation_chain(request.owner)][-1] == "Helen Carter"


def test_mrs_khan_has_home_care_from_cheapcare_commissioned_by_the_council(demo):
    agreement = ServiceAgreement.objects.select_related("provider", "commissioner", "coordinator", "customer").get(
        customer__given_name="Amina", status="active"
    )
    assert agreement.provider.name == "CheapCare Ltd" and agreement.commissioner.name == "Northshire Council"
    assert agreement.coordinator.display_name == "Kim Lee" and agreement.customer.is_vulnerable
    kinds = set(TimelineEvent.objects.filter(customer=agreement.customer).values_list("kind", flat=True))
    assert {"service_started", "contact_recorded", "captured", "routed"} <= kinds


def test_cheapcare_has_214_clients_all_commissioned_by_the_council(demo):
    active = ServiceAgreement.objects.filter(provider__name="CheapCare Ltd", status="active")
    assert active.count() == CHEAPCARE_CLIENTS == 214
    assert active.values("customer").distinct().count() == 214
    assert set(active.values_list("commissioner__name", flat=True)) == {"Northshire Council"}
    coordinators = set(active.values_list("coordinator__user__username", flat=True))
    assert coordinators == {"kim.lee", "dev.sharma", "ellie.brooks"}
    names = {(c.given, c.family) for c in generated_clients()}
    assert len(names) > 150  # plausible and varied, not Client 1, Client 2…
    assert not any(g in {"Amina", "Sara", "George"} or f in {"Khan", "Wilson"} for g, f in names)


def test_some_clients_have_requests_under_way_with_a_complete_story(demo):
    requests = Request.objects.filter(organisation__name="CheapCare Ltd")
    per_client = list(requests.values("customer").annotate(n=Count("id")).values_list("n", flat=True))
    assert 40 <= len(per_client) < CHEAPCARE_CLIENTS and set(per_client) <= {1, 2}
    for request in requests.select_related("owner", "need"):
        kinds = list(request.events.values_list("kind", flat=True))
        assert kinds.count("captured") == 1 and kinds.count("routed") == 1
        assert ("message_out" in kinds) == (request.first_responded_at is not None)
        assert request.owner.is_active and request.team_id == request.need.team_id
        assert request.due_at is not None and request.first_response_due > request.created_at
    started = TimelineEvent.objects.filter(kind="service_started", organisation__name="CheapCare Ltd")
    assert started.count() == 214
    registered = TimelineEvent.objects.filter(kind="customer_registered").values("customer").distinct().count()
    assert registered == Customer.objects.count()


def test_three_other_providers_can_receive_them(demo):
    for name, head, team_lead in (
        ("Sunrise Care", "Sam Osei", "Jo Patel"),
        ("Meadow Homecare", "Fiona Walsh", "Ravi Kumar"),
        ("Riverside Care", "David Okoye", "Sophie Turner"),
    ):
        org = Organisation.objects.get(name=name)
        assert organisation_head(organisation_id=org.pk).display_name == head
        team = org.teams.get(name="Care Coordination")
        assert team.lead.display_name == team_lead
        assert team.members.filter(is_active=True).count() >= 2
        assert team.lead.user.check_password(DEMO_PASSWORD)


def test_the_first_sweep_finds_the_clients_nobody_has_visited(demo):
    report = continuity_sweep()
    assert report.no_contact_raised == OVERDUE_CLIENTS and report.problems == []
    alerts = Alert.objects.filter(kind="no_contact", status="open").select_related("assigned_to")
    assert {a.assigned_to.organisation.name for a in alerts} == {"CheapCare Ltd"}
    assert not ServiceAgreement.objects.filter(Q(status="active") & ~Q(coordinator__is_active=True)).exists()
