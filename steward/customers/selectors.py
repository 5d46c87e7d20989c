"""Finding customers. Any active staff member may look a customer up, because any door
is the right door; what they may then read of the customer's story is decided by the
timeline and request selectors."""

from __future__ import annotations

from django.contrib.postgres.lookups import TrigramSimilar, TrigramWordSimilar
from django.contrib.postgres.search import TrigramSimilarity, TrigramWordSimilarity
from django.db import connection
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Concat, Greatest

from steward.errors import InvalidInput, NotFound

from .contact_normalisation import (
    looks_like_email,
    looks_like_phone,
    looks_like_postcode,
    looks_like_postcode_start,
    normalise_email,
    normalise_phone,
    normalise_postcode,
)
from .models import ContactPoint, ContactPreferences, Customer, NameWord
from .name_folding import WORD_MAX_LENGTH, fold_name
from .preferences import PreferencesView, preferences_view


def _with_contacts(qs: QuerySet[Customer]) -> QuerySet[Customer]:
    return qs.prefetch_related(
        Prefetch("contact_points", queryset=ContactPoint.objects.order_by("kind", "-is_preferred", "id"))
    )


def customer_get(*, customer_id: int) -> Customer:
    try:
        return _with_contacts(Customer.objects.all()).get(pk=customer_id)
    except Customer.DoesNotExist as exc:
        raise NotFound(f"There is no customer with id {customer_id}.", code="customer_not_found") from exc


def customer_ensure_exists(*, customer_id: int) -> None:
    """Raise not-found for an unknown customer (one cheap query, nothing loaded)."""
    if not Customer.objects.filter(pk=customer_id).exists():
        raise NotFound(f"There is no customer with id {customer_id}.", code="customer_not_found")


# What a search result shows: enough to tell which person this is, not their record
# (reading the record needs a purpose and goes through the consent read door).
MATCH_FIELDS = ("id", "given_name", "family_name", "preferred_name", "date_of_birth")
NAME_WORDS_USED = 5


def _prefix_range(prefix: str) -> tuple[str, str]:
    """[low, high) holding every string that starts with ``prefix``: a range an ordinary
    index serves on any database, where LIKE 'x%' needs the right collation to use one."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _as_matches(qs: QuerySet[Customer]) -> QuerySet[Customer]:
    """Only the identifying fields, and the postcodes of their addresses (prefetched as
    ``contact_points``: in a search result that holds addresses with a postcode only)."""
    postcodes = (
        ContactPoint.objects.filter(kind=ContactPoint.Kind.ADDRESS)
        .exclude(postcode="")
        .only("id", "customer_id", "postcode")
        .order_by("-is_preferred", "id")
    )
    return qs.only(*MATCH_FIELDS).prefetch_related(Prefetch("contact_points", queryset=postcodes))


def _by_contact(points: QuerySet[ContactPoint], exact: QuerySet[ContactPoint]) -> QuerySet[Customer]:
    """Customers with a matching contact point; those whose point matches exactly first."""
    return (
        Customer.objects.filter(pk__in=points.values("customer_id"))
        .annotate(exact=Exists(exact.filter(customer_id=OuterRef("pk"))))
        .order_by("-exact", "family_name", "given_name", "id")
    )


def _by_email(query: str) -> QuerySet[Customer]:
    email = normalise_email(query)
    emails = ContactPoint.objects.filter(kind=ContactPoint.Kind.EMAIL)
    low, high = _prefix_range(email)
    return _by_contact(emails.filter(normalized__gte=low, normalized__lt=high), emails.filter(normalized=email))


def _by_phone(query: str) -> QuerySet[Customer]:
    phone = normalise_phone(query)
    phones = ContactPoint.objects.filter(kind=ContactPoint.Kind.PHONE)
    low, high = _prefix_range(phone)
    return _by_contact(phones.filter(normalized__gte=low, normalized__lt=high), phones.filter(normalized=phone))


def _by_postcode(query: str) -> QuerySet[Customer]:
    postcode = normalise_postcode(query)
    # Only addresses have a postcode; filtering on kind as well would tempt SQLite into
    # the (kind, normalized) index and a walk through every address.
    addresses = ContactPoint.objects.all()
    if looks_like_postcode(query):
        return _by_contact(addresses.filter(postcode=postcode), addresses.filter(postcode=postcode))
    low, high = _prefix_range(postcode)  # "LS1" or "LS1 4": the start of a postcode
    return _by_contact(addresses.filter(postcode__gte=low, postcode__lt=high), addresses.filter(postcode=postcode))


def _name_tiers(words: list[str], folded: str) -> Case:
    """How well a name matches, best first: 0 the whole name as typed ("amina khan");
    1 every word typed is a whole word of the name ("khan"); 2 every word typed starts a
    word of the name ("kha"); 3 otherwise (a word typed is inside a word of the name,
    "mina", which only PostgreSQL finds)."""
    whole_words = Q()
    word_starts = Q()
    for word in words:
        whole_words &= Q(padded_name__contains=f" {word} ")
        word_starts &= Q(padded_name__contains=f" {word}")
    return Case(
        When(Q(search_name=folded) | Q(search_name__startswith=f"{folded} "), then=Value(0)),
        When(whole_words, then=Value(1)),
        When(word_starts, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )


def _word_starts_in_index(word: str) -> QuerySet[NameWord]:
    low, high = _prefix_range(word)
    return NameWord.objects.filter(word__gte=low, word__lt=high)


# Trigram indexes cannot look up fewer than three letters, and a spelling slip in fewer
# than five is more likely another name than a mistake.
TRIGRAM_MIN_WORD = 3
FUZZY_MIN_LENGTH = 5


def _by_name(query: str) -> QuerySet[Customer]:
    folded = fold_name(query)
    words = [w[:WORD_MAX_LENGTH] for w in folded.split()][:NAME_WORDS_USED]
    if not words:
        raise InvalidInput(
            "Type a name, email address, phone number or postcode to search.", code="query_not_searchable"
        )
    folded = " ".join(words)
    qs = Customer.objects.annotate(padded_name=Concat(Value(" "), F("search_name"), Value(" ")))
    if connection.vendor != "postgresql":
        # SQLite: every word typed starts a word of the name, each looked up as a range
        # of the (word, customer) index.
        for word in words:
            qs = qs.filter(pk__in=_word_starts_in_index(word).values("customer_id"))
        return qs.annotate(tier=_name_tiers(words, folded)).order_by("tier", "family_name", "given_name", "id")
    # PostgreSQL: every word inside the name (LIKE '%word%', served by the GIN trigram
    # index customers/0002 creates; a word too short for trigrams must start a word of
    # the name, through the NameWord index).
    inside = Q()
    for word in words:
        if len(word) >= TRIGRAM_MIN_WORD:
            inside &= Q(search_name__contains=word)
        else:
            inside &= Q(pk__in=_word_starts_in_index(word).values("customer_id"))
    matches = qs.filter(inside)
    if len(folded) < FUZZY_MIN_LENGTH or matches.exists():
        return matches.annotate(tier=_name_tiers(words, folded)).order_by("tier", "family_name", "given_name", "id")
    # Nobody has that name: perhaps it was misspelt. Names close to it by trigrams, the
    # whole name (similarity ≥ 0.3, pg_trgm's default) or a run of its words (word
    # similarity ≥ 0.6), through the same index; the closest first.
    near = Q(TrigramSimilar(F("search_name"), Value(folded))) | Q(
        TrigramWordSimilar(F("search_name"), Value(folded))  # search_name %> query
    )
    return (
        qs.filter(near)
        .annotate(
            closeness=Greatest(
                TrigramSimilarity("search_name", folded),
                TrigramWordSimilarity(folded, "search_name"),
            )
        )
        .order_by("-closeness", "family_name", "given_name", "id")
    )


def customer_search(*, query: str) -> QuerySet[Customer]:
    """Customers matching a name, email address, phone number or postcode, best match
    first. Callers take a slice (a page): the query set itself is not bounded.

    The kind of query is recognised from its shape:

    - ``amina.khan@example.org``, or its start (``amina.khan@``): email addresses;
    - ``07700 900123``, ``+44 7700 900123`` or their start: phone numbers, compared as
      digits;
    - ``LS1 4AP`` or ``ls14ap``, or the start of a postcode (``LS1``, ``LS1 4``);
    - anything else: names. Capitals, accents and punctuation do not matter; every word
      typed must start a word of the name (``am kh`` finds Amina Khan). On PostgreSQL a
      word may be any part of the name (``mina``) and a spelling slip is forgiven
      (``Amnia Khan``, ``Wiliams``).

    Results say who someone is (name, date of birth, postcodes) and nothing of their
    record: finding someone is not reading their record. Any active staff member may
    search, because any door is the right door.
    """
    query = (query or "").strip()
    if len(query) < 2:
        raise InvalidInput("Type at least two characters to search.", code="query_too_short")
    if looks_like_email(query):
        matches = _by_email(query)
    elif looks_like_phone(query):
        matches = _by_phone(query)
    elif looks_like_postcode(query) or looks_like_postcode_start(query):
        matches = _by_postcode(query)
    else:
        matches = _by_name(query)
    return _as_matches(matches)


def preferences_for(*, customer: Customer) -> PreferencesView:
    """The customer's contact preferences with their words; the defaults (nothing
    chosen, Europe/London) when they have never set any. At most one query."""
    try:
        preferences = customer.contact_preferences
    except ContactPreferences.DoesNotExist:
        preferences = ContactPreferences(customer=customer)
    return preferences_view(customer, preferences)


def customer_with_preferences(*, customer_id: int) -> Customer:
    """The customer with their contact preferences (if any) in one query."""
    try:
        return Customer.objects.select_related("contact_preferences").get(pk=customer_id)
    except Customer.DoesNotExist as exc:
        raise NotFound(f"There is no customer with id {customer_id}.", code="customer_not_found") from exc
