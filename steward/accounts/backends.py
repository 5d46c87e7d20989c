"""The one sign-in check every password form goes through (the console's and the
admin's): a locked username or address is refused before the password is looked at.

API bearer tokens do not come this way and need not: a token is a long random secret
issued by the platform, stored as a digest and revoked by administrators, not something
a person can guess a few times (see `auth.StaffBearer`); a password cannot be used as a
token."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from .selectors import sign_in_lock


def client_address(request: HttpRequest | None) -> str | None:
    """The direct peer's address. A forwarded-for header is whatever the client says it
    is, so it is not trusted here (a proxy in front should set REMOTE_ADDR)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


class LockoutModelBackend(ModelBackend):
    """Django's username-and-password check, refused while the username or the address
    is locked (`accounts.services.sign_in_failure_record` counts the failures, through
    the ``user_login_failed`` signal; see `accounts.receivers`)."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is not None and sign_in_lock(username=username, address=client_address(request)) is not None:
            # Stops every backend; Django still sends user_login_failed, which counts
            # nothing while locked.
            raise PermissionDenied
        return super().authenticate(request, username=username, password=password, **kwargs)
