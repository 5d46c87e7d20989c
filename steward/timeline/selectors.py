"""Reading a customer's timeline: the one path through which staff see the story."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from steward.organisations.models import StaffMember

from .models import TimelineEvent


def visible_organisation_ids(*, staff: StaffMember) -> list[int]:
    """Organisations whose timeline entries `staff` may read.

    First version: only their own organisation. The consent work (customer-issued
    grants) widens this set here, and only here.
    """
    return [staff.organisation_id]


def timeline_for_customer(*, customer_id: int, staff: StaffMember) -> QuerySet[TimelineEvent]:
    """The customer's story as `staff` may see it, newest first: their organisation's
    entries, and the whole history of requests now in their organisation's hands (a
    handed-over request brings its story with it, so the customer never re-tells it).
    One query on the customer's timeline index (plus a primary-key join to requests)."""
    orgs = visible_organisation_ids(staff=staff)
    return TimelineEvent.objects.filter(
        Q(organisation_id__in=orgs) | Q(request__organisation_id__in=orgs), customer_id=customer_id
    ).order_by("-occurred_at", "-id")


def event_on_request(*, event_id: int, request_id: int) -> TimelineEvent | None:
    """One event of a request (what a correction may point at), or None."""
    return TimelineEvent.objects.filter(pk=event_id, request_id=request_id).first()


def timeline_for_request(*, request_id: int) -> QuerySet[TimelineEvent]:
    return TimelineEvent.objects.filter(request_id=request_id).order_by("-occurred_at", "-id")
