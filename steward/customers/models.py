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
