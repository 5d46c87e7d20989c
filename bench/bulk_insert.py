"""Writing many rows fast: COPY on PostgreSQL, one ``executemany`` per batch on SQLite.

The ORM's ``bulk_create`` builds a model instance per row and is several times slower
at millions of rows. Rows here are plain tuples, in the order of the field names a
`TableWriter` was made with, holding what the model would hold:

- datetimes are timezone-aware (UTC); on SQLite they are written the way Django writes
  them (naive UTC text), so ORM comparisons on them keep working;
- JSON columns take JSON *text* (the generator serialises once per row);
- foreign keys are ids.

Ids are given explicitly, so the generator can point rows at each other without reading
anything back; `sequences_reset` then moves PostgreSQL's id sequences past them.

`indexes_and_foreign_keys_deferred` drops the tables' secondary indexes for the
duration of a load and builds them again afterwards from their own DDL, and checks
foreign keys once at the end instead of per row: building an index once is much faster
than updating eight of them per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TextIO

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max, Model

from .progress import ProgressBar

Row = tuple[Any, ...]


def _sqlite_datetime(value: datetime | None) -> str | None:
    # The text django.db.backends.sqlite3.operations.adapt_datetimefield_value writes
    # (naive UTC, "YYYY-MM-DD HH:MM:SS[.ffffff]"): an aware UTC isoformat minus "+00:00".
    if value is None:
        return None
    if value.utcoffset():
        raise ValueError(f"Datetimes for the benchmark must be in UTC, not {value.tzinfo}.")
    return value.isoformat(" ")[:-6]


class TableWriter:
    """Appends rows to one model's table."""

    def __init__(self, model: type[Model], fields: Sequence[str]) -> None:
        meta = model._meta
        self.model = model
        self.fields = list(fields)
        self.table = meta.db_table
        model_fields = [meta.get_field(name) for name in fields]
        self.columns = [f.column for f in model_fields]  # type: ignore[union-attr]
        self.rows_written = 0
        self._adapters: list[tuple[int, Callable[[Any], Any]]] = []
        if connection.vendor == "sqlite":
            for i, field in enumerate(model_fields):
                kind = field.get_internal_type()
                if kind == "DateTimeField":
                    self._adapters.append((i, _sqlite_datetime))
                elif kind == "DateField":
                    self._adapters.append((i, lambda d: None if d is None else d.isoformat()))
        quote = connection.ops.quote_name
        column_list = ", ".join(quote(c) for c in self.columns)
        self._copy_sql = f"COPY {quote(self.table)} ({column_list}) FROM STDIN"
        placeholders = ", ".join(["%s"] * len(self.columns))
        self._insert_sql = f"INSERT INTO {quote(self.table)} ({column_list}) VALUES ({placeholders})"

    def next_id(self) -> int:
        """The first free id: rows already in the table keep theirs."""
        return (self.model.objects.aggregate(top=Max("id"))["top"] or 0) + 1

    def write(self, rows: list[Row]) -> None:
        """Insert `rows` in the caller's transaction."""
        if not rows:
            return
        if self._adapters:
            adapters = self._adapters
            adapted = []
            for row in rows:
                values = list(row)
                for i, adapt in adapters:
                    values[i] = adapt(values[i])
                adapted.append(tuple(values))
            rows = adapted
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.copy(self._copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(self._insert_sql, rows)
        self.rows_written += len(rows)


def sequences_reset(models: Sequence[type[Model]]) -> None:
    """After explicit ids, make the next ORM insert get an id past them (PostgreSQL;
    SQLite's AUTOINCREMENT keeps track by itself)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _secondary_indexes(model: type[Model]) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of each index on the model's table that is not
    a primary key or unique constraint, as the database itself describes it."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                [table],
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                [table],
            )
        else:
            return []
        return [(name, sql) for name, sql in cursor.fetchall()]


def _foreign_keys(model: type[Model]) -> list[tuple[str, str]]:
    """(name, definition) of the foreign-key constraints on the model's table (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = %s::regclass",
            [model._meta.db_table],
        )
        return [(name, definition) for name, definition in cursor.fetchall()]


@contextmanager
def indexes_and_foreign_keys_deferred(
    models: Sequence[type[Model]],
    *,
    progress_stream: TextIO | None = None,
) -> Iterator[None]:
    """Load without secondary indexes and per-row foreign-key checks, then restore both.

    Indexes are dropped and created again from their own DDL. Foreign keys are checked
    once at the end instead of per row: PostgreSQL adds the dropped constraints again
    (which validates every row); SQLite, which cannot drop a constraint, turns
    enforcement off for the connection and runs ``PRAGMA foreign_key_check`` after.
    Either way a row pointing nowhere fails the load.

    Only for a database the bench owns: while the load runs, queries on these tables
    have no indexes. Must run outside a transaction (SQLite ignores the pragma inside one).
    If the load fails the schema is still restored as the migrations made it.
    """
    tables = [model._meta.db_table for model in models]
    indexes = [index for model in models for index in _secondary_indexes(model)]
    postgres = connection.vendor == "postgresql"
    foreign_keys = [(model._meta.db_table, fk) for model in models for fk in _foreign_keys(model)] if postgres else []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {quote(name)}")
        for table, (name, _) in foreign_keys:
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        progress = ProgressBar("indexes", len(indexes) + len(foreign_keys), stream=progress_stream)
        with connection.cursor() as cursor:
            for name, sql in indexes:
                cursor.execute(sql)
                progress.advance(1, detail=name)
            for table, (name, definition) in foreign_keys:
                cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
                progress.advance(1, detail=name)
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA foreign_keys = ON")
                for table in tables:
                    cursor.execute(f"PRAGMA foreign_key_check({quote(table)})")
                    broken = cursor.fetchall()
                    if broken:
                        raise RuntimeError(
                            f"{len(broken)} rows of {table} point at rows that do not exist: {broken[:5]}"
                        )
        progress.finish()
