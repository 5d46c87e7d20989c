"""Bringing a customer's record from another Steward (GDPR Art. 20: data portability).

`customer_import` takes a customer export (export.py, the published schema) and, in one
transaction, recreates the customer at the importing organisation: their details and
contact points, and every timeline event with its original time, kind, channel, words
and who did it, in the original order, each marked with where it came from
(``data.imported``). Events are only ever inserted (I4).

The rule for the rest, the simplest sound one: **history comes across, responsibility
does not.** Requests, services, grants and the access log of the old organisation are
part of the story (the events above tell it; a staff-only note lists the requests that
were still open there), but they are not reopened here: an open request keeps its named
owner at the organisation the customer asked (I1); if the customer still needs it here,
staff capture it here and routing finds the owner. Grants are never carried over — the
importing organisation records its own, visibly: one consent-based grant for dealing with
what the customer asks, since the customer asked to bring their record.

A document that does not follow the schema is refused with every reason, and nothing is
written (I7).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction

from steward.customers.models import Customer
from steward.customers.services import ContactPointData, customer_create
from steward.errors import InvalidInput, PermissionDenied
from steward.organisations.models import Organisation, StaffMember
from steward.requests.lifecycle import IN_PLAY
from steward.timeline.models import TimelineEvent
from steward.timeline.services import event_record

from .schema import schema_errors
from .services import grant_create
from .vocabulary import DataCategory, LawfulBasis, Purpose

BATCH = 1000


@dataclass
class ImportResult:
    customer: Customer
    events: int
    open_requests_at_source: list[dict[str, Any]] = field(default_factory=list)


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


@transaction.atomic
def customer_import(*, document: Any, organisation: Organisation, actor: StaffMember) -> ImportResult:
    """Recreate the customer in `document` at `organisation`, with their timeline and
    history (see the module's rule). `actor` is an active member of `organisation`."""
    if not actor.is_active:
        raise PermissionDenied(f"{actor.display_name} is deactivated.", code="staff_inactive")
    if actor.organisation_id != organisation.pk:
        raise PermissionDenied(
            f"Only staff of {organisation.name} can bring a record into it.", code="import_other_organisation"
        )
    errors = schema_errors(document)
    if errors:
        raise InvalidInput(
            "This is not a Steward customer export this version can read: " + "; ".join(errors[:5]) + ".",
            code="export_invalid",
            details={"errors": errors},
        )
    person = document["customer"]
    customer = customer_create(
        given_name=person["given_name"],
        family_name=person["family_name"],
        preferred_name=person["preferred_name"],
        date_of_birth=date.fromisoformat(person["date_of_birth"]) if person["date_of_birth"] else None,
        language=person["language"],
        accessibility_needs=person["accessibility_needs"],
        what_matters_to_me=person["what_matters_to_me"],
        is_vulnerable=person["is_vulnerable"],
        contact_points=[
            ContactPointData(
                kind=cp["kind"], value=cp["value"], postcode=cp["postcode"], is_preferred=cp["is_preferred"]
            )
            for cp in document["contact_points"]
        ],
        actor=actor,
    )
    source = {"exported_at": document["exported_at"], "exported_by": document["exported_by"]}

    # Events in their original order; a correction points at the copy of the event it
    # corrected, so a batch is written before an event that corrects one inside it.
    copies: dict[int, int] = {}
    batch: list[tuple[int, TimelineEvent]] = []

    def flush() -> None:
        created = TimelineEvent.objects.bulk_create([event for _, event in batch])
        copies.update((source_id, event.pk) for (source_id, _), event in zip(batch, created, strict=True))
        batch.clear()

    events = sorted(document["timeline"], key=lambda e: (_when(e["occurred_at"]), e["id"]))
    for e in events:
        corrects = e["corrects"]
        if corrects is not None and corrects not in copies and any(sid == corrects for sid, _ in batch):
            flush()
        batch.append(
            (
                e["id"],
                TimelineEvent(
                    customer=customer,
                    organisation=organisation,
                    kind=e["kind"],
                    channel=e["channel"],
                    actor=None,
                    actor_name=e["actor_name"][:300],
                    summary=e["summary"][:500],
                    body=e["body"],
                    is_internal=e["internal"],
                    data={
                        "imported": {
                            **source,
                            "organisation": e["organisation"],
                            "event": e["id"],
                            "request": e["request"],
                        },
                        "original": e["data"],
                    },
                    corrects_id=copies.get(corrects) if corrects is not None else None,
                    occurred_at=_when(e["occurred_at"]),
                ),
            )
        )
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()

    open_at_source = [
        {"organisation": r["organisation"], "subject": r["subject"], "owner": r["owner"], "status": r["status"]}
        for r in document["requests"]
        if r["status"] in IN_PLAY
    ]
    lines = [
        f"Record brought from a Steward export made on {_when(document['exported_at']):%d %B %Y}"
        f" ({len(events)} timeline entries, {len(document['requests'])} requests,"
        f" {len(document['service_agreements'])} services)."
    ]
    for r in open_at_source:
        lines.append(
            f'Still open at {r["organisation"]}: "{r["subject"]}" ({r["status"]}), with {r["owner"] or "its owner"}'
            " there. Capture it here if the customer still needs it."
        )
    event_record(
        customer=customer,
        organisation=organisation,
        kind=TimelineEvent.Kind.NOTE,
        actor=actor,
        summary=lines[0],
        body="\n".join(lines[1:]),
        is_internal=True,
        data={"import": source},
    )
    grant_create(
        customer=customer,
        organisation=organisation,
        purpose=Purpose.SERVICE_PROVISION,
        categories=[DataCategory.CONTACT_DETAILS, DataCategory.MESSAGES, DataCategory.CARE_PLAN],
        lawful_basis=LawfulBasis.CONSENT,
        by_customer=False,
        actor=actor,
        reason="You asked to bring your record here from your previous provider.",
    )
    return ImportResult(customer=customer, events=len(events), open_requests_at_source=open_at_source)
