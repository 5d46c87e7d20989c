"""How grants, receipts and the access log read to the customer: plain sentences and
the machine-readable pieces (codes, labels, DPV concepts) shown beside them.

Shared by the customer's API and, later, the portal pages and exports, so the customer
reads the same words everywhere.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from .models import AccessEvent, Grant
from .vocabulary import DPV_BASIS, DPV_CATEGORY, DPV_PURPOSE, REVOCABLE_BY_CUSTOMER, DataCategory, LawfulBasis, Purpose

# What a category is called inside a sentence ("read your care plan").
CATEGORY_NOUNS = {
    DataCategory.CONTACT_DETAILS: "your contact details",
    DataCategory.CARE_PLAN: "your care plan",
    DataCategory.HEALTH_NOTES: "notes about your health",
    DataCategory.FINANCIAL: "your financial details",
    DataCategory.MESSAGES: "your requests and messages",
}


def purpose_words(code: str) -> dict[str, str]:
    return {"code": code, "label": Purpose(code).label, "dpv": DPV_PURPOSE[Purpose(code)]}


def category_words(code: str) -> dict[str, str]:
    return {"code": code, "label": DataCategory(code).label, "dpv": DPV_CATEGORY[DataCategory(code)]}


def basis_words(code: str) -> dict[str, str]:
    return {"code": code, "label": LawfulBasis(code).label, "dpv": DPV_BASIS[LawfulBasis(code)]}


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def listed(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def when(at: datetime, *, now: datetime | None = None) -> str:
    """'3 March at 10:14' in the organisation's time zone; the year too when it is not
    this year."""
    local = timezone.localtime(at)
    this_year = timezone.localtime(now or timezone.now()).year
    day = f"{local.day} {local:%B}" + (f" {local.year}" if local.year != this_year else "")
    return f"{day} at {local:%H:%M}"


def grant_status(grant: Grant, *, at: datetime) -> str:
    """'active', 'scheduled' (starts later), 'ended' or 'revoked', at `at`."""
    if grant.revoked_at is not None:
        return "revoked"
    if grant.starts_at > at:
        return "scheduled"
    if grant.ends_at is not None and grant.ends_at <= at:
        return "ended"
    return "active"


def why_not_revocable(grant: Grant) -> str | None:
    """None when the customer can withdraw the grant now; otherwise why not, in words."""
    if grant.revoked_at is not None:
        return "It has already been withdrawn."
    if grant.lawful_basis not in REVOCABLE_BY_CUSTOMER:
        return (
            f"It rests on {LawfulBasis(grant.lawful_basis).label.lower()}, not on your consent. "
            f"Why it is needed: {grant.reason}"
        )
    return None


# What a trusted person looked at, by the resource the portal logs.
TRUSTED_RESOURCES = {
    "requests": "your list of requests",
    "privacy": "who can see your information",
}


def trusted_resource_words(resource: str) -> str:
    if resource.startswith("request:"):
        return f"your request #{resource.removeprefix('request:')} and its conversation"
    return TRUSTED_RESOURCES.get(resource, resource)


def access_purpose_label(event: AccessEvent) -> str:
    """The purpose as the customer reads it; a trusted person has none but acting for you."""
    if event.actor_kind == AccessEvent.ActorKind.TRUSTED_PERSON:
        return "Acting for you, as someone you trust"
    return str(Purpose(event.purpose).label)


def access_sentence(event: AccessEvent, *, now: datetime | None = None) -> str:
    """One line of the access log, as the customer reads it, e.g. "Jo Patel, Sunrise
    Care, read your care plan for delivering your care on 3 March at 10:14", or "Sara
    Khan, whom you trust, looked at your list of requests on 3 March at 10:15"."""
    if event.actor_kind == AccessEvent.ActorKind.TRUSTED_PERSON:
        return (
            f"{event.staff_name}, whom you trust to act for you, looked at "
            f"{trusted_resource_words(event.resource)} on {when(event.at, now=now)}"
        )
    who = f"{event.staff_name}, {event.organisation_name},"
    what = listed([CATEGORY_NOUNS.get(DataCategory(c), c) for c in event.categories])
    why = _lower_first(Purpose(event.purpose).label)
    moment = when(event.at, now=now)
    if event.outcome == AccessEvent.Outcome.REFUSED:
        return f"{who} was refused {what} for {why} on {moment}: you had not given permission for that"
    if event.outcome == AccessEvent.Outcome.BREAK_GLASS:
        reason = event.reason or "(the reason they gave has since been erased)"
        return f"{who} opened your record in an emergency ({what}, for {why}) on {moment}: {reason}"
    return f"{who} read {what} for {why} on {moment}"
