"""The bench's own databases, kept apart from the developer's: ``var/bench.sqlite3`` and a
PostgreSQL database ``steward_bench`` (BENCH_POSTGRES_URL).

A dataset is reused while the database's marker row (table ``bench_dataset``, written
after a generation completes) records the size asked for; otherwise the database is
thrown away and built again. A database without a marker holds an interrupted
generation and is thrown away too.

This module runs in the orchestrating process, before Django is set up, so it talks to
the databases with their drivers directly.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from .parameters import DatasetSize

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/steward_bench"
MARKER_TABLE = "bench_dataset"
MARKER_COLUMNS = ("customers", "requests", "events", "seed", "staff", "generation_seconds", "generated_at")
MARKER_DDL = (
    f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (customers bigint NOT NULL, requests bigint NOT NULL, "
    "events bigint NOT NULL, seed bigint NOT NULL, staff bigint NOT NULL, generation_seconds double precision "
    "NOT NULL, generated_at varchar(40) NOT NULL)"
)


@dataclass(frozen=True)
class Marker:
    """What the last completed generation built, and how long it took."""

    customers: int
    requests: int
    events: int
    seed: int
    staff: int
    generation_seconds: float
    generated_at: str

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Marker:
        return cls(int(row[0]), int(row[1]), int(row[2]), int(row[3]), int(row[4]), float(row[5]), str(row[6]))

    def matches(self, size: DatasetSize, *, seed: int, staff: int) -> bool:
        return (self.customers, self.requests, self.events, self.seed, self.staff) == (
            size.customers,
            size.requests,
            size.events,
            seed,
            staff,
        )


@dataclass(frozen=True)
class BenchDatabase:
    """One database the bench runs on. ``url`` becomes the child process's DATABASE_URL."""

    name: str  # "sqlite" or "postgresql": the child's command-line argument and file names
    url: str

    def marker(self) -> Marker | None:
        """The marker of the dataset in the database, if a generation completed there."""
        query = f"SELECT {', '.join(MARKER_COLUMNS)} FROM {MARKER_TABLE}"
        if self.name == "sqlite":
            path = self.sqlite_path
            if not path.exists():
                return None
            with sqlite3.connect(path) as connection:
                try:
                    row = connection.execute(query).fetchone()
                except sqlite3.OperationalError:  # no marker table
                    return None
            return Marker.from_row(row) if row else None
        with psycopg.connect(self.url, connect_timeout=5) as connection:
            try:
                row = connection.execute(query).fetchone()
            except psycopg.errors.UndefinedTable:
                return None
        return Marker.from_row(row) if row else None

    def wipe(self) -> None:
        """Throw the database away and start an empty one."""
        if self.name == "sqlite":
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.sqlite_path}{suffix}").unlink(missing_ok=True)
            self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            return
        name = self.postgres_name
        with psycopg.connect(_admin_conninfo(self.url), autocommit=True, connect_timeout=5) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    @property
    def sqlite_path(self) -> Path:
        return Path(self.url.removeprefix("sqlite:///"))

    @property
    def postgres_name(self) -> str:
        return str(conninfo_to_dict(self.url)["dbname"])


def _admin_conninfo(url: str) -> str:
    """The same server, connected to its ``postgres`` database (to create or drop ours)."""
    return make_conninfo(url, dbname="postgres")


def sqlite_database() -> BenchDatabase:
    var_dir = Path(os.environ.get("STEWARD_VAR_DIR", BASE_DIR / "var"))
    return BenchDatabase("sqlite", f"sqlite:///{var_dir / 'bench.sqlite3'}")


def postgres_database() -> BenchDatabase | str:
    """The PostgreSQL bench database, created if missing; or why it cannot be used."""
    url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    try:
        name = str(conninfo_to_dict(url).get("dbname") or "")
    except psycopg.ProgrammingError as exc:
        return f"BENCH_POSTGRES_URL is not a PostgreSQL URL ({exc})"
    if not name or name in {"postgres", "template0", "template1"}:
        return f"BENCH_POSTGRES_URL must name a database of the bench's own, not {name or 'none'!r}"
    try:
        with psycopg.connect(_admin_conninfo(url), autocommit=True, connect_timeout=5) as connection:
            exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        where = url.split("@")[-1]
        return f"PostgreSQL at {where} is not reachable ({str(exc).strip().splitlines()[0]})"
    return BenchDatabase("postgresql", url)
