"""Finding a customer: by name however it is typed, by email, phone or postcode; the
best match first; only who they are, never their record; staff only."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import reverse

from steward.accounts.models import User
from steward.accounts.services import customer_token_issue
from steward.customers.models import ContactPoint, Customer, NameWord
from steward.customers.selectors import customer_search
from steward.customers.services import ContactPointData
from steward.customers.tests.factories import make_customer
from steward.errors import InvalidInput
from steward.organisations.tests.factories import OrganisationFactory, make_staff


@pytest.fixture
def council(db: Any) -> Any:
    return OrganisationFactory(name="Northshire Council")


def register(council: Any, given: str, family: str = "", **kwargs: Any) -> Customer:
    points = kwargs.pop("points", [])
    return make_customer(
        organisation=council,
        given_name=given,
        family_name=family,
        contact_points=[ContactPointData(**p) for p in points],
        **kwargs,
    )


def names(query: str) -> list[str]:
    return [c.full_name for c in customer_search(query=query)[:20]]


@pytest.fixture
def people(council: Any) -> dict[str, Customer]:
    return {
        "amina": register(
            council,
            "Amina",
            "Khan",
            preferred_name="Mina",
            points=[
                {"kind": "email", "value": "Amina.Khan@Example.org"},
                {"kind": "phone", "value": "+44 (0)7700 900123"},
                {"kind": "address", "value": "4 Mill Lane", "postcode": "ls1 4ap"},
            ],
        ),
        "zoe": register(council, "Zoë", "O'Brien-Smith", points=[{"kind": "phone", "value": "0113 496 0000"}]),
        "sara": register(
            council, "Sara", "Khan", points=[{"kind": "address", "value": "9 Park Rd", "postcode": "LS14 2BB"}]
        ),
        "ann": register(council, "Ann", "Lee"),
        "anna": register(council, "Anna", "Leeson"),
        "annabel": register(council, "Annabel", "Lee"),
        "williams": register(council, "David", "Williams"),
    }


# --- each kind of query finds them -------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "Amina Khan",
        "amina",
        "KHAN",
        "Khan Amina",  # any order
        "am kh",  # the start of each word
        "mina",  # her preferred name
        "  amina   khan ",
    ],
)
def test_a_name_finds_her_however_it_is_typed(people, query):
    assert "Amina Khan" in names(query)


@pytest.mark.parametrize("query", ["zoe", "Zoë", "ZOE OBRIEN", "zoe o'brien", "O’Brien", "smith", "obrien-smith"])
def test_accents_capitals_and_punctuation_do_not_matter(people, query):
    assert names(query) == ["Zoë O'Brien-Smith"]


@pytest.mark.parametrize("query", ["amina.khan@example.org", "AMINA.KHAN@EXAMPLE.ORG", "amina.khan@", "amina.khan@exa"])
def test_an_email_address_or_its_start_finds_her(people, query):
    assert names(query) == ["Amina Khan"]


@pytest.mark.parametrize(
    "query", ["07700 900123", "07700900123", "+44 7700 900123", "+44 (0)7700-900-123", "0044 7700 900123", "07700 900"]
)
def test_a_phone_number_in_any_format_or_its_start_finds_her(people, query):
    assert names(query) == ["Amina Khan"]


@pytest.mark.parametrize("query", ["LS1 4AP", "ls14ap", " ls1  4ap "])
def test_a_postcode_with_or_without_the_space_finds_her(people, query):
    assert names(query) == ["Amina Khan"]


def test_the_start_of_a_postcode_finds_everyone_there(people):
    # LS1 is also the start of LS14: both, and nobody without an address there.
    assert sorted(names("LS1")) == ["Amina Khan", "Sara Khan"]
    assert names("LS14 2") == ["Sara Khan"]


def test_nobody_matches_politely(people):
    assert names("zzzz nobody") == []
    assert names("nobody@example.org") == []
    assert names("01632 000000") == []
    assert names("ZZ9 9ZZ") == []


@pytest.mark.parametrize("query", ["", " ", "a", " k "])
def test_too_short_a_query_is_refused(people, query):
    with pytest.raises(InvalidInput) as refused:
        customer_search(query=query)
    assert refused.value.code == "query_too_short"


def test_punctuation_alone_is_refused_with_a_reason(people):
    with pytest.raises(InvalidInput) as refused:
        customer_search(query="--")
    assert refused.value.code == "query_not_searchable"


# --- ranking -------------------------------------------------------------------------------


def test_the_exact_name_comes_first(people):
    found = names("ann lee")
    assert found[0] == "Ann Lee"
    # Whole words before the starts of words: Annabel Lee and Anna Leeson come after.
    assert set(found[1:]) == {"Annabel Lee", "Anna Leeson"}


def test_a_whole_word_ranks_above_the_start_of_one(people):
    found = names("lee")
    assert found[:2] == ["Ann Lee", "Annabel Lee"]  # whole word "lee", then by name
    assert found[2] == "Anna Leeson"


def test_an_exact_email_ranks_above_a_longer_one_it_starts(council, people):
    register(council, "Amina", "Khanum", points=[{"kind": "email", "value": "amina.khan@example.org.uk"}])
    assert names("amina.khan@example.org") == ["Amina Khan", "Amina Khanum"]


# --- what a result says --------------------------------------------------------------------


def test_results_identify_the_person_without_reading_their_record(people, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):  # (PostgreSQL: is anyone called that?) the matches, their postcodes
        found = list(customer_search(query="amina khan")[:20])
    amina = found[0]
    assert amina.full_name == "Amina Khan" and amina.preferred_name == "Mina"
    # Only addresses' postcodes come along: no email address, phone number or street.
    assert [p.postcode for p in amina.contact_points.all()] == ["LS14AP"]
    deferred = amina.get_deferred_fields()
    assert {"accessibility_needs", "what_matters_to_me", "is_vulnerable", "language"} <= deferred


def test_the_api_answers_who_they_are_not_their_record(api, people, council):
    dan = make_staff(organisation=council)
    body = api.get("/customers", as_=dan, q="LS1 4AP").json()
    assert body["count"] == 1
    assert body["items"][0] == {
        "id": people["amina"].pk,
        "full_name": "Amina Khan",
        "preferred_name": "Mina",
        "date_of_birth": None,
        "postcodes": ["LS14AP"],
    }


def test_search_is_paged_and_the_query_count_does_not_grow(api, council, django_assert_max_num_queries):
    dan = make_staff(organisation=council)
    for n in range(3):
        register(council, "Kim", f"Page{n}", points=[{"kind": "address", "value": "1 A St", "postcode": "NS1 1AA"}])
    api.get("/customers", as_=dan, q="kim")  # warm: the token's first use is written down once
    with django_assert_max_num_queries(6) as few:
        small = api.get("/customers", as_=dan, q="kim", limit=50).json()
    for n in range(3, 30):
        register(council, "Kim", f"Page{n}", points=[{"kind": "address", "value": "1 A St", "postcode": "NS1 1AA"}])
    with django_assert_max_num_queries(len(few.captured_queries)):
        many = api.get("/customers", as_=dan, q="kim", limit=50).json()
    assert small["count"] == 3 and many["count"] == 30 and len(many["items"]) == 30
    page = api.get("/customers", as_=dan, q="kim", limit=10, offset=10).json()
    assert [c["full_name"] for c in page["items"]] == [f"Kim Page{n}" for n in sorted(range(30), key=str)][10:20]


def test_the_console_shows_at_most_twenty(council):
    dan = make_staff(organisation=council)
    for n in range(25):
        register(council, "Kim", f"Many{n:02d}")
    client = Client()
    client.force_login(dan.user)
    page = " ".join(client.get(reverse("console:capture"), {"q": "kim"}).content.decode().split())
    assert page.count("Capture for Kim") == 20
    assert "showing the first 20, so add more detail to narrow it down" in page


# --- keeping the search keys right ---------------------------------------------------------


def test_registering_writes_the_folded_name_and_its_words(council):
    zoe = register(council, "Zoë", "O'Brien-Smith", preferred_name="Zo")
    assert zoe.search_name == "zoe obrien smith zo"
    assert sorted(NameWord.objects.filter(customer=zoe).values_list("word", flat=True)) == [
        "obrien",
        "smith",
        "zo",
        "zoe",
    ]


def test_an_erased_customer_is_not_found_by_name(council, people):
    # What erasure does to the person (steward.consent.erasure): emptied, contact points
    # and everything else that is theirs alone deleted, name words included.
    amina = people["amina"]
    for relation in (ContactPoint, NameWord):
        relation.objects.filter(customer=amina).delete()
    Customer.objects.filter(pk=amina.pk).update(given_name="[erased]", family_name="", search_name="")
    assert "Amina Khan" not in names("amina") and names("amina.khan@example.org") == []


def test_the_migration_folds_old_names_and_writes_their_words(council, people):
    migration = importlib.import_module("steward.customers.migrations.0003_search_trigram")
    zoe = people["zoe"]
    Customer.objects.filter(pk=zoe.pk).update(search_name="zoë o'brien-smith")  # as 0001 wrote it
    NameWord.objects.all().delete()
    ContactPoint.objects.filter(kind="phone", customer=people["amina"]).update(normalized="4407700900123")

    migration.names_fold_and_index(apps, connection.schema_editor())

    zoe.refresh_from_db()
    assert zoe.search_name == "zoe obrien smith"
    assert names("obrien") == ["Zoë O'Brien-Smith"]
    assert names("+44 7700 900123") == ["Amina Khan"]
    assert NameWord.objects.count() == sum(len(set(c.search_name.split())) for c in Customer.objects.all())


# --- who may search ------------------------------------------------------------------------


def test_signed_out_visitors_cannot_search(people):
    response = Client().get(reverse("console:capture"), {"q": "amina"})
    assert response.status_code == 302 and "Amina" not in response.content.decode()


def test_a_signed_in_person_without_a_staff_record_cannot_search(people):
    client = Client()
    client.force_login(User.objects.create_user("visitor", password="x-long-password"))
    response = client.get(reverse("console:capture"), {"q": "amina"})
    assert response.status_code == 403 and "Amina Khan" not in response.content.decode()


def test_the_api_refuses_no_token_and_a_customers_token(api, people):
    assert api.get("/customers", as_=None, q="khan").status_code == 401
    _, token = customer_token_issue(customer=people["sara"])
    response = api.client.get("/api/v1/customers", {"q": "khan"}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_a_deactivated_staff_member_cannot_search(api, council, people):
    from steward.organisations.services import staff_deactivate

    head = make_staff(organisation=council)
    dan = make_staff(organisation=council)
    api.get("/customers", as_=dan, q="khan")  # a token issued while active
    staff_deactivate(staff=dan, actor=head, reason="Left")
    assert api.get("/customers", as_=dan, q="khan").status_code in (401, 403)


def test_staff_of_any_organisation_may_search_because_any_door_is_the_right_door(api, people):
    other = make_staff(organisation=OrganisationFactory(name="Sunrise Care"))
    body = api.get("/customers", as_=other, q="amina.khan@example.org").json()
    assert [c["full_name"] for c in body["items"]] == ["Amina Khan"]


# --- PostgreSQL: any part of a name, and spelling slips (pg_trgm) ---------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(("query", "who"), [("mina kha", "Amina Khan"), ("brie", "Zoë O'Brien-Smith")])
def test_any_part_of_a_name_finds_them_on_postgresql(people, query, who):
    assert who in names(query)


@pytest.mark.postgres
@pytest.mark.parametrize(("query", "who"), [("Amnia Khan", "Amina Khan"), ("Wiliams", "David Williams")])
def test_a_spelling_slip_is_forgiven_on_postgresql(people, query, who):
    assert who in names(query)


@pytest.mark.postgres
def test_close_spellings_only_when_nobody_matches_on_postgresql(people):
    # Close spellings are offered only when nobody has the name as typed.
    assert names("amina khan") == ["Amina Khan"]
    assert names("amnia khan")[0] == "Amina Khan"  # then others close to it, such as Sara Khan


@pytest.mark.postgres
def test_the_trigram_index_serves_name_search_on_postgresql(people):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'customer_search_name_trgm'")
        assert "gin_trgm_ops" in cursor.fetchone()[0]
        sql, params = customer_search(query="amnia khan").query.sql_with_params()
        cursor.execute("SET LOCAL enable_seqscan = off")  # a handful of rows would be scanned otherwise
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "customer_search_name_trgm" in plan
