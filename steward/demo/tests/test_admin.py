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
