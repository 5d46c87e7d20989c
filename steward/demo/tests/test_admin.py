"""The admin shows requests and customers but cannot change them (only services may)."""

from __future__ import annotations

from django.utils.html import escape

from steward.requests.models import Request


def test_admin_lists_requests_but_offers_no_change(client, demo):
    from steward.accounts.models import User

    client.force_login(User.objects.get(username="admin"))
    request = Request.objects.first()

    listing = client.get("/admin/requests/request/")
    change = client.post(f"/admin/requests/request/{request.pk}/change/", {"status": "closed"})

    assert listing.status_code == 200 and escape(request.subject) in listing.content.decode()
    assert change.status_code == 403
    request.refresh_from_db()
    assert request.status == "open"


def test_admin_lists_service_agreements_and_alerts_but_offers_no_change(client, demo):
    from steward.accounts.models import User
    from steward.agreements.models import ServiceAgreement
    from steward.alerts.continuity import continuity_sweep

    continuity_sweep()
    client.force_login(User.objects.get(username="admin"))
    agreement = ServiceAgreement.objects.filter(customer__given_name="Amina").first()

    assert client.get("/admin/agreements/serviceagreement/").status_code == 200
    assert client.get("/admin/alerts/alert/").status_code == 200
    change = client.post(f"/admin/agreements/serviceagreement/{agreement.pk}/change/", {"status": "ended"})
    assert change.status_code == 403
    agreement.refresh_from_db()
    assert agreement.status == "active"
