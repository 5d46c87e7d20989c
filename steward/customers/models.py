"""Customers: people, not accounts. No organisation owns a customer; organisations
hold parts of their record as stewards."""

from __future__ import annotations

from django.db import models


class Customer(models.Model):
    """A person who asks for help."""

    given_name = models.CharField(max_length=150)
    family_name = models.CharField(max_length=150, blank=True)
    preferred_name = models.CharField(max_length=150, blank=True, help_text="What they like to be called.")
    date_of_birth = models.DateField(null=True, blank=True)
    language = models.CharField(max_length=35, default="en", help_text="BCP 47 language tag, e.g. en, cy, ur.")
    accessibility_needs = models.TextField(blank=True)
    what_matters_to_me = models.TextField(blank=True)
    is_vulnerable = models.BooleanField(default=False)
    # "given family preferred", folded (name_folding.fold_name): what name search compares
    # against, so WHERE needs no functions. Its words are also kept as NameWord rows.
    search_name = models.CharField(max_length=460, db_index=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_name", "given_name", "id"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.given_name, self.family_name) if p)

    @property
    def known_as(self) -> str:
        return self.preferred_name or self.given_name


class ContactPoint(models.Model):
    """One way to reach a customer: an email address, a phone number or a postal address."""

    class Kind(models.TextChoices):
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone"
        ADDRESS = "address", "Postal address"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contact_points")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(max_length=500)
    # Email lower-cased, phone digits only (UK 0… written as 44…), postcode without spaces,
    # upper-cased: what search compares against.
    normalized = models.CharField(max_length=500, editable=False)
    postcode = models.CharField(max_length=12, blank=True)
    is_preferred = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["customer_id", "kind", "-is_preferred", "id"]
        indexes = [
            models.Index(fields=["kind", "normalized"], name="contact_kind_normalized_idx"),
            models.Index(fields=["postcode"], name="contact_postcode_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class ContactPreferences(models.Model):
    """How and when a customer wants to be contacted, and what helps them take part:
    their own choices, changed by them (portal or their API) through
    `customers.services.preferences_update`, read by staff through the read door as
    part of their contact details. A customer without a row has the defaults: no
    channel chosen, no quiet hours, Europe/London.

    The language, the free-text accessibility needs and "what matters to me" live on
    `Customer` (they were there first, and registration sets them); this row holds the
    rest. Nothing sends a message to the customer yet (see docs/portal.md), so these are
    shown to staff but not yet enforced by any sending code (principle 5, I6)."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone call"
        TEXT = "text", "Text message"
        LETTER = "letter", "Letter"
        IN_PERSON = "in_person", "In person"

    class AccessNeed(models.TextChoices):
        LARGE_PRINT = "large_print", "Large print"
        EASY_READ = "easy_read", "Easy read"
        BSL_INTERPRETER = "bsl_interpreter", "A British Sign Language interpreter"
        HEARING_LOOP = "hearing_loop", "A hearing loop"
        SCREEN_READER = "screen_reader", "Documents that work with a screen reader"
        MORE_TIME = "more_time", "More time to talk or to reply"

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="contact_preferences"
    )
    # Channel codes, most preferred first; empty: the customer has not said.
    channels = models.JSONField(default=list, blank=True)
    # Local times in `time_zone` between which nobody should contact them unasked; both
    # set or both empty. `quiet_from` later than `quiet_to` runs over midnight (21:00-08:00).
    quiet_from = models.TimeField(null=True, blank=True)
    quiet_to = models.TimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="Europe/London", help_text="IANA time zone name.")
    access_needs = models.JSONField(default=list, blank=True, help_text="AccessNeed codes.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "contact preferences"

    def __str__(self) -> str:
        return f"Contact preferences of customer {self.customer_id}"


class NameWord(models.Model):
    """One word of a customer's name, folded (see `name_folding`), so that anyone can be
    found by the start of any word of their name through an ordinary index. This is how
    name search works on SQLite; PostgreSQL searches ``Customer.search_name`` with
    trigrams instead. Written by the customer services whenever a name is set."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="name_words")
    word = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["word", "customer"], name="customer_name_word_idx")]
        constraints = [models.UniqueConstraint(fields=["customer", "word"], name="customer_name_word_once")]

    def __str__(self) -> str:
        return self.word
