"""API for contact preferences: the customer reads and sets their own
(``/api/v1/customer/preferences``, with a customer token) and staff read them through
the read door (``/api/v1/customers/{id}/preferences?purpose=...``, logged in the
customer's access log as a read of their contact details)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from steward.accounts.auth import acting_customer, acting_staff, customer_auth
from steward.consent.reads import ReadPurpose, read_for
from steward.consent.vocabulary import DataCategory

from . import selectors, services
from .preferences import DEFAULT_TIME_ZONE, PreferencesData, PreferencesView

# Two routers: the customer's side has its own door (a customer token, never staff).
customer_router = Router(tags=["the customer's side"], auth=customer_auth)
staff_router = Router(tags=["customers"])


class Choice(Schema):
    code: str
    label: str


class QuietHours(Schema):
    starts: time = Field(description="Local time in the customer's time zone.")
    ends: time = Field(description="Earlier than `starts` when the quiet hours run over midnight.")


class PreferencesOut(Schema):
    customer_id: int
    channels: list[Choice] = Field(description="Ways to contact them, most preferred first.")
    quiet_hours: QuietHours | None
    language: Choice = Field(description="A BCP 47 language tag and its name.")
    time_zone: str = Field(description="IANA time zone the quiet hours and the portal's times are in.")
    access_needs: list[Choice]
    access_other: str = Field(description="Other accessibility needs, in the customer's words.")
    what_matters_to_me: str
    updated_at: datetime | None


class PreferencesIn(Schema):
    """All of the preferences at once (what is left out goes back to its default)."""

    model_config = ConfigDict(extra="forbid")

    channels: list[str] = Field(
        default_factory=list, max_length=10, description="email, phone, text, letter, in_person; first is preferred."
    )
    quiet_from: time | None = Field(default=None, description="Start of quiet hours (local time), e.g. 21:00.")
    quiet_to: time | None = Field(default=None, description="End of quiet hours (local time), e.g. 08:00.")
    language: str = Field(default="en", max_length=35, description="BCP 47 tag: en, cy, gd, bfi, pl, ur, …")
    time_zone: str = Field(default=DEFAULT_TIME_ZONE, max_length=64, description="IANA name, e.g. Europe/London.")
    access_needs: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="large_print, easy_read, bsl_interpreter, hearing_loop, screen_reader, more_time.",
    )
    access_other: str = Field(default="", max_length=10_000, description="Anything else, in your words (≤2,000).")
    what_matters_to_me: str = Field(default="", max_length=10_000, description="In your words (≤4,000).")


def preferences_out(view: PreferencesView) -> dict[str, Any]:
    quiet = None
    if view.quiet_from is not None and view.quiet_to is not None:
        quiet = {"starts": view.quiet_from, "ends": view.quiet_to}
    return {
        "customer_id": view.customer.pk,
        "channels": [{"code": c, "label": label} for c, label in zip(view.channels, view.channel_labels, strict=True)],
        "quiet_hours": quiet,
        "language": {"code": view.language, "label": view.language_label},
        "time_zone": view.time_zone,
        "access_needs": [
            {"code": n, "label": label} for n, label in zip(view.access_needs, view.access_labels, strict=True)
        ],
        "access_other": view.access_other,
        "what_matters_to_me": view.what_matters_to_me,
        "updated_at": None if view.preferences._state.adding else view.preferences.updated_at,
    }


@customer_router.get("/customer/preferences", response=PreferencesOut, summary="How and when I want to be contacted")
def my_preferences(request: HttpRequest) -> dict[str, Any]:
    customer = selectors.customer_with_preferences(customer_id=acting_customer(request).pk)
    return preferences_out(selectors.preferences_for(customer=customer))


@customer_router.put(
    "/customer/preferences",
    response=PreferencesOut,
    summary="Set how and when I want to be contacted (all at once; refused per field when something is wrong)",
)
def set_my_preferences(request: HttpRequest, payload: PreferencesIn) -> dict[str, Any]:
    customer = acting_customer(request)
    services.preferences_update(customer=customer, data=PreferencesData(**payload.dict()))
    fresh = selectors.customer_with_preferences(customer_id=customer.pk)
    return preferences_out(selectors.preferences_for(customer=fresh))


@staff_router.get(
    "/customers/{customer_id}/preferences",
    response=PreferencesOut,
    summary="How and when the customer wants to be contacted, and what matters to them (needs a purpose)",
)
def customer_preferences(request: HttpRequest, customer_id: int, why: Query[ReadPurpose]) -> dict[str, Any]:
    customer = selectors.customer_with_preferences(customer_id=customer_id)
    read_for(
        actor=acting_staff(request),
        customer_id=customer.pk,
        why=why,
        categories=[DataCategory.CONTACT_DETAILS],
        resource="preferences",
    )
    return preferences_out(selectors.preferences_for(customer=customer))
