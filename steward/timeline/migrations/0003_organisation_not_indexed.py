"""Drop the index on TimelineEvent.organisation (reads start from the customer).

On SQLite, altering a column rebuilds the table, and a rebuilt table has lost its
triggers: the append-only triggers from 0002 are put back here. Any later migration
that alters this table must do the same (test_append_only fails if it does not)."""

import importlib

import django.db.models.deletion
from django.db import migrations, models

triggers = importlib.import_module("steward.timeline.migrations.0002_append_only_triggers")


def restore_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return  # PostgreSQL alters in place; its triggers are untouched
    for sql in triggers.SQLITE_DOWN + triggers.SQLITE_UP:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("organisations", "0001_initial"),
        ("timeline", "0002_append_only_triggers"),
    ]

    operations = [
        migrations.AlterField(
            model_name="timelineevent",
            name="organisation",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="organisations.organisation",
            ),
        ),
        migrations.RunPython(restore_sqlite_triggers, restore_sqlite_triggers),
    ]
