"""Coded domain errors.

Services raise these; the API turns them into ``{"code": ..., "message": ...}`` with the
HTTP status below, and pages show the message. The code is stable and machine-readable;
the message is a sentence a person can act on. Raising one inside a service's
``transaction.atomic`` block rolls the whole change back (I7: bad input changes nothing).
"""

from __future__ import annotations


class DomainError(Exception):
    """A refusal that the caller can fix or needs to know about."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        # Machine-readable particulars the caller can act on (e.g. who is left in a
        # transfer); the API returns them beside the code and the message.
        self.details = details
        if code is not None:
            self.code = code


class InvalidInput(DomainError):
    status = 400
    code = "invalid_input"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"


class Conflict(DomainError):
    """The request is valid but the current state of things does not allow it."""

    status = 409
    code = "conflict"
