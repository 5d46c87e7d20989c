"""Keeping the database's query planner informed.

PostgreSQL's autovacuum keeps planner statistics fresh by itself. SQLite keeps none
unless asked (`ANALYZE`); without them it guesses, and on a large database it guessed
badly (see docs/performance.md: 0.5 s timeline pages that take 7 ms with statistics).
The worker calls `planner_statistics_refresh` when it starts and then every hour.
"""

from __future__ import annotations

from django.db import connection

# Rows SQLite samples per index; keeps ANALYZE to a second or two on a large database.
SQLITE_ANALYSIS_LIMIT = 1000


def planner_statistics_refresh() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
            cursor.execute("ANALYZE")
        elif connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
