"""Signing in to the console through its form, as a person does: the sign-in notes in the
session what the header shows (the carer's and the planner's links)."""

from __future__ import annotations

from django.test import Client

from steward.organisations.models import StaffMember

PASSWORD = "correct horse battery"


def signed_in_by_form(staff: StaffMember) -> Client:
    staff.user.set_password(PASSWORD)
    staff.user.save()
    client = Client()
    response = client.post("/console/login/", {"username": staff.user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client
