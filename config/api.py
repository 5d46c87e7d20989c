"""The JSON API at /api/v1 (OpenAPI at /api/v1/openapi.json, browsable at /api/v1/docs).

Every error is ``{"code": "...", "message": "..."}`` with a 4xx status; a refused call
changes nothing because services raise before their transaction commits.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from steward.accounts.auth import api_auth
from steward.agreements.api import router as agreements_router
from steward.alerts.api import router as alerts_router
from steward.care.api import customer_router as my_visits_router
from steward.care.api import router as care_router
from steward.consent.customer_api import router as customer_side_router
from steward.consent.privacy_api import router as privacy_router
from steward.consent.staff_api import router as access_router
from steward.customers.api import router as customers_router
from steward.customers.preferences_api import customer_router as my_preferences_router
from steward.customers.preferences_api import staff_router as preferences_router
from steward.errors import DomainError
from steward.handovers.api import router as handovers_router
from steward.needs.api import router as needs_router
from steward.notifications.api import router as notifications_router
from steward.organisations.api import router as organisations_router
from steward.requests.api import customer_router as customer_attachments_router
from steward.requests.api import router as requests_router
from steward.transfers.api import router as transfers_router
from steward.trusted.api import router as trusted_router
from steward.visits.api import router as visits_router
from steward.visits.attendance_api import router as attendance_router

api = NinjaAPI(
    title="Steward API",
    version="1",
    description=(
        "Steward: someone, by name, always answers for what the customer asked. "
        "Authenticate with `Authorization: Bearer <token>` (issue one with `manage.py issue_token <username>`)."
    ),
    auth=api_auth,
    urls_namespace="api-v1",
)


def _error(request: HttpRequest, status: int, code: str, message: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, **extra}, status=status)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    if exc.details:
        return _error(request, exc.status, exc.code, exc.message, details=exc.details)
    return _error(request, exc.status, exc.code, exc.message)


def _describe(error: dict[str, Any]) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "payload", "query", "path"))
    if error.get("type") == "extra_forbidden":
        return f"{where} is not a field this endpoint accepts"
    if error.get("type") == "missing":
        return f"{where} is required"
    return f"{where}: {error.get('msg', 'is not valid')}" if where else str(error.get("msg", "is not valid"))


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    details = [_describe(e) for e in exc.errors]
    message = "The request was not valid: " + "; ".join(details) + "." if details else "The request was not valid."
    return _error(request, 422, "invalid_input", message, errors=exc.errors)


# The customer's side of the API (its own token, see steward.consent.customer_api).
CUSTOMER_SIDE = "/api/v1/customer/"


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    if request.path.startswith(CUSTOMER_SIDE):
        message = "Sign in first: send 'Authorization: Bearer <token>' with your customer token (not a staff token)."
    else:
        message = "Sign in first: send 'Authorization: Bearer <token>' with an active staff member's token."
    return _error(request, 401, "not_authenticated", message)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", "There is nothing at that address.")


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "http_error", str(exc))


api.add_router("/", organisations_router)
api.add_router("/", needs_router)
api.add_router("/", customers_router)
api.add_router("/", preferences_router)
api.add_router("/", requests_router)
api.add_router("/", handovers_router)
api.add_router("/", agreements_router)
api.add_router("/", alerts_router)
api.add_router("/", notifications_router)
api.add_router("/", transfers_router)
api.add_router("/", access_router)
api.add_router("/", customer_side_router)
api.add_router("/", customer_attachments_router)
api.add_router("/", my_preferences_router)
api.add_router("/", privacy_router)
api.add_router("/", trusted_router)
api.add_router("/", care_router)
api.add_router("/", my_visits_router)
api.add_router("/", visits_router)
api.add_router("/", attendance_router)
