"""Grants, their receipts, and the log of every read of a customer's data.

The customer holds the keys (principle 6, invariant I5): an organisation may use a
customer's data only under a grant for a purpose, and every read by staff, allowed or
refused, leaves an entry in a log the customer can see and that nobody can quietly edit.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models

from .vocabulary import DataCategory, LawfulBasis, Purpose


class Grant(models.Model):
    """Permission for one organisation (optionally one team) to use some categories of
    a customer's data for one purpose, from ``starts_at`` until ``ends_at`` or until it
    is revoked. Grants are never edited: a change is a revocation and a new grant, each
    with a receipt."""

    class Source(models.TextChoices):
        CUSTOMER = "customer", "Given by the customer"
        STAFF = "staff", "Recorded by staff"
        AUTOMATIC = "automatic", "Made when a request or service started"

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="grants")
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="grants")
    team = models.ForeignKey(
        "organisations.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grants",
        help_text="Narrows the grant to one team; empty: the whole organisation.",
    )
    purpose = models.CharField(max_length=30, choices=Purpose.choices)
    categories = models.JSONField(help_text="Data categories covered (codes from DataCategory).")
    lawful_basis = models.CharField(max_length=30, choices=LawfulBasis.choices)
    reason = models.CharField(
        max_length=500, blank=True, help_text="Why, in words the customer reads (required unless based on consent)."
    )
    source = models.CharField(max_length=12, choices=Source.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        "organisations.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "organisation", "purpose"], name="grant_lookup_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True) | models.Q(ends_at__gt=models.F("starts_at")),
                name="grant_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(lawful_basis="consent") | ~models.Q(reason=""),
                name="grant_non_consent_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Grant #{self.pk}: {self.purpose} for organisation {self.organisation_id}"

    def covers(self, category: str) -> bool:
        return category in self.categories


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise RuntimeError("Receipts and access events are never changed.")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise RuntimeError("Receipts and access events are never deleted.")


class GrantReceipt(models.Model):
    """What happened to a grant, as the customer was shown it: a consent receipt
    (after Kantara / ISO/IEC 27560): who, what, when, and the wording shown."""

    class Action(models.TextChoices):
        GRANTED = "granted", "Granted"
        REVOKED = "revoked", "Revoked"

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="receipts")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="grant_receipts")
    action = models.CharField(max_length=10, choices=Action.choices)
    by = models.CharField(max_length=300, help_text="Who did it: the customer, or a named staff member.")
    wording = models.TextField(help_text="The words shown when it happened.")
    at = models.DateTimeField()

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Receipt #{self.pk}: {self.action} grant #{self.grant_id}"


class AccessEvent(models.Model):
    """One read of a customer's data by staff, allowed, refused or by break-glass, or
    by a trusted person of the customer's acting for them in the portal (``actor_kind``
    "trusted": no organisation or purpose; always allowed, since the customer chose them).

    Tamper-evident: each customer's events form a hash chain (``seq``, ``prev_hash``,
    ``hash``); `manage.py verify_access_log` recomputes every chain. Rows hold no more
    personal data than needed — ids, the staff member's name, codes, and a digest of any
    break-glass reason (the words themselves are kept beside the chain, outside the hash,
    so erasing them does not break it).
    """

    class Outcome(models.TextChoices):
        ALLOWED = "allowed", "Allowed"
        REFUSED = "refused", "Refused"
        BREAK_GLASS = "break_glass", "Emergency access"

    class Channel(models.TextChoices):
        API = "api", "API"
        PAGE = "page", "Staff console"
        PORTAL = "web", "The portal"

    class ActorKind(models.TextChoices):
        STAFF = "staff", "Staff member"
        TRUSTED_PERSON = "trusted", "Someone the customer trusts"

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="access_events")
    seq = models.PositiveIntegerField(help_text="Position in this customer's chain, from 1.")
    actor_kind = models.CharField(
        max_length=8,
        choices=ActorKind.choices,
        default=ActorKind.STAFF,
        help_text="Who read: a staff member (with organisation and purpose) or a trusted person of the customer's.",
    )
    staff = models.ForeignKey(
        "organisations.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    trusted_person = models.ForeignKey(
        "trusted.TrustedPerson", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    staff_name = models.CharField(max_length=300, help_text="The reader's name (a trusted person's, for them).")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    organisation_name = models.CharField(max_length=200, blank=True)
    purpose = models.CharField(
        max_length=30,
        choices=Purpose.choices,
        blank=True,
        help_text="Empty for a trusted person: they act for the customer.",
    )
    categories = models.JSONField()
    resource = models.CharField(max_length=100, help_text="What was read, e.g. 'timeline', 'request:12'.")
    channel = models.CharField(max_length=5, choices=Channel.choices)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    grant = models.ForeignKey(Grant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reason_digest = models.CharField(max_length=64, blank=True)
    reason = models.TextField(blank=True, help_text="Break-glass reason; outside the hash so it can be erased.")
    at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["customer_id", "-seq"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "seq"], name="access_chain_position_unique"),
            models.CheckConstraint(
                condition=models.Q(actor_kind="staff", staff__isnull=False, organisation__isnull=False)
                | models.Q(actor_kind="trusted", trusted_person__isnull=False, staff__isnull=True),
                name="access_actor_consistent",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "outcome", "-at"], name="access_org_outcome_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.staff_name} read {self.resource} of customer #{self.customer_id} ({self.outcome})"


class PrivacyRequest(models.Model):
    """A customer's request to see everything held about them (export, GDPR Art. 15/20)
    or to have it erased (Art. 17), on the statutory clock: answered within one calendar
    month of receipt (Art. 12(3)), by a named person — the data-protection lead of the
    organisation the customer asked (see `consent.privacy.data_protection_lead`).

    ``outcome`` is written so it never repeats the customer's name or contact details:
    it survives an erasure as the record that the request was answered.
    """

    class Kind(models.TextChoices):
        EXPORT = "export", "A copy of everything held about me"
        ERASURE = "erasure", "Erase my data"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        REFUSED = "refused", "Refused"

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="privacy_requests")
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="privacy_requests",
        help_text="The organisation the customer asked; its data-protection lead answers.",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED)
    received_at = models.DateTimeField()
    due_at = models.DateTimeField(help_text="End of the day one calendar month after receipt.")
    assigned_to = models.ForeignKey(
        "organisations.StaffMember", on_delete=models.PROTECT, related_name="privacy_requests"
    )
    opened_by = models.ForeignKey(
        "organisations.StaffMember",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The staff member who took it down; empty when the customer asked directly.",
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.ForeignKey(
        "organisations.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        "organisations.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.TextField(blank=True, help_text="What was done, or why it was refused (no personal data).")

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["assigned_to", "status", "due_at"], name="privacy_queue_idx"),
            models.Index(
                fields=["due_at"],
                condition=models.Q(status__in=["received", "in_progress"]),
                name="privacy_open_due_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["received", "in_progress"], completed_at__isnull=True)
                | models.Q(status__in=["done", "refused"], completed_at__isnull=False),
                name="privacy_request_completion_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"Privacy request #{self.pk}: {self.kind} for customer #{self.customer_id} ({self.status})"


class RetainedItem(models.Model):
    """Something an erasure kept, with the law that requires it and until when.

    The description names what is kept by kind and count (never the customer's name or
    contact details); after ``retain_until`` it is due for deletion."""

    privacy_request = models.ForeignKey(PrivacyRequest, on_delete=models.PROTECT, related_name="retained_items")
    category = models.CharField(max_length=40, help_text="A stable code, e.g. 'access_log'.")
    description = models.CharField(max_length=500)
    count = models.PositiveIntegerField(default=0)
    legal_reason = models.CharField(max_length=500)
    retain_until = models.DateField()

    class Meta:
        ordering = ["privacy_request_id", "category", "id"]

    def __str__(self) -> str:
        return f"Retained {self.category} of privacy request #{self.privacy_request_id}"


__all__ = [
    "AccessEvent",
    "DataCategory",
    "Grant",
    "GrantReceipt",
    "LawfulBasis",
    "PrivacyRequest",
    "Purpose",
    "RetainedItem",
]
