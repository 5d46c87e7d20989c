"""Reading requests: the one path through which staff see them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import F, QuerySet

from steward.customers.models import Customer
from steward.errors import NotFound, PermissionDenied
from steward.organisations.models import StaffMember, Team
from steward.timeline.selectors import visible_organisation_ids

from .lifecycle import IN_PLAY
from .models import Attachment, Request

LIST_RELATED = ("customer", "need", "team", "owner", "organisation")


def requests_visible_to(*, staff: StaffMember) -> QuerySet[Request]:
    """Requests `staff` may see, with what list pages show already joined in."""
    return Request.objects.filter(organisation_id__in=visible_organisation_ids(staff=staff)).select_related(
        *LIST_RELATED
    )


def request_get_for(*, staff: StaffMember, request_id: int) -> Request:
    """One request, if `staff` may see it. Not-visible reads as not-found, so the API
    does not reveal which request numbers exist in other organisations."""
    try:
        return requests_visible_to(staff=staff).get(pk=request_id)
    except Request.DoesNotExist as exc:
        raise NotFound(f"There is no request #{request_id} that you can see.", code="request_not_found") from exc


def request_as_captured(*, request_id: int) -> Request:
    """A request just captured, for the capturer's confirmation. The capturer may work for
    another organisation (any door), so this deliberately skips the visibility check:
    only the capture endpoint uses it, right after the capturer created the request."""
    return Request.objects.select_related(*LIST_RELATED).get(pk=request_id)


def _by_due(qs: QuerySet[Request]) -> QuerySet[Request]:
    # Most urgent first; requests with no running clock (waiting, resolved) after those.
    return qs.order_by(F("due_at").asc(nulls_last=True), "id")


def my_requests(*, staff: StaffMember, statuses: list[str] | None = None) -> QuerySet[Request]:
    """Requests `staff` answers for, most urgent first.

    An owner always works for the request's organisation, so owning implies seeing; the
    query filters on the owner alone so it runs on the owner's queue index."""
    qs = Request.objects.filter(owner=staff, status__in=statuses or IN_PLAY).select_related(*LIST_RELATED)
    return _by_due(qs)


# What a work list shows of each request: enough for the subject, the customer's name,
# the need, the status and the clock; long text stays in the database.
WORK_LIST_FIELDS = (
    "id",
    "subject",
    "status",
    "due_at",
    "first_responded_at",
    "customer__id",
    "customer__given_name",
    "customer__family_name",
    "customer__preferred_name",
    "need__id",
    "need__title",
)


def my_work_list(*, staff: StaffMember) -> QuerySet[Request]:
    """`my_requests` as the console's My work lists it: the columns it shows, nothing more.

    Loading 25 whole requests with five joined rows each cost more Python time than
    the query itself on the 100k-customer bench (docs/performance.md)."""
    return my_requests(staff=staff).select_related(None).select_related("customer", "need").only(*WORK_LIST_FIELDS)


def team_queue(*, staff: StaffMember, team: Team, statuses: list[str] | None = None) -> QuerySet[Request]:
    """Every request routed to `team`, most urgent first. Only staff of the team's
    organisation may look."""
    if team.organisation_id not in visible_organisation_ids(staff=staff):
        raise PermissionDenied(f"{team.name} belongs to another organisation.", code="team_not_visible")
    # The team's organisation was checked above; filtering on the team alone keeps the
    # query on the team's queue index.
    qs = Request.objects.filter(team=team, status__in=statuses or IN_PLAY).select_related(*LIST_RELATED)
    return _by_due(qs)


def open_work_by_owner(owner_ids: list[int]) -> dict[int, int]:
    """How many open or waiting requests each of these people owns (one grouped query)."""
    from django.db.models import Count

    from .routing import OPEN_WORK

    return dict(
        Request.objects.filter(owner_id__in=owner_ids, status__in=OPEN_WORK)
        .order_by()
        .values_list("owner_id")
        .annotate(n=Count("id"))
        .values_list("owner_id", "n")
    )


def customer_request_get(*, customer: Customer, request_id: int) -> Request:
    """One of the customer's own requests; anyone else's reads as not found."""
    try:
        return Request.objects.select_related("customer", "organisation").get(pk=request_id, customer=customer)
    except Request.DoesNotExist as exc:
        raise NotFound(f"There is no request #{request_id} of yours.", code="request_not_found") from exc


# --- attachments ---------------------------------------------------------------------


def attachments_of_request(*, request_id: int) -> QuerySet[Attachment]:
    """The files added to a request that are still held (not erased), oldest first. The
    caller has already decided the reader may see the request."""
    return Attachment.objects.filter(request_id=request_id, erased_at__isnull=True).order_by("created_at", "id")


def attachment_on_request(*, request_id: int, attachment_id: int) -> Attachment:
    """One held file of a request; one on another request, or erased, reads as not found."""
    try:
        return attachments_of_request(request_id=request_id).select_related("request").get(pk=attachment_id)
    except Attachment.DoesNotExist as exc:
        raise NotFound(
            f"There is no file #{attachment_id} on request #{request_id}.", code="attachment_not_found"
        ) from exc


def breached_requests_of(*, owner_ids: Iterable[int], now: datetime) -> QuerySet[Request]:
    """Requests these people answer for whose running deadline (first reply or
    resolution) has passed, the longest overdue first: what a supervisor acts on."""
    return (
        Request.objects.filter(owner_id__in=list(owner_ids), status__in=IN_PLAY, due_at__lte=now)
        .select_related(*LIST_RELATED)
        .order_by("due_at", "id")
    )
