"""I4 in the database: refuse UPDATE and DELETE on timeline events, whatever code runs.

(TRUNCATE, a table owner's whole-table wipe used by test flushes, is not row-level and
is not refused.)

The model and queryset refuse too; the triggers catch raw SQL and bulk paths, so the
customer's story cannot be rewritten behind the services' back."""

from django.db import migrations

# The escape hatch (steward.timeline.rewrite_guard) is a function on SQLite and a
# transaction-local setting on PostgreSQL; a connection without it (the sqlite3 shell)
# fails the WHEN clause and is refused as well.
SQLITE_UP = [
    """CREATE TRIGGER timeline_event_no_update BEFORE UPDATE ON timeline_timelineevent
       WHEN steward_timeline_rewrite_allowed() = 0
       BEGIN SELECT RAISE(ABORT, 'timeline events are append-only (I4): record a correction instead'); END""",
    """CREATE TRIGGER timeline_event_no_delete BEFORE DELETE ON timeline_timelineevent
       WHEN steward_timeline_rewrite_allowed() = 0
       BEGIN SELECT RAISE(ABORT, 'timeline events are append-only (I4): they are never deleted'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS timeline_event_no_update",
    "DROP TRIGGER IF EXISTS timeline_event_no_delete",
]
POSTGRES_UP = [
    """CREATE OR REPLACE FUNCTION timeline_event_refuse_change() RETURNS trigger AS $$
       BEGIN
         IF current_setting('steward.timeline_rewrite', true) = 'on' THEN
           RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
         END IF;
         RAISE EXCEPTION 'timeline events are append-only (I4): % refused', TG_OP
           USING ERRCODE = 'integrity_constraint_violation';
       END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER timeline_event_append_only BEFORE UPDATE OR DELETE ON timeline_timelineevent
       FOR EACH ROW EXECUTE FUNCTION timeline_event_refuse_change()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS timeline_event_append_only ON timeline_timelineevent",
    "DROP FUNCTION IF EXISTS timeline_event_refuse_change()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)  # no placeholders: keep the % in RAISE literal

    return run


class Migration(migrations.Migration):
    dependencies = [("timeline", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
