"""Counting sign-ins as Django reports them, whichever form they came through."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from .backends import client_address
from .services import sign_in_failure_record, sign_in_succeeded


@receiver(user_login_failed, dispatch_uid="steward_sign_in_failed")
def count_failure(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    username = credentials.get("username")
    if isinstance(username, str) and username.strip():
        sign_in_failure_record(username=username, address=client_address(request))


@receiver(user_logged_in, dispatch_uid="steward_sign_in_succeeded")
def clear_failures(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    sign_in_succeeded(username=user.get_username())
