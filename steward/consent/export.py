"""Everything held about a customer, as one open document (GDPR Art. 15 and 20).

`customer_export` builds a JSON-ready dict that follows the published schema
(docs/schema/customer-export.schema.json, format ``steward-customer-export`` version
``FORMAT_VERSION``); `customer_export_html` renders the same document for people to read.

Everything is included, staff-internal notes too: notes written about a person are their
personal data (Art. 15), so they are exported, flagged ``"internal": true``. The access
log is included with the dates and purposes of every consultation (CJEU C-579/21), the
reads refused and the emergency (break-glass) reasons. Lists are in a fixed order (time,
then id), so exporting the same record twice gives the same document apart from
``exported_at``.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from steward.agreements.models import ServiceAgreement
from steward.care.models import CareAgreement
from steward.customers.models import ContactPoint, Customer
from steward.requests.attachment_files import size_in_words
from steward.requests.models import Attachment, Request
from steward.timeline.models import TimelineEvent
from steward.visits.models import Schedule, Visit

from .models import AccessEvent, Grant, GrantReceipt, PrivacyRequest
from .schema import FORMAT, FORMAT_VERSION, SCHEMA_ID
from .vocabulary import DPV_BASIS, DPV_CATEGORY, DPV_PURPOSE, DataCategory, LawfulBasis, Purpose
from .wording import access_purpose_label


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="microseconds") if value is not None else None


def iso_date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _customer(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.pk,
        "given_name": customer.given_name,
        "family_name": customer.family_name,
        "preferred_name": customer.preferred_name,
        "date_of_birth": iso_date(customer.date_of_birth),
        "language": customer.language,
        "accessibility_needs": customer.accessibility_needs,
        "what_matters_to_me": customer.what_matters_to_me,
        "is_vulnerable": customer.is_vulnerable,
        "created_at": iso(customer.created_at),
    }


def _contact_points(customer_id: int) -> list[dict[str, Any]]:
    rows = ContactPoint.objects.filter(customer_id=customer_id).order_by("created_at", "id")
    return [
        {
            "kind": cp.kind,
            "value": cp.value,
            "postcode": cp.postcode,
            "is_preferred": cp.is_preferred,
            "created_at": iso(cp.created_at),
        }
        for cp in rows
    ]


def _timeline(customer_id: int) -> list[dict[str, Any]]:
    kinds = dict(TimelineEvent.Kind.choices)
    rows = (
        TimelineEvent.objects.filter(customer_id=customer_id)
        .order_by("occurred_at", "id")
        .values_list(
            "id",
            "occurred_at",
            "kind",
            "channel",
            "organisation__name",
            "actor_name",
            "summary",
            "body",
            "is_internal",
            "request_id",
            "corrects_id",
            "data",
        )
    )
    return [
        {
            "id": pk,
            "occurred_at": iso(occurred_at),
            "kind": kind,
            "kind_label": str(kinds.get(kind, kind)),
            "channel": channel,
            "organisation": organisation,
            "actor_name": actor_name,
            "summary": summary,
            "body": body,
            "internal": is_internal,
            "request": request_id,
            "corrects": corrects_id,
            "data": data if isinstance(data, dict) else {},
        }
        for (
            pk,
            occurred_at,
            kind,
            channel,
            organisation,
            actor_name,
            summary,
            body,
            is_internal,
            request_id,
            corrects_id,
            data,
        ) in rows
    ]


def _requests(customer_id: int) -> list[dict[str, Any]]:
    rows = (
        Request.objects.filter(customer_id=customer_id)
        .order_by("created_at", "id")
        .values_list(
            "id",
            "organisation__name",
            "need__title",
            "team__name",
            "owner__display_name",
            "status",
            "channel",
            "subject",
            "description",
            "created_at",
            "resolved_at",
            "closed_at",
        )
    )
    return [
        {
            "id": pk,
            "organisation": organisation,
            "need": need,
            "team": team,
            "owner": owner,
            "status": status,
            "channel": channel,
            "subject": subject,
            "description": description,
            "created_at": iso(created_at),
            "resolved_at": iso(resolved_at),
            "closed_at": iso(closed_at),
        }
        for (
            pk,
            organisation,
            need,
            team,
            owner,
            status,
            channel,
            subject,
            description,
            created_at,
            resolved_at,
            closed_at,
        ) in rows
    ]


def _attachments(customer_id: int) -> list[dict[str, Any]]:
    """The photos and documents on the customer's requests: described, with where to
    download each (the bytes themselves are not inside the export)."""
    rows = Attachment.objects.filter(customer_id=customer_id).order_by("created_at", "id")
    return [
        {
            "id": a.pk,
            "request": a.request_id,
            "message": a.message_id,
            "added_by": a.added_by,
            "added_by_name": a.added_by_name,
            "filename": a.filename,
            "content_type": a.content_type,
            "size": a.size,
            "sha256": a.sha256,
            "added_at": iso(a.created_at),
            "erased_at": iso(a.erased_at),
            "download": None
            if a.erased_at
            else reverse("portal:request-file", kwargs={"request_id": a.request_id, "attachment_id": a.pk}),
        }
        for a in rows
    ]


def _agreements(customer_id: int) -> list[dict[str, Any]]:
    rows = (
        ServiceAgreement.objects.filter(customer_id=customer_id)
        .order_by("started_at", "id")
        .values_list(
            "id",
            "provider__name",
            "commissioner__name",
            "coordinator__display_name",
            "service",
            "status",
            "started_at",
            "ended_at",
            "end_reason",
        )
    )
    return [
        {
            "id": pk,
            "provider": provider,
            "commissioner": commissioner,
            "coordinator": coordinator,
            "service": service,
            "status": status,
            "started_at": iso(started_at),
            "ended_at": iso(ended_at),
            "end_reason": end_reason,
        }
        for (pk, provider, commissioner, coordinator, service, status, started_at, ended_at, end_reason) in rows
    ]


def _hm(value: Any) -> str | None:
    return None if value is None else f"{value:%H:%M}"


def _care(customer_id: int) -> list[dict[str, Any]]:
    """Where the customer's care visits happen, who they want (or refuse) to come and
    their regular visits with the windows they chose (times of day in the provider's zone)."""
    agreements = (
        CareAgreement.objects.filter(customer_id=customer_id)
        .select_related("provider")
        .prefetch_related("preferred_carers__staff", "excluded_carers__staff", "patterns__skills", "service_agreement")
        .order_by("created_at", "id")
    )
    return [
        {
            "id": care.pk,
            "service_agreement": care.service_agreement_id,
            "provider": care.provider.name,
            "address": care.address,
            "latitude": care.latitude,
            "longitude": care.longitude,
            "access_notes": care.access_notes,
            "preferred_carers": sorted(c.staff.display_name for c in care.preferred_carers.all()),
            "excluded_carers": sorted(c.staff.display_name for c in care.excluded_carers.all()),
            "regular_visits": [
                {
                    "id": p.pk,
                    "label": p.label,
                    "weekdays": list(p.weekdays),
                    "duration_minutes": p.duration_minutes,
                    "skills": sorted(skill.name for skill in p.skills.all()),
                    "carers_needed": p.carers_needed,
                    "preferred_from": _hm(p.preferred_from),
                    "preferred_to": _hm(p.preferred_to),
                    "acceptable_from": _hm(p.acceptable_from),
                    "acceptable_to": _hm(p.acceptable_to),
                    "valid_from": iso_date(p.valid_from),
                    "valid_until": iso_date(p.valid_until),
                    "active": p.is_active,
                }
                for p in sorted(care.patterns.all(), key=lambda p: (p.preferred_from, p.pk))
            ],
        }
        for care in agreements
    ]


def _visits(customer_id: int) -> list[dict[str, Any]]:
    """The visits of published plans: when, who came, and whether they did."""
    rows = (
        Visit.objects.filter(customer_id=customer_id, schedule__status=Schedule.Status.PUBLISHED)
        .select_related("pattern")
        .prefetch_related("assignments__carer__staff")
        .order_by("day", "preferred_start", "id")
    )
    return [
        {
            "id": v.pk,
            "day": iso_date(v.day),
            "label": v.pattern.label,
            "status": v.status,
            "preferred_start": iso(v.preferred_start),
            "preferred_end": iso(v.preferred_end),
            "planned_start": iso(v.planned_start),
            "unplaced_reason": v.get_unplaced_reason_display() if v.unplaced_reason else None,
            "carers": [
                {
                    "name": a.carer.staff.display_name,
                    "planned_start": iso(a.planned_start),
                    "arrived_at": iso(a.checked_in_at),
                    "left_at": iso(a.checked_out_at),
                }
                for a in v.assignments.all()
            ],
        }
        for v in rows
    ]


def _grants(customer_id: int) -> list[dict[str, Any]]:
    rows = (
        Grant.objects.filter(customer_id=customer_id).select_related("organisation", "team").order_by("starts_at", "id")
    )
    return [
        {
            "id": g.pk,
            "organisation": g.organisation.name,
            "team": g.team.name if g.team else None,
            "purpose": g.purpose,
            "purpose_label": str(Purpose(g.purpose).label),
            "dpv_purpose": DPV_PURPOSE[Purpose(g.purpose)],
            "categories": [
                {"code": c, "label": str(DataCategory(c).label), "dpv": DPV_CATEGORY[DataCategory(c)]}
                for c in sorted(g.categories)
            ],
            "lawful_basis": g.lawful_basis,
            "lawful_basis_label": str(LawfulBasis(g.lawful_basis).label),
            "dpv_lawful_basis": DPV_BASIS[LawfulBasis(g.lawful_basis)],
            "reason": g.reason,
            "source": g.source,
            "starts_at": iso(g.starts_at),
            "ends_at": iso(g.ends_at),
            "revoked_at": iso(g.revoked_at),
            "revoked_reason": g.revoked_reason,
        }
        for g in rows
    ]


def _receipts(customer_id: int) -> list[dict[str, Any]]:
    rows = GrantReceipt.objects.filter(customer_id=customer_id).order_by("at", "id")
    return [
        {"id": r.pk, "grant": r.grant_id, "action": r.action, "by": r.by, "wording": r.wording, "at": iso(r.at)}
        for r in rows
    ]


def _access_log(customer_id: int) -> list[dict[str, Any]]:
    rows = AccessEvent.objects.filter(customer_id=customer_id).order_by("seq")
    return [
        {
            "seq": e.seq,
            "at": iso(e.at),
            "staff_name": e.staff_name,
            "organisation": e.organisation_name,
            "actor_kind": e.actor_kind,
            "purpose": e.purpose,
            "purpose_label": access_purpose_label(e),
            "categories": sorted(e.categories),
            "resource": e.resource,
            "channel": e.channel,
            "outcome": e.outcome,
            "reason": e.reason,
            "hash": e.hash,
        }
        for e in rows
    ]


def _privacy_requests(customer_id: int) -> list[dict[str, Any]]:
    rows = (
        PrivacyRequest.objects.filter(customer_id=customer_id)
        .select_related("organisation", "assigned_to")
        .order_by("received_at", "id")
    )
    return [
        {
            "id": p.pk,
            "organisation": p.organisation.name,
            "kind": p.kind,
            "status": p.status,
            "assigned_to": p.assigned_to.display_name,
            "received_at": iso(p.received_at),
            "due_at": iso(p.due_at),
            "completed_at": iso(p.completed_at),
            "outcome": p.outcome,
        }
        for p in rows
    ]


def customer_export(customer: Customer, *, exported_by: str = "Steward") -> dict[str, Any]:
    """Everything Steward holds about `customer`, in the published export format."""
    cid = customer.pk
    return {
        "$schema": SCHEMA_ID,
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": iso(timezone.now()),
        "exported_by": exported_by,
        "customer": _customer(customer),
        "contact_points": _contact_points(cid),
        "timeline": _timeline(cid),
        "requests": _requests(cid),
        "attachments": _attachments(cid),
        "service_agreements": _agreements(cid),
        "care": _care(cid),
        "visits": _visits(cid),
        "grants": _grants(cid),
        "receipts": _receipts(cid),
        "access_log": _access_log(cid),
        "privacy_requests": _privacy_requests(cid),
    }


def export_json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def _readable(value: str | None) -> str:
    if not value:
        return ""
    return f"{timezone.localtime(datetime.fromisoformat(value)):%d %b %Y %H:%M}"


def customer_export_html(document: dict[str, Any]) -> str:
    """The same document for a person to read (a standalone HTML page)."""
    timeline = [{**e, "when": _readable(e["occurred_at"])} for e in document["timeline"]]
    attachments = [
        {**a, "when": _readable(a["added_at"]), "size_words": size_in_words(a["size"])}
        for a in document.get("attachments", [])
    ]
    access_log = [{**e, "when": _readable(e["at"])} for e in document["access_log"]]
    visits = [
        {
            **v,
            "planned": _readable(v["planned_start"]),
            "came": [{**a, "arrived": _readable(a["arrived_at"])} for a in v["carers"]],
        }
        for v in document.get("visits", [])
    ]
    return render_to_string(
        "consent/customer_export.html",
        {
            "doc": document,
            "timeline": timeline,
            "attachments": attachments,
            "access_log": access_log,
            "visits": visits,
            "exported": _readable(document["exported_at"]),
        },
    )
