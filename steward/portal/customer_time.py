"""The portal shows times in the signed-in customer's own time zone (their contact
preferences; Europe/London when they have not chosen), so a visit "at 09:00" means
09:00 where they are. Staff pages keep the organisation's zone (settings.TIME_ZONE)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from steward.customers.models import ContactPreferences
from steward.customers.preferences import DEFAULT_TIME_ZONE, is_time_zone

from .access import SESSION_KEY

PORTAL_PREFIX = "/me/"


def customer_time_zone(customer_id: int) -> str:
    """The customer's chosen time zone name (one query), or the default."""
    name = ContactPreferences.objects.filter(customer_id=customer_id).values_list("time_zone", flat=True).first()
    return name if name and is_time_zone(name) else DEFAULT_TIME_ZONE


class CustomerTimeZoneMiddleware:
    """For portal pages of a signed-in customer, activate their time zone for the
    request (templates' dates and `timezone.localtime` follow it) and put its name on
    the request as ``portal_time_zone`` so pages can say which zone times are in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        customer_id = request.session.get(SESSION_KEY) if request.path.startswith(PORTAL_PREFIX) else None
        if not isinstance(customer_id, int):
            return self.get_response(request)
        name = customer_time_zone(customer_id)
        request.portal_time_zone = name  # type: ignore[attr-defined]
        timezone.activate(zoneinfo.ZoneInfo(name))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
