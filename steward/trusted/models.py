"""Trusted people: someone a customer names to act for them in the portal — a daughter,
a son, a friend, an advocate. The customer decides what they may do (scopes) and can
end it at any time; whatever the trusted person does is recorded as them, on behalf of
the customer."""

from __future__ import annotations

from datetime import datetime

from django.db import models

from .permissions import Scope


class TrustedPerson(models.Model):
    """One person the customer trusts to act for them, identified by their own email
    address (they sign in with it; they need not be a customer themselves).

    Current while not revoked and before ``ends_at``. At most one current-or-ended,
    unrevoked entry per customer and address: changing what someone may do changes this
    row (and writes a timeline event), it does not add another.
    """

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="trusted_people")
    name = models.CharField(max_length=200, help_text="Their name, as the customer and staff read it.")
    email = models.CharField(max_length=254, help_text="Their own email address, lower-cased; they sign in with it.")
    relationship = models.CharField(max_length=100, help_text="In the customer's words: daughter, advocate, friend…")
    scopes = models.JSONField(default=list, help_text="What they may do: codes of steward.trusted.permissions.Scope.")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True, help_text="When it ends by itself; empty: until revoked.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["customer_id", "name", "id"]
        indexes = [models.Index(fields=["email"], name="trusted_email_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "email"],
                condition=models.Q(revoked_at__isnull=True),
                name="trusted_one_unrevoked_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.relationship}) for customer #{self.customer_id}"

    def is_current(self, at: datetime) -> bool:
        return self.revoked_at is None and (self.ends_at is None or self.ends_at > at)

    def may(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def acting_name(self) -> str:
        """How what they do is signed: 'Sara Khan (for Amina Khan)'."""
        return f"{self.name} (for {self.customer.full_name})"

    def scope_labels(self) -> list[str]:
        return [Scope(s).label for s in Scope.values if s in self.scopes]
