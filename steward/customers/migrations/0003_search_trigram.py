"""Customer search that copes with how names are typed, and stays fast at 100,000+ people.

1. ``NameWord``: each word of a customer's name, folded, indexed by (word, customer), so
   SQLite finds anyone by the start of any word of their name without reading every row.
2. Every existing name is folded again (accents and punctuation dropped, which the old
   ``search_name`` kept) and its words written; phone numbers written "+44 (0)…" get the
   same key as "0…".
3. PostgreSQL only: the ``pg_trgm`` extension and a GIN trigram index on
   ``customers_customer.search_name``, which serve "any part of the name" (LIKE
   '%…%') and spelling slips (similarity). SQLite skips this step.

``CREATE EXTENSION pg_trgm`` needs a role allowed to create it: a superuser, or on
PostgreSQL 13+ (where pg_trgm is a trusted extension) the database's owner or a role
with CREATE on it. If the migration's role cannot, ask the database administrator to run
``CREATE EXTENSION IF NOT EXISTS pg_trgm;`` in the database once, then migrate again.
"""

import re
import unicodedata

import django.db.models.deletion
from django.db import migrations, models

BATCH = 5000

# A copy of steward.customers.name_folding as it stood when this migration was written:
# a migration must keep doing what it did even if that module changes later.
_LETTERS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i"})
_APOSTROPHES = re.compile(r"['’‘`ʼ]")
_WORD = re.compile(r"[^\W_]+")


def _fold(value):
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_LETTERS)
    return " ".join(_WORD.findall(_APOSTROPHES.sub("", bare)))


def names_fold_and_index(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    ContactPoint = apps.get_model("customers", "ContactPoint")
    NameWord = apps.get_model("customers", "NameWord")
    db = schema_editor.connection.alias
    changed = []
    words = []
    rows = (
        Customer.objects.using(db)
        .order_by("id")
        .values_list("id", "given_name", "family_name", "preferred_name", "search_name")
    )
    for pk, given, family, preferred, stored in rows.iterator(chunk_size=BATCH):
        if not stored:  # erased: nothing left to find them by
            continue
        folded = _fold(" ".join(p for p in (given, family, preferred) if p))[:460]
        if folded != stored:
            changed.append((folded, pk))
        words.extend(NameWord(customer_id=pk, word=w[:64]) for w in dict.fromkeys(folded.split()))
        if len(words) >= BATCH:
            NameWord.objects.using(db).bulk_create(words, batch_size=BATCH)
            words = []
    NameWord.objects.using(db).bulk_create(words, batch_size=BATCH)
    table = schema_editor.quote_name(Customer._meta.db_table)
    with schema_editor.connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET search_name = %s WHERE id = %s", changed)
    # "+44 (0)7700 900123" used to keep the trunk 0 ("4407700900123"); now it is
    # "447700900123", as "07700 900123" is.
    for point in ContactPoint.objects.using(db).filter(kind="phone", normalized__startswith="440"):
        point.normalized = "44" + point.normalized[3:]
        point.save(update_fields=["normalized"])


def trigram_index_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            cursor.execute("SAVEPOINT steward_pg_trgm")
            try:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except Exception as exc:
                cursor.execute("ROLLBACK TO SAVEPOINT steward_pg_trgm")
                raise RuntimeError(
                    "Customer search needs PostgreSQL's pg_trgm extension, and this database role may not create "
                    f"it ({exc}). Ask your database administrator to run CREATE EXTENSION IF NOT EXISTS pg_trgm; "
                    "in this database (as a superuser, or the database's owner on PostgreSQL 13 or later), then run "
                    "migrate again. See docs/architecture.md, 'Searching for a customer'."
                ) from exc
            cursor.execute("RELEASE SAVEPOINT steward_pg_trgm")
        cursor.execute(
            "CREATE INDEX IF NOT EXISTS customer_search_name_trgm ON customers_customer "
            "USING gin (search_name gin_trgm_ops)"
        )


def trigram_index_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # The extension stays: something else in the database may use it.
        schema_editor.execute("DROP INDEX IF EXISTS customer_search_name_trgm")


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_contact_preferences")]

    operations = [
        migrations.CreateModel(
            name="NameWord",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("word", models.CharField(max_length=64)),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="name_words",
                        to="customers.customer",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["word", "customer"], name="customer_name_word_idx")],
                "constraints": [
                    models.UniqueConstraint(fields=("customer", "word"), name="customer_name_word_once")
                ],
            },
        ),
        migrations.RunPython(names_fold_and_index, migrations.RunPython.noop),
        migrations.RunPython(trigram_index_create, trigram_index_drop),
    ]
