"""Erasing a customer's personal data (GDPR Art. 17), keeping only what the law requires.

`customer_erase` runs in one transaction:

* every word about the customer is erased — their name, date of birth, needs, what
  matters to them, contact points, what they asked for, messages and notes, handover
  notes, alert wording, break-glass reasons, where their care visits happen and how to get
  in, the photos and documents on their requests
  (the files are deleted once the erasure commits) — and any mention of their name, email
  address, phone number or address left anywhere else in the database is replaced by
  ``[erased]`` (a scan of every text column of every table);
* what must be kept stays as an anonymous skeleton, each part listed as a `RetainedItem`
  with its legal reason and the date it may be deleted: which organisation did what and
  when (timeline entries by kind and time, requests, services, alerts), the grants and
  receipts that show what the organisation relied on, the access log and the privacy
  request itself.

The timeline is append-only (I4): the rows stay, in order, with their kind, time,
channel, organisation, request and the staff names, so the story of what the
organisations did can still be proved; only their words are erased, through
`timeline_rewrite_allowed` — the one door for lawful erasure. The access log's hash chain
covers no customer words (a break-glass reason is kept beside it, outside the hash, with
only its digest inside), so blanking the reasons leaves every chain verifying.

The customer row itself stays, emptied, because the kept records point at it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models.functions import Cast
from django.utils import timezone

from steward.agreements.models import ServiceAgreement
from steward.alerts.models import Alert
from steward.care.models import CareAgreement, VisitPattern
from steward.customers.models import ContactPoint, Customer
from steward.errors import Conflict
from steward.handovers.models import HandoverOffer
from steward.notifications.models import Notification
from steward.organisations.models import StaffMember
from steward.requests.attachment_files import attachment_storage
from steward.requests.lifecycle import IN_PLAY
from steward.requests.models import Attachment, Request
from steward.timeline.models import TimelineEvent
from steward.timeline.rewrite_guard import timeline_rewrite_allowed
from steward.transfers.models import TransferClient
from steward.visits.models import Visit

from .models import AccessEvent, Grant, GrantReceipt, PrivacyRequest, RetainedItem
from .privacy import lock_open
from .services import _wording

logger = logging.getLogger(__name__)

ERASED = "[erased]"
RETENTION_YEARS = getattr(settings, "STEWARD_ERASURE_RETENTION_YEARS", 6)

# Legal reasons, worded for the customer and the regulator. The six years follow the
# Limitation Act 1980 (s.2 tort, s.5 contract): how long a claim about the service can be
# brought, so how long the evidence of what was done is kept (GDPR Art. 17(3)(e)).
LIMITATION = "Limitation Act 1980 ss.2 and 5: six years in which a claim can be brought"
REASONS = {
    "customer_record": "An empty record (its number only) that the kept items below refer to; it holds no "
    "personal details. Kept as long as they are.",
    "timeline": "Evidence of what each organisation did for the customer and when, for complaints and legal "
    f"claims (GDPR Art. 17(3)(e); {LIMITATION}).",
    "requests": "Evidence of what was asked of each organisation, who answered for it and when "
    f"(GDPR Art. 17(3)(e); {LIMITATION}).",
    "attachments": "That a photo or document was added to a request, by the customer or by staff, when, and its "
    f"size and kind; the file and its name are deleted (GDPR Art. 17(3)(e); {LIMITATION}).",
    "service_agreements": "Contract and payment records of the services provided (GDPR Art. 17(3)(b) and (e); "
    f"{LIMITATION}).",
    "alerts": "Safeguarding record: that the customer's welfare was checked, by whom and when (GDPR Art. 17(3)(b), "
    f"the safeguarding duty of the Care Act 2014 s.42, and (e); {LIMITATION}).",
    "grants": "Proof of the permissions and lawful bases relied on, and of consent given and withdrawn "
    "(GDPR Art. 5(2) and 7(1)).",
    "access_log": "Who read the record, when and why, tamper-evident: the organisations' proof of lawful access "
    "(GDPR Art. 5(2), 24 and 32) and evidence in claims (Art. 17(3)(e)). Break-glass reasons are erased; "
    "staff names, purposes and dates stay.",
    "visits": "The care visits delivered: which carer went, when, and whether they arrived (safeguarding and "
    f"payment records, GDPR Art. 17(3)(b) and (e); {LIMITATION}). Where they happened, how to get in, which "
    "carers the customer wanted or refused and what each visit was for are erased.",
    "trusted_people": "That someone the customer trusted could act for them, from when until the erasure, so "
    "the access-log entries of their looks still point at someone; their name, address and relationship are "
    "erased (GDPR Art. 5(2) and 17(3)(e)).",
    "privacy_request": "Proof that this erasure was asked for and done, and when (GDPR Art. 5(2) and 12).",
}

# Tables whose text is not about customers (staff identities, organisation set-up) and
# the access log's hashed columns (changing them would break the chain; they hold ids,
# staff and organisation names and codes) are left out of the residual scan.
_SCAN_SKIP_MODELS = {"organisations.organisation", "organisations.team", "organisations.staffmember", "accounts.user"}
# Every access-log column but the break-glass reason is covered by the hash (chain.py).
_HASHED_ACCESS_COLUMNS = {f.name for f in AccessEvent._meta.concrete_fields} - {"reason"}


@dataclass(frozen=True)
class ErasureResult:
    request: PrivacyRequest
    retained: list[RetainedItem]
    counts: dict[str, int]


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def identifiers(customer: Customer) -> list[str]:
    """The strings that identify the customer directly: full name, email addresses,
    phone numbers (as written and as digits, with the UK leading 0), postal addresses and
    postcodes. A bare given name is not among them: erasing every 'Ann' would damage
    other people's records."""
    found: set[str] = set()
    for name in (customer.full_name, f"{customer.preferred_name} {customer.family_name}".strip()):
        if " " in name:
            found.add(name)
    if customer.family_name and len(customer.family_name) >= 4:
        found.add(f"{customer.given_name[:1]}. {customer.family_name}")
    for kind, value, normalized, postcode in ContactPoint.objects.filter(customer=customer).values_list(
        "kind", "value", "normalized", "postcode"
    ):
        found.add(value)
        if kind == ContactPoint.Kind.PHONE and normalized:
            found.add(normalized)
            if normalized.startswith("44"):
                found.add("0" + normalized[2:])
        if postcode:
            found.add(postcode)
    # Where their care visits happen, as the provider wrote it (e.g. in a planning run's reason).
    found.update(CareAgreement.objects.filter(customer=customer).values_list("address", flat=True))
    return sorted((s.strip() for s in found if len(s.strip()) >= 5), key=len, reverse=True)


def _pattern(idents: Iterable[str]) -> re.Pattern[str] | None:
    idents = list(idents)
    if not idents:
        return None
    return re.compile("|".join(re.escape(i) for i in idents), re.IGNORECASE)


def _scrub_value(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [_scrub_value(v, pattern) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_value(v, pattern) for k, v in value.items()}
    return value


def _timeline_set(pk: int, **values: Any) -> None:
    """Rewrite one timeline row through the lawful-erasure door (raw SQL: the model and
    its queryset stay append-only even inside the guard)."""
    table = TimelineEvent._meta.db_table
    columns, params = [], []
    for name, value in values.items():
        field = TimelineEvent._meta.get_field(name)
        assert isinstance(field, models.Field) and field.column
        columns.append(f"{connection.ops.quote_name(field.column)} = %s")
        params.append(json.dumps(value) if isinstance(field, models.JSONField) else value)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {', '.join(columns)} WHERE id = %s", [*params, pk])  # noqa: S608


def _update(model: type[models.Model], pk: int, **values: Any) -> None:
    # The base manager: the consent tables' own managers refuse updates (append-only);
    # erasure is the one lawful exception, and only for words outside the hash chain.
    model._base_manager.filter(pk=pk).update(**values)


def _text_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.JSONField)
        and not (model is AccessEvent and f.name in _HASHED_ACCESS_COLUMNS)
    ]


def residual_scan(idents: list[str], *, fix: bool) -> list[tuple[str, str, int]]:
    """Every (table, column, row id) whose text still mentions one of `idents`,
    anywhere in the database; with `fix`, each mention is replaced by ``[erased]``."""
    pattern = _pattern(idents)
    if pattern is None:
        return []
    hits: list[tuple[str, str, int]] = []
    for model in apps.get_models():
        if model._meta.label_lower in _SCAN_SKIP_MODELS or model._meta.proxy:
            continue
        for field in _text_fields(model):
            needles = set(idents)
            if isinstance(field, models.JSONField):
                needles |= {json.dumps(i)[1:-1] for i in idents}  # as stored with \\u escapes
                lookup = models.Q()
                for needle in needles:
                    lookup |= models.Q(**{"_scan__icontains": needle})
                rows = model._base_manager.annotate(_scan=Cast(field.name, models.TextField())).filter(lookup)
            else:
                lookup = models.Q()
                for needle in needles:
                    lookup |= models.Q(**{f"{field.name}__icontains": needle})
                rows = model._base_manager.filter(lookup)
            for pk, value in rows.values_list("pk", field.name):
                hits.append((model._meta.db_table, field.column or field.name, pk))
                if not fix:
                    continue
                cleaned = _scrub_value(value, pattern)
                if model is TimelineEvent:
                    _timeline_set(pk, **{field.name: cleaned})
                else:
                    _update(model, pk, **{field.name: cleaned})
    return hits


def _erase_care(customer: Customer) -> int:
    """Where the customer's visits happened, how to get in, which carers they wanted or
    refused and what each regular visit was for go; the visits stay as who went when.
    Returns how many visits are kept."""
    care = CareAgreement.objects.filter(customer=customer)
    for agreement in care:
        agreement.preferred_carers.clear()
        agreement.excluded_carers.clear()
    care.update(address=ERASED, access_notes="", latitude=0.0, longitude=0.0)
    VisitPattern.objects.filter(care_agreement__customer=customer).update(label=ERASED)
    Visit.objects.filter(customer=customer).exclude(unplaced_detail="").update(unplaced_detail="")
    return Visit.objects.filter(customer=customer).count()


def _delete_files(names: list[str]) -> None:
    storage = attachment_storage()
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            # The rows no longer lead to the file; say which one is left so it can go by hand.
            logger.exception("erasure could not delete attached file %s", name)


def _erase_attachments(customer: Customer, *, now: datetime) -> int:
    """The customer's photos and documents: the files are deleted once the erasure
    commits (deleting them earlier would lose them if the erasure rolled back); the rows
    keep which side added them, when, and the size and kind, and lose their name and
    fingerprint. The random storage name stays: it says nothing about anyone."""
    rows = Attachment.objects.filter(customer=customer)
    names = list(rows.filter(erased_at__isnull=True).exclude(storage_name="").values_list("storage_name", flat=True))
    rows.filter(erased_at__isnull=True).update(erased_at=now)
    rows.update(filename=ERASED, sha256="")
    rows.filter(added_by=Attachment.AddedBy.CUSTOMER).update(added_by_name="The customer")
    rows.filter(added_by=Attachment.AddedBy.TRUSTED_PERSON).update(added_by_name=ERASED)
    if names:
        transaction.on_commit(partial(_delete_files, names))
    return rows.count()


def _end_trusted_people(customer: Customer, *, now: datetime) -> int:
    """Nobody acts for an erased customer any more: every trust ends now, and who they
    were (name, address, relationship: what the customer told us about them) goes. The
    rows stay because the access log's entries of their looks point at them."""
    from steward.trusted.models import TrustedPerson  # trusted people build on consent, not the reverse

    people = TrustedPerson.objects.filter(customer=customer)
    people.filter(revoked_at__isnull=True).update(revoked_at=now, revoked_by="Steward (erasure)")
    # Their name on their looks in the access log is outside the hash (chain.py), so it can go.
    AccessEvent._base_manager.filter(customer=customer, actor_kind=AccessEvent.ActorKind.TRUSTED_PERSON).update(
        staff_name=ERASED
    )
    return people.update(name=ERASED, email="", relationship="", updated_at=now)


def _refuse_while_in_service(customer: Customer) -> None:
    in_play = list(
        Request.objects.filter(customer=customer, status__in=IN_PLAY).order_by("id").values_list("pk", flat=True)
    )
    active = list(
        ServiceAgreement.objects.filter(customer=customer, status=ServiceAgreement.Status.ACTIVE)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    if in_play or active:
        parts = []
        if in_play:
            parts.append("requests still being handled (" + ", ".join(f"#{pk}" for pk in in_play) + ")")
        if active:
            parts.append("services still being provided (" + ", ".join(f"#{pk}" for pk in active) + ")")
        raise Conflict(
            "The customer has " + " and ".join(parts) + ". Close or end them first (their owners answer for them "
            "until then), or refuse the erasure with the reason.",
            code="erasure_customer_in_service",
        )


@transaction.atomic
def customer_erase(*, privacy_request: PrivacyRequest, actor: StaffMember) -> ErasureResult:
    """Carry out an erasure request: erase or anonymise everything about the customer
    except what must be kept, list what is kept with its legal reason and end date, and
    mark the request done. Refused (nothing changes) while the customer has requests in
    play or active services, or when `actor` may not act on the request."""
    request = lock_open(privacy_request, actor)
    if request.kind != PrivacyRequest.Kind.ERASURE:
        raise Conflict("This privacy request asks for an export, not an erasure.", code="privacy_kind_mismatch")
    customer = Customer.objects.select_for_update().get(pk=request.customer_id)
    _refuse_while_in_service(customer)
    now = timezone.now()
    idents = identifiers(customer)
    pattern = _pattern(idents) or re.compile(r"(?!x)x")
    counts: dict[str, int] = {}

    # Their API tokens stop working: there is no account left to act as.
    from steward.accounts.models import CustomerToken  # accounts know customers, not consent

    CustomerToken.objects.filter(customer=customer, revoked_at__isnull=True).update(revoked_at=now)

    # Grants still in force end now, each with a receipt (worded without the customer).
    active = Grant.objects.filter(customer=customer, revoked_at__isnull=True).select_related("organisation", "team")
    for grant in active:
        grant.revoked_at = now
        grant.revoked_reason = f"Ended when the customer's data was erased (privacy request #{request.pk})."
        _update(Grant, grant.pk, revoked_at=now, revoked_reason=grant.revoked_reason)
        GrantReceipt.objects.create(
            grant=grant,
            customer=customer,
            action=GrantReceipt.Action.REVOKED,
            by="Steward (erasure)",
            wording=pattern.sub(ERASED, _wording(grant, granting=False)),
            at=now,
        )
    for grant in Grant.objects.filter(customer=customer):
        _update(
            Grant,
            grant.pk,
            reason=pattern.sub(ERASED, grant.reason) or "",
            revoked_reason=pattern.sub(ERASED, grant.revoked_reason),
        )
    receipts = GrantReceipt.objects.filter(customer=customer)
    for receipt in receipts:
        by = "The customer" if receipt.by == customer.full_name else pattern.sub(ERASED, receipt.by)
        _update(GrantReceipt, receipt.pk, by=by, wording=pattern.sub(ERASED, receipt.wording))
    counts["grants"] = Grant.objects.filter(customer=customer).count()

    # The access log: the break-glass words go; the chain (which never held them) stays.
    counts["access_log"] = AccessEvent.objects.filter(customer=customer).count()
    AccessEvent._base_manager.filter(customer=customer).exclude(reason="").update(reason="")

    # The timeline: every row stays, in order; its words go.
    kinds = dict(TimelineEvent.Kind.choices)
    events = TimelineEvent.objects.filter(customer=customer).values_list("pk", "kind", "actor_id", "actor_name", "data")
    with timeline_rewrite_allowed():
        n = 0
        for pk, kind, actor_id, actor_name, data in events.iterator(chunk_size=2000):
            kept = {k: v for k, v in (data or {}).items() if isinstance(v, int | bool)}
            name = actor_name if actor_id is not None or actor_name == "Steward" else "The customer"
            _timeline_set(
                pk,
                summary=f"{ERASED} {kinds.get(kind, kind)}",
                body="",
                data={**kept, "erased": True},
                actor_name=pattern.sub(ERASED, name),
            )
            n += 1
        counts["timeline"] = n

        # What the customer asked, and the notes about it.
        request_ids = list(Request.objects.filter(customer=customer).values_list("pk", flat=True))
        counts["requests"] = Request.objects.filter(pk__in=request_ids).update(subject=ERASED, description=ERASED)
        HandoverOffer.objects.filter(request_id__in=request_ids).update(reason=ERASED, note_for_receiver="")
        HandoverOffer.objects.filter(request_id__in=request_ids).exclude(response_reason="").update(
            response_reason=ERASED
        )
        Notification.objects.filter(request_id__in=request_ids).update(title=f"{ERASED} notification", body="")
        for agreement in ServiceAgreement.objects.filter(customer=customer):
            _update(
                ServiceAgreement,
                agreement.pk,
                service=pattern.sub(ERASED, agreement.service),
                end_reason=pattern.sub(ERASED, agreement.end_reason),
            )
        counts["service_agreements"] = ServiceAgreement.objects.filter(customer=customer).count()
        alerts = Alert.objects.filter(customer=customer)
        counts["alerts"] = alerts.count()
        for alert in alerts:
            _update(
                Alert,
                alert.pk,
                title=f"{ERASED} {alert.get_kind_display()}",
                detail="",
                resolution=ERASED if alert.resolution else "",
            )
        counts["visits"] = _erase_care(customer)
        counts["attachments"] = _erase_attachments(customer, now=now)
        counts["trusted_people"] = _end_trusted_people(customer, now=now)
        TransferClient.objects.filter(customer=customer).exclude(answer_reason="").update(answer_reason=ERASED)
        TransferClient.objects.filter(customer=customer).exclude(decision_reason="").update(decision_reason=ERASED)

        # Anything else that belongs to the customer alone goes with them (contact
        # points, sign-in tokens: what deleting the customer would cascade to), except the
        # grants and receipts kept above.
        for relation in Customer._meta.related_objects:
            related = relation.related_model
            if relation.on_delete is models.CASCADE and related not in (Grant, GrantReceipt):
                related._base_manager.filter(**{relation.field.name: customer}).delete()

        # The person: emptied, kept as the number the kept records point at.
        Customer.objects.filter(pk=customer.pk).update(
            given_name=ERASED,
            family_name="",
            preferred_name="",
            date_of_birth=None,
            language="und",
            accessibility_needs="",
            what_matters_to_me="",
            is_vulnerable=False,
            search_name="",
        )

        # Whatever mentions them elsewhere: other people's notes, notifications, alerts…
        counts["other_mentions"] = len(residual_scan(idents, fix=True))

    retained = _retain(request, counts, today=timezone.localdate(now))
    request.status = PrivacyRequest.Status.DONE
    request.completed_at = now
    request.completed_by = actor
    request.outcome = (
        f"Erased on {timezone.localtime(now):%d %B %Y}: the customer's details and contact points, and the words of "
        f"{counts['timeline']} timeline entries and {counts['requests']} requests. Kept without personal details: "
        + "; ".join(f"{item.description} (until {item.retain_until:%d %B %Y})" for item in retained)
        + "."
    )
    request.save(update_fields=["status", "completed_at", "completed_by", "outcome"])
    return ErasureResult(request=request, retained=retained, counts=counts)


def _retain(request: PrivacyRequest, counts: dict[str, int], *, today: date) -> list[RetainedItem]:
    until = _add_years(today, RETENTION_YEARS)
    descriptions = {
        "customer_record": (1, f"the customer's record number (#{request.customer_id}), emptied"),
        "timeline": (
            counts["timeline"],
            f"{counts['timeline']} timeline entries: kind, time, channel, organisation and staff names only",
        ),
        "requests": (counts["requests"], f"{counts['requests']} requests: organisation, need, owner and dates only"),
        "attachments": (
            counts["attachments"],
            f"{counts['attachments']} photos and documents: who added each (customer or staff), when, size and kind; "
            "the files deleted",
        ),
        "service_agreements": (
            counts["service_agreements"],
            f"{counts['service_agreements']} services: provider, commissioner, coordinator, service and dates",
        ),
        "alerts": (counts["alerts"], f"{counts['alerts']} safeguarding alerts: kind, who was alerted and when"),
        "visits": (
            counts["visits"],
            f"{counts['visits']} care visits: carer, day, planned and actual times only",
        ),
        "grants": (counts["grants"], f"{counts['grants']} permissions and their receipts"),
        "access_log": (counts["access_log"], f"{counts['access_log']} access log entries without break-glass reasons"),
        "trusted_people": (
            counts["trusted_people"],
            f"{counts['trusted_people']} people the customer trusted: from when until when only",
        ),
        "privacy_request": (1, f"privacy request #{request.pk} and this list"),
    }
    items = [
        RetainedItem(
            privacy_request=request,
            category=category,
            description=description[:500],
            count=count,
            legal_reason=REASONS[category][:500],
            retain_until=until,
        )
        for category, (count, description) in descriptions.items()
        if count
    ]
    return RetainedItem.objects.bulk_create(items)
