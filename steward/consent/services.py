"""Granting and revoking, with receipts; and the one door every staff read of customer
data goes through (`customer_data_read`), which checks a grant and writes the access
event (I5)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from steward.customers.models import Customer
from steward.errors import Conflict, InvalidInput, PermissionDenied
from steward.organisations.models import Organisation, StaffMember, Team
from steward.timeline.models import TimelineEvent
from steward.timeline.services import event_record

from .chain import GENESIS, digest, event_hash
from .models import AccessEvent, Grant, GrantReceipt
from .selectors import grant_covering, grants_active_at
from .vocabulary import REVOCABLE_BY_CUSTOMER, DataCategory, LawfulBasis, Purpose

if TYPE_CHECKING:
    from steward.trusted.models import TrustedPerson


def _check_words(purpose: str, categories: Sequence[str], lawful_basis: str | None = None) -> list[str]:
    if purpose not in Purpose.values:
        raise InvalidInput(
            f"'{purpose}' is not a purpose; use one of {', '.join(Purpose.values)}.", code="purpose_unknown"
        )
    unknown = [c for c in categories if c not in DataCategory.values]
    if unknown or not categories:
        raise InvalidInput(
            f"Name data categories from {', '.join(DataCategory.values)}"
            + (f" (not {', '.join(unknown)})." if unknown else "."),
            code="category_unknown",
        )
    if lawful_basis is not None and lawful_basis not in LawfulBasis.values:
        raise InvalidInput(
            f"'{lawful_basis}' is not a lawful basis; use one of {', '.join(LawfulBasis.values)}.",
            code="lawful_basis_unknown",
        )
    return sorted(set(categories))


def _wording(grant: Grant, *, granting: bool) -> str:
    who = grant.organisation.name + (f" ({grant.team.name} team)" if grant.team else "")
    cats = ", ".join(DataCategory(c).label.lower() for c in grant.categories)
    basis = LawfulBasis(grant.lawful_basis).label
    if granting:
        until = f" until {timezone.localtime(grant.ends_at):%d %b %Y}" if grant.ends_at else ""
        return f"{who} may use {cats} for: {Purpose(grant.purpose).label.lower()}{until}. Basis: {basis}." + (
            f" Why: {grant.reason}" if grant.reason else ""
        )
    return f"{who} may no longer use {cats} for: {Purpose(grant.purpose).label.lower()}."


@transaction.atomic
def grant_create(
    *,
    customer: Customer,
    organisation: Organisation,
    purpose: str,
    categories: Sequence[str],
    lawful_basis: str,
    by_customer: bool,
    actor: StaffMember | None = None,
    team: Team | None = None,
    reason: str = "",
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    source: str | None = None,
) -> Grant:
    """Let `organisation` (or `team`) use `categories` for `purpose`. The customer may
    grant on the basis of consent; staff record grants on other bases, with a reason the
    customer will read. Writes a receipt and a timeline entry the customer sees."""
    cats = _check_words(purpose, categories, lawful_basis)
    reason = (reason or "").strip()
    if by_customer and lawful_basis != LawfulBasis.CONSENT:
        raise InvalidInput("A customer grants on the basis of their consent.", code="customer_grants_consent")
    if not by_customer:
        if actor is None or not actor.is_active:
            raise PermissionDenied("Only an active staff member can record a grant.", code="staff_inactive")
        if lawful_basis == LawfulBasis.CONSENT and not reason:
            reason = "Recorded by staff with the customer's agreement."
        if actor.organisation_id != organisation.pk:
            raise PermissionDenied(
                "Staff record grants for their own organisation only.", code="grant_other_organisation"
            )
    if lawful_basis != LawfulBasis.CONSENT and not reason:
        raise InvalidInput("Say why, in words the customer will read.", code="reason_required")
    if team is not None and team.organisation_id != organisation.pk:
        raise InvalidInput(f"{team.name} is not a team of {organisation.name}.", code="team_other_organisation")
    now = timezone.now()
    starts_at = starts_at or now
    if ends_at is not None and ends_at <= starts_at:
        raise InvalidInput("A grant must end after it starts.", code="grant_ends_before_start")
    grant = Grant.objects.create(
        customer=customer,
        organisation=organisation,
        team=team,
        purpose=purpose,
        categories=cats,
        lawful_basis=lawful_basis,
        reason=reason[:500],
        source=source or (Grant.Source.CUSTOMER if by_customer else Grant.Source.STAFF),
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=actor,
    )
    wording = _wording(grant, granting=True)
    by = customer.full_name if by_customer else (actor.display_name if actor else "Steward")
    GrantReceipt.objects.create(
        grant=grant, customer=customer, action=GrantReceipt.Action.GRANTED, by=by, wording=wording, at=now
    )
    event_record(
        customer=customer,
        organisation=organisation,
        kind=TimelineEvent.Kind.GRANT_GIVEN,
        actor=actor if not by_customer else None,
        actor_name=by,
        summary=wording,
        data={"grant": grant.pk},
        occurred_at=now,
    )
    return grant


@dataclass(frozen=True)
class GrantNeed:
    """One minimal grant a piece of work needs (see `grant_ensure`, `grants_ensure_bulk`)."""

    customer_id: int
    organisation_id: int
    purpose: str
    categories: tuple[str, ...]
    lawful_basis: str
    reason: str
    ends_at: datetime | None = None


def _lasts_long_enough(grant_ends_at: datetime | None, wanted_ends_at: datetime | None) -> bool:
    # An open-ended need is met only by an open-ended grant: a time-limited grant made
    # for a handover offer must not stand in for the grant its acceptance needs.
    if grant_ends_at is None:
        return True
    return wanted_ends_at is not None and grant_ends_at >= wanted_ends_at


def grant_ensure(
    *,
    customer: Customer,
    organisation: Organisation,
    purpose: str,
    categories: Sequence[str],
    lawful_basis: str,
    reason: str,
    actor: StaffMember | None,
    ends_at: datetime | None = None,
) -> Grant:
    """The minimal grant a piece of work needs (a request captured, a service started,
    a handover accepted or offered), made automatically and visibly, unless one already
    covers it for as long. Runs inside the caller's transaction."""
    now = timezone.now()
    wanted = set(categories)
    for existing in grants_active_at(customer_id=customer.pk, at=now).filter(
        organisation_id=organisation.pk, purpose=purpose, team__isnull=True
    ):
        if wanted <= set(existing.categories) and _lasts_long_enough(existing.ends_at, ends_at):
            return existing
    cats = _check_words(purpose, categories, lawful_basis)
    grant = Grant.objects.create(
        customer=customer,
        organisation=organisation,
        purpose=purpose,
        categories=cats,
        lawful_basis=lawful_basis,
        reason=reason[:500],
        source=Grant.Source.AUTOMATIC,
        starts_at=now,
        ends_at=ends_at,
        created_by=actor,
    )
    wording = _wording(grant, granting=True)
    GrantReceipt.objects.create(
        grant=grant, customer=customer, action=GrantReceipt.Action.GRANTED, by="Steward", wording=wording, at=now
    )
    event_record(
        customer=customer,
        organisation=organisation,
        kind=TimelineEvent.Kind.GRANT_GIVEN,
        actor=None,
        summary=wording,
        data={"grant": grant.pk, "automatic": True},
        occurred_at=now,
    )
    return grant


def grants_ensure_bulk(needs: Iterable[GrantNeed], *, actor: StaffMember | None, chunk: int = 500) -> int:
    """`grant_ensure` for many customers at once (a transfer batch, a backfill): the
    same grants, receipts and timeline entries, written with a few queries per `chunk`
    instead of a few per customer. Runs inside the caller's transaction; returns how
    many grants it made."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("grants_ensure_bulk must run inside the caller's transaction.")
    unique: dict[tuple[int, int, str], GrantNeed] = {}
    for need in needs:
        unique.setdefault((need.customer_id, need.organisation_id, need.purpose), need)
    items = list(unique.values())
    made = 0
    for start in range(0, len(items), chunk):
        made += _ensure_chunk(items[start : start + chunk], actor=actor)
    return made


def _ensure_chunk(needs: list[GrantNeed], *, actor: StaffMember | None) -> int:
    now = timezone.now()
    for need in needs:
        _check_words(need.purpose, need.categories, need.lawful_basis)
    held: dict[tuple[int, int, str], list[tuple[set[str], datetime | None]]] = defaultdict(list)
    existing = Grant.objects.filter(
        customer_id__in={n.customer_id for n in needs},
        organisation_id__in={n.organisation_id for n in needs},
        purpose__in={n.purpose for n in needs},
        team__isnull=True,
        starts_at__lte=now,
        revoked_at__isnull=True,
    ).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
    for customer_id, organisation_id, purpose, cats, ends_at in existing.values_list(
        "customer_id", "organisation_id", "purpose", "categories", "ends_at"
    ):
        held[(customer_id, organisation_id, purpose)].append((set(cats), ends_at))
    missing = [
        n
        for n in needs
        if not any(
            set(n.categories) <= cats and _lasts_long_enough(ends_at, n.ends_at)
            for cats, ends_at in held[(n.customer_id, n.organisation_id, n.purpose)]
        )
    ]
    if not missing:
        return 0
    organisations = Organisation.objects.in_bulk({n.organisation_id for n in missing})
    grants = Grant.objects.bulk_create(
        Grant(
            customer_id=n.customer_id,
            organisation=organisations[n.organisation_id],
            purpose=n.purpose,
            categories=sorted(set(n.categories)),
            lawful_basis=n.lawful_basis,
            reason=n.reason[:500],
            source=Grant.Source.AUTOMATIC,
            starts_at=now,
            ends_at=n.ends_at,
            created_by=actor,
        )
        for n in missing
    )
    wordings = [_wording(g, granting=True) for g in grants]
    GrantReceipt.objects.bulk_create(
        GrantReceipt(
            grant=g, customer_id=g.customer_id, action=GrantReceipt.Action.GRANTED, by="Steward", wording=w, at=now
        )
        for g, w in zip(grants, wordings, strict=True)
    )
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            customer_id=g.customer_id,
            organisation_id=g.organisation_id,
            kind=TimelineEvent.Kind.GRANT_GIVEN,
            actor_name="Steward",
            summary=w[:500],
            data={"grant": g.pk, "automatic": True},
            occurred_at=now,
        )
        for g, w in zip(grants, wordings, strict=True)
    )
    return len(grants)


def grants_end_automatic(
    *, customer_id: int, organisation_id: int, purpose: str, ends_at: datetime | None, why: str
) -> int:
    """End early the automatic grants made for a piece of work: the time-limited ones
    made for an offer (a handover offer declined or withdrawn before its answer was due;
    `ends_at` names them), or, with `ends_at=None`, the open-ended ones a service needed
    once it has ended. A receipt and a timeline entry each. Runs inside the caller's
    transaction; returns how many it ended."""
    grants = list(
        Grant.objects.select_for_update(of=("self",))
        .select_related("customer", "organisation", "team")
        .filter(
            customer_id=customer_id,
            organisation_id=organisation_id,
            purpose=purpose,
            source=Grant.Source.AUTOMATIC,
            ends_at=ends_at,
            revoked_at__isnull=True,
        )
    )
    now = timezone.now()
    for grant in grants:
        grant.revoked_at = now
        grant.revoked_reason = why[:500]
        grant.save(update_fields=["revoked_at", "revoked_reason"])
        wording = _wording(grant, granting=False) + f" Why: {why}"
        GrantReceipt.objects.create(
            grant=grant,
            customer=grant.customer,
            action=GrantReceipt.Action.REVOKED,
            by="Steward",
            wording=wording,
            at=now,
        )
        event_record(
            customer=grant.customer,
            organisation=grant.organisation,
            kind=TimelineEvent.Kind.GRANT_REVOKED,
            summary=wording,
            data={"grant": grant.pk, "automatic": True},
            occurred_at=now,
        )
    return len(grants)


@transaction.atomic
def grant_revoke(*, grant: Grant, by_customer: bool, actor: StaffMember | None = None, reason: str = "") -> Grant:
    """End a grant now. The customer can revoke what rests on their consent; a grant on
    another basis (a legal duty, their vital interests) is refused with its reason, and
    can be ended only by the organisation holding it."""
    grant = (
        Grant.objects.select_for_update(of=("self",))
        .select_related("customer", "organisation", "team")
        .get(pk=grant.pk)
    )
    if grant.revoked_at is not None:
        raise Conflict("This grant was already revoked.", code="grant_revoked")
    if by_customer and grant.lawful_basis not in REVOCABLE_BY_CUSTOMER:
        raise PermissionDenied(
            f"This use of your information rests on {LawfulBasis(grant.lawful_basis).label.lower()}, not on your "
            f"consent, so it cannot be withdrawn here. Why it is needed: {grant.reason}",
            code="grant_not_revocable",
        )
    if not by_customer and (actor is None or not actor.is_active or actor.organisation_id != grant.organisation_id):
        raise PermissionDenied("Only the organisation holding a grant can end it.", code="grant_other_organisation")
    now = timezone.now()
    grant.revoked_at = now
    grant.revoked_reason = (reason or "").strip()[:500]
    grant.save(update_fields=["revoked_at", "revoked_reason"])
    wording = _wording(grant, granting=False)
    by = grant.customer.full_name if by_customer else (actor.display_name if actor else "Steward")
    GrantReceipt.objects.create(
        grant=grant, customer=grant.customer, action=GrantReceipt.Action.REVOKED, by=by, wording=wording, at=now
    )
    event_record(
        customer=grant.customer,
        organisation=grant.organisation,
        kind=TimelineEvent.Kind.GRANT_REVOKED,
        actor=actor if not by_customer else None,
        actor_name=by,
        summary=wording,
        data={"grant": grant.pk},
        occurred_at=now,
    )
    return grant


def _append(
    *,
    customer_id: int,
    actor: StaffMember,
    purpose: str,
    categories: list[str],
    resource: str,
    channel: str,
    outcome: str,
    grant: Grant | None,
    reason: str,
    at: datetime,
) -> AccessEvent:
    event = AccessEvent(
        customer_id=customer_id,
        actor_kind=AccessEvent.ActorKind.STAFF,
        staff=actor,
        staff_name=actor.display_name[:300],
        organisation_id=actor.organisation_id,
        organisation_name=actor.organisation.name[:200],
        purpose=purpose,
        categories=categories,
        resource=resource[:100],
        channel=channel,
        outcome=outcome,
        grant=grant,
        reason_digest=digest(reason),
        reason=reason,
        at=at,
    )
    return _chain(event)


def _chain(event: AccessEvent) -> AccessEvent:
    """Put `event` at the end of its customer's chain and save it."""
    # The customer's row lock orders their chain: two reads at once get consecutive
    # positions instead of both claiming the same one.
    Customer.objects.select_for_update().filter(pk=event.customer_id).values_list("pk").first()
    last = AccessEvent.objects.filter(customer_id=event.customer_id).order_by("-seq").values_list("seq", "hash").first()
    event.seq, event.prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    event.hash = event_hash(event.prev_hash, event)
    event.save(force_insert=True)
    return event


@transaction.atomic
def trusted_read_record(
    *,
    customer_id: int,
    trusted_person: TrustedPerson,
    name: str,
    categories: list[str],
    resource: str,
) -> AccessEvent:
    """Log a read of the customer's data by someone they trust, acting for them in the
    portal (the trusted app has checked the trust and its scope). It goes in the same
    hash chain as staff reads, so the customer sees everyone who looked, in one list."""
    cats = [DataCategory(c).value for c in categories]
    return _chain(
        AccessEvent(
            customer_id=customer_id,
            actor_kind=AccessEvent.ActorKind.TRUSTED_PERSON,
            trusted_person=trusted_person,
            staff_name=name[:300],
            organisation_name="",
            purpose="",
            categories=cats,
            resource=resource[:100],
            channel=AccessEvent.Channel.PORTAL,
            outcome=AccessEvent.Outcome.ALLOWED,
            reason_digest="",
            reason="",
            at=timezone.now(),
        )
    )


def customer_data_read(
    *,
    actor: StaffMember,
    customer_id: int,
    purpose: str,
    categories: Sequence[str],
    resource: str,
    channel: str,
    break_glass_reason: str = "",
) -> AccessEvent:
    """The door every staff read of a customer's data goes through (I5).

    Allowed when an active grant covers the actor's organisation (or team), the purpose
    and every category; the access event is written and returned. Otherwise, with a
    written `break_glass_reason`, allowed as an emergency: logged as such, on the
    customer's timeline, and in the organisation's break-glass report. Otherwise
    refused: the refusal is logged too (committed), then `PermissionDenied` is raised.
    """
    cats = _check_words(purpose, categories)
    if not actor.is_active:
        raise PermissionDenied(f"{actor.display_name} is deactivated.", code="staff_inactive")
    break_glass_reason = (break_glass_reason or "").strip()
    if len(break_glass_reason) > 2000:
        raise InvalidInput("Keep the emergency reason under 2,000 characters.", code="text_too_long")
    now = timezone.now()
    log = partial(
        _append,
        customer_id=customer_id,
        actor=actor,
        purpose=purpose,
        categories=cats,
        resource=resource,
        channel=channel,
        at=now,
    )
    with transaction.atomic():
        grant = grant_covering(
            customer_id=customer_id,
            organisation_id=actor.organisation_id,
            team_id=actor.team_id,
            purpose=purpose,
            categories=cats,
            at=now,
        )
        if grant is not None:
            return log(outcome=AccessEvent.Outcome.ALLOWED, grant=grant, reason="")
        if break_glass_reason:
            event = log(outcome=AccessEvent.Outcome.BREAK_GLASS, grant=None, reason=break_glass_reason)
            customer = Customer.objects.get(pk=customer_id)
            event_record(
                customer=customer,
                organisation=actor.organisation,
                kind=TimelineEvent.Kind.BREAK_GLASS,
                actor=actor,
                summary=f"{actor.display_name} at {actor.organisation.name} opened your record in an emergency "
                f"without your permission, for: {Purpose(purpose).label.lower()}. They gave this reason: "
                f"{break_glass_reason[:300]}",
                data={"access_event": event.pk},
                occurred_at=now,
            )
            return event
        log(outcome=AccessEvent.Outcome.REFUSED, grant=None, reason="")
    raise PermissionDenied(
        f"{actor.organisation.name} has no permission from this customer to use "
        f"{', '.join(DataCategory(c).label.lower().removeprefix('your ') for c in cats)} for "
        f"{Purpose(purpose).label.lower()}. The refused read was recorded in the customer's access log. "
        "In an emergency, give a reason to open it anyway (break-glass).",
        code="no_grant",
    )
