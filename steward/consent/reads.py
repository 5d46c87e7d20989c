"""What API endpoints and console pages use to go through the read door: the purpose a
caller must give, and the words used when it is missing (I5: no read of a customer's
data without a purpose, and every read logged, see `services.customer_data_read`)."""

from __future__ import annotations

from collections.abc import Sequence

from ninja import Schema
from pydantic import Field

from steward.errors import InvalidInput
from steward.organisations.models import StaffMember

from .models import AccessEvent
from .services import customer_data_read
from .vocabulary import Purpose

PURPOSES_IN_WORDS = "; ".join(f"{p.value} ({p.label.lower()})" for p in Purpose)


class ReadPurpose(Schema):
    """Query parameters of every endpoint that reveals a customer's data."""

    purpose: str | None = Field(
        default=None,
        description="Required: why you are reading this customer's data, one of " + ", ".join(Purpose.values) + ".",
    )
    break_glass_reason: str = Field(
        default="",
        max_length=2000,
        description="Emergency only: read without a grant, giving a reason. The customer is told and it is "
        "reported to your supervisors.",
    )


def purpose_required(purpose: str | None) -> str:
    if not (purpose or "").strip():
        raise InvalidInput(
            "Say why you are reading this customer's data: give a purpose, one of " + PURPOSES_IN_WORDS + ".",
            code="purpose_required",
        )
    return (purpose or "").strip()


def read_for(
    *,
    actor: StaffMember,
    customer_id: int,
    why: ReadPurpose,
    categories: Sequence[str],
    resource: str,
    channel: str = AccessEvent.Channel.API,
) -> AccessEvent:
    """Check the actor may read `categories` of the customer's data for the purpose they
    gave, and log it, before anything is returned (raises `purpose_required`, or
    `no_grant` after logging the refusal)."""
    return customer_data_read(
        actor=actor,
        customer_id=customer_id,
        purpose=purpose_required(why.purpose),
        categories=categories,
        resource=resource,
        channel=channel,
        break_glass_reason=why.break_glass_reason,
    )
