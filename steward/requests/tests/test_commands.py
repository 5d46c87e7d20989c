from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from steward.agreements.models import ServiceAgreement
from steward.alerts.models import Alert
from steward.notifications.models import Notification
from steward.requests.models import Request


def test_sweep_at_a_given_time_escalates_and_says_so(demo):
    request = Request.objects.get(customer__given_name="Amina")
    unanswered = Request.objects.filter(status="open", first_responded_at__isnull=True).count()
    open_requests = Request.objects.filter(status="open").count()
    out = StringIO()

    call_command("sweep", "--at", "2099-01-01T09:00", stdout=out)

    printed = out.getvalue()
    assert f"first replies missed and escalated: {unanswered}" in printed
    assert f"resolutions missed and escalated:   {open_requests}" in printed
    request.refresh_from_db()
    assert request.first_response_breached_at is not None
    # every open request missed its resolution; those nobody answered, their first reply too
    assert Notification.objects.filter(kind="breach_escalated").count() == unanswered + open_requests
    # by 2099 nobody has been in touch with any of CheapCare Ltd's vulnerable clients
    vulnerable = ServiceAgreement.objects.filter(status="active", customer__is_vulnerable=True).count()
    assert f"no-contact alerts raised:           {vulnerable}" in printed
    assert Alert.objects.get(kind="no_contact", customer=request.customer).assigned_to.display_name == "Kim Lee"


def test_sweep_rejects_a_bad_time(demo):
    with pytest.raises(CommandError, match="not an ISO 8601"):
        call_command("sweep", "--at", "next tuesday")


def test_sweep_runs_every_periodic_check_and_says_what_each_did(demo):
    out = StringIO()
    call_command("sweep", stdout=out)
    printed = out.getvalue()
    for line in (
        "handover offers expired unanswered: 0",
        "transfer offers expired unanswered: 0",
        "no-contact alerts raised:",
        "no-contact alerts resolved:",
        "services moved off inactive coordinators: 0",
        "owners asked to offer on (team no longer handles the need): 0",
    ):
        assert line in printed


def test_worker_once_sweeps_and_exits(demo):
    out = StringIO()
    call_command("worker", "--once", "--no-tasks", stdout=out)
    assert "Sweep as of" in out.getvalue()
