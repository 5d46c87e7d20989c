"""Test-suite wiring shared by every app.

Databases: the suite runs on whatever DATABASE_URL selects (SQLite when unset).
Tests marked ``postgres`` need PostgreSQL: on a SQLite run they are skipped with the
reason printed, and when STEWARD_REQUIRE_POSTGRES=1 (CI) they are deselected from the
SQLite pass instead, because CI runs the whole suite again on PostgreSQL where they must
pass; there, an unreachable PostgreSQL fails the run.

Browsers: tests marked ``browser`` drive /usr/bin/chromium; without it they skip with
the reason printed, or fail when STEWARD_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

REQUIRE_POSTGRES = os.environ.get("STEWARD_REQUIRE_POSTGRES") == "1"
REQUIRE_BROWSER = os.environ.get("STEWARD_REQUIRE_BROWSER") == "1"
CHROMIUM = os.environ.get("STEWARD_CHROMIUM", "/usr/bin/chromium")


def _database_is_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://", "pgsql://"))


def pytest_report_header(config: pytest.Config) -> list[str]:
    db = "PostgreSQL (" + os.environ["DATABASE_URL"].split("@")[-1] + ")" if _database_is_postgres() else "SQLite"
    browser = CHROMIUM if shutil.which(CHROMIUM) else f"absent ({CHROMIUM} not found)"
    lines = [f"steward: database {db}; browser {browser}"]
    if not _database_is_postgres() and REQUIRE_POSTGRES:
        # Printed here because under pytest-xdist collection happens in the workers.
        lines.append(
            "steward: tests marked `postgres` are deselected from this SQLite pass; "
            "they run in the PostgreSQL pass (DATABASE_URL=postgres://…)"
        )
    return lines


def pytest_configure(config: pytest.Config) -> None:
    if _database_is_postgres():
        import psycopg

        try:
            psycopg.connect(os.environ["DATABASE_URL"], connect_timeout=5).close()
        except psycopg.OperationalError as exc:
            pytest.exit(f"DATABASE_URL points at PostgreSQL but it cannot be reached: {exc}", returncode=3)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _database_is_postgres():
        return
    pg_only = [i for i in items if i.get_closest_marker("postgres")]
    if not pg_only:
        return
    if REQUIRE_POSTGRES:
        config.hook.pytest_deselected(items=pg_only)
        items[:] = [i for i in items if not i.get_closest_marker("postgres")]
        print(
            f"\nsteward: {len(pg_only)} PostgreSQL-only tests deselected from this SQLite pass; "
            "they run in the PostgreSQL pass."
        )
        return
    reason = "needs PostgreSQL: run `make test DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres`"
    for item in pg_only:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """On PostgreSQL, name this run's test databases uniquely (``test_postgres_gw0_<run>``):
    two test runs against one server at once (two terminals, CI and a developer) would
    otherwise create, use and drop the same databases under each other."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if "postgresql" not in database["ENGINE"]:
        return
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or str(os.getpid())
    test = database.setdefault("TEST", {})
    name = test.get("NAME") or f"test_{database['NAME']}"
    test["NAME"] = f"{name}_{run[:8]}"


@pytest.fixture
def chromium_path() -> str:
    if not shutil.which(CHROMIUM):
        message = f"needs Chromium at {CHROMIUM} (apt-get install -y chromium)"
        if REQUIRE_BROWSER:
            pytest.fail(message + " and STEWARD_REQUIRE_BROWSER=1")
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(autouse=True)
def _allow_flush_of_timeline(request: pytest.FixtureRequest) -> Iterator[None]:
    """Transactional tests end with a database flush that deletes timeline rows; that
    wipe goes through the rewrite guard like any legitimate rewrite would.

    The flush is not always torn down after this fixture: pytest-django's own autouse
    helper for ``live_server`` sets the database up before any conftest fixture, so its
    flush runs after this teardown. So a transactional test leaves the door open, and
    every test's set-up (this fixture again) decides afresh."""
    from steward.timeline import rewrite_guard

    marker = request.node.get_closest_marker("django_db")
    transactional = (
        "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
        or bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    )
    rewrite_guard._state.allowed = transactional
    yield
    if not transactional:
        rewrite_guard._state.allowed = False


@pytest.fixture
def demo(db: Any) -> Any:
    """The named demo world (see steward/demo/personas.py)."""
    from steward.demo import personas

    personas.load_demo()
    return personas


class ApiCaller:
    """Calls the JSON API as a given staff member, with a real bearer token."""

    def __init__(self) -> None:
        from django.test import Client

        self.client = Client()
        self._tokens: dict[int, str] = {}

    def _headers(self, staff: Any) -> dict[str, str]:
        if staff is None:
            return {}
        if staff.pk not in self._tokens:
            from steward.accounts.services import api_token_issue

            self._tokens[staff.pk] = api_token_issue(user=staff.user, label="test")[1]
        return {"Authorization": f"Bearer {self._tokens[staff.pk]}"}

    def get(self, path: str, *, as_: Any, **params: Any) -> Any:
        return self.client.get("/api/v1" + path, params, headers=self._headers(as_))

    def post(self, path: str, body: Any = None, *, as_: Any) -> Any:
        return self.client.post(
            "/api/v1" + path,
            body if body is not None else {},
            content_type="application/json",
            headers=self._headers(as_),
        )


@pytest.fixture
def api(db: Any) -> ApiCaller:
    return ApiCaller()
