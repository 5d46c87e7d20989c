"""Transfers: moving many clients from one provider to others, client by client.

A commissioner (usually the council) opens a transfer when a provider closes or loses
its contract. Every listed client is offered to a receiving provider; each one ends
accepted, or explicitly kept with a named decision, and the transfer cannot be
completed while any client has no accepting provider (I3). Nobody is missed off the list.
"""

from __future__ import annotations

from django.db import models


class Transfer(models.Model):
    """One commissioner's move of clients away from one provider.

    ``commissioner`` is the named person who answers for clients nobody accepts: declined
    and expired clients escalate to them, and they must re-offer or keep each one.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Listing clients"
        OFFERING = "offering", "Making offers"
        OPEN = "open", "Waiting for providers"
        COMPLETE = "complete", "Complete"

    commissioning_organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="transfers_commissioned"
    )
    commissioner = models.ForeignKey(
        "organisations.StaffMember",
        on_delete=models.PROTECT,
        related_name="transfers_commissioned",
        help_text="Answers for every client no provider has accepted yet.",
    )
    from_provider = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="transfers_out"
    )
    reason = models.CharField(max_length=500)
    note_for_receivers = models.TextField(blank=True)
    respond_within_days = models.PositiveIntegerField(
        default=5, help_text="Working days each receiving provider has to answer for a client."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey("organisations.StaffMember", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        "organisations.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status"], name="transfer_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(respond_within_days__gte=1, respond_within_days__lte=60),
                name="transfer_respond_days_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Transfer #{self.pk} from {self.from_provider_id}"


class TransferReceiver(models.Model):
    """A provider that receives clients in a transfer, with how many it can take."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="receivers")
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="Most clients it can take in this transfer; empty: no limit."
    )

    class Meta:
        ordering = ["transfer_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["transfer", "organisation"], name="transfer_receiver_unique"),
        ]

    def __str__(self) -> str:
        return f"Receiver #{self.organisation_id} in transfer #{self.transfer_id}"


class TransferClient(models.Model):
    """One client in a transfer, and where they stand.

    ``listed``: not yet offered (the offering run picks them up, resumably);
    ``pending``: offered to ``to_provider``, who has until ``respond_by`` to answer;
    ``accepted``: the receiving provider took them: ``owner`` answers for them now;
    ``declined``/``expired``: nobody accepted; the commissioner must re-offer or keep;
    ``kept``: the commissioner decided, with a reason, that they stay where they are.
    """

    class Status(models.TextChoices):
        LISTED = "listed", "Listed, not offered yet"
        PENDING = "pending", "Offered, waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Not answered in time"
        KEPT = "kept", "Kept with the current provider"

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="clients")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="transfers")
    to_provider = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    mapped_explicitly = models.BooleanField(
        default=False, help_text="The commissioner chose the receiver; otherwise it was balanced by capacity."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.LISTED)
    status_since = models.DateTimeField()
    respond_by = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(
        null=True, blank=True, help_text="When the receiver was reminded that this offer is about to expire."
    )
    offer_round = models.PositiveIntegerField(default=0, help_text="How many times this client has been offered.")
    owner = models.ForeignKey(
        "organisations.StaffMember",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Accepted clients: the named person at the receiving provider who answers for them.",
    )
    answered_by = models.ForeignKey(
        "organisations.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answer_reason = models.CharField(max_length=500, blank=True, help_text="Why the receiver declined.")
    decided_by = models.ForeignKey(
        "organisations.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_reason = models.CharField(max_length=500, blank=True, help_text="Why the commissioner kept the client.")
    requests_moved = models.PositiveIntegerField(default=0)
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["transfer_id", "id"]
        indexes = [
            models.Index(fields=["transfer", "status"], name="transfer_client_status_idx"),
            models.Index(fields=["to_provider", "status"], name="transfer_client_receiver_idx"),
            models.Index(fields=["respond_by"], condition=models.Q(status="pending"), name="transfer_client_due_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["transfer", "customer"], name="transfer_client_once"),
            # A client can be in one unresolved transfer at a time: two could otherwise
            # both accept them and the customer would have two providers.
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(status__in=["listed", "pending", "declined", "expired"]),
                name="one_unresolved_transfer_per_client",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="accepted") | models.Q(owner__isnull=False, to_provider__isnull=False),
                name="accepted_client_has_owner",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="pending") | models.Q(to_provider__isnull=False, respond_by__isnull=False),
                name="pending_client_has_receiver",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="kept") | ~models.Q(decision_reason=""),
                name="kept_client_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Client #{self.customer_id} in transfer #{self.transfer_id} ({self.status})"
