"""The only door through which timeline rows may be changed or removed.

The database refuses UPDATE and DELETE on timeline events (I4). Two things legitimately
need past it: erasure of a customer's personal data under the law (the consent work),
and wiping a whole database (tests, ``flush``). Both go through `timeline_rewrite_allowed`,
which opens the door for the current transaction (PostgreSQL: a transaction-local
setting) or the current thread's connection (SQLite: a function the trigger consults).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.db.backends.signals import connection_created
from django.dispatch import receiver

_state = threading.local()

SQLITE_FUNCTION = "steward_timeline_rewrite_allowed"


def _allowed() -> int:
    return 1 if getattr(_state, "allowed", False) else 0


@receiver(connection_created)
def _register_sqlite_function(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, 0, _allowed, deterministic=False)


@contextmanager
def timeline_rewrite_allowed() -> Iterator[None]:
    """Let the enclosed code change timeline rows. PostgreSQL needs an open transaction."""
    previous = getattr(_state, "allowed", False)
    _state.allowed = True
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('steward.timeline_rewrite', 'on', true)")
        yield
    finally:
        _state.allowed = previous
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('steward.timeline_rewrite', 'off', true)")
