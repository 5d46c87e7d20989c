"""Handovers: moving responsibility for a request is an offer the receiver accepts.

Until an offer is accepted, the sender still owns the request and is still the name the
customer sees (I2). Nobody is missed off the list because nothing moves silently.
"""

from __future__ import annotations

from django.db import models


class HandoverOffer(models.Model):
    """An offer to hand one request to a named person, a team, or another organisation.

    A team or an organisation accepts by one of its active members accepting; that person
    becomes the owner. Declining needs a reason; an offer nobody answers by ``respond_by``
    expires. Either way the sender keeps the request and their supervisor is told.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"
        EXPIRED = "expired", "Expired"

    class Target(models.TextChoices):
        PERSON = "person", "A named person"
        TEAM = "team", "A team"
        ORGANISATION = "organisation", "An organisation"

    request = models.ForeignKey("requests.Request", on_delete=models.PROTECT, related_name="handover_offers")
    sender = models.ForeignKey(
        "organisations.StaffMember",
        on_delete=models.PROTECT,
        related_name="handovers_sent",
        help_text="The owner when the offer was made: they keep answering for it until it is accepted.",
    )
    offered_by = models.ForeignKey(
        "organisations.StaffMember",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The owner or one of the people they answer to.",
    )
    target = models.CharField(max_length=12, choices=Target.choices)
    to_organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    to_team = models.ForeignKey("organisations.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_staff = models.ForeignKey(
        "organisations.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="handovers_received"
    )
    reason = models.CharField(max_length=500)
    note_for_receiver = models.TextField(
        blank=True, help_text="What you need to know, so the customer never re-tells it."
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    respond_by = models.DateTimeField()
    created_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(
        "organisations.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    response_reason = models.CharField(max_length=500, blank=True, help_text="Why it was declined or withdrawn.")
    reminded_at = models.DateTimeField(
        null=True, blank=True, help_text="When the receivers were reminded that the offer is about to expire."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["respond_by"], condition=models.Q(status="pending"), name="handover_pending_due_idx"),
            models.Index(fields=["to_staff", "status"], name="handover_to_staff_idx"),
            models.Index(fields=["to_team", "status"], name="handover_to_team_idx"),
            models.Index(fields=["to_organisation", "status"], name="handover_to_org_idx"),
        ]
        constraints = [
            # One open offer per request: two receivers could otherwise both accept.
            models.UniqueConstraint(
                fields=["request"], condition=models.Q(status="pending"), name="one_open_offer_per_request"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(target="person", to_staff__isnull=False)
                    | models.Q(target="team", to_staff__isnull=True, to_team__isnull=False)
                    | models.Q(target="organisation", to_staff__isnull=True, to_team__isnull=True)
                ),
                name="handover_target_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"Offer of request #{self.request_id} ({self.get_status_display()})"

    @property
    def target_label(self) -> str:
        """The receiver as the customer reads it."""
        if self.target == self.Target.PERSON and self.to_staff is not None:
            return f"{self.to_staff.display_name} at {self.to_organisation.name}"
        if self.target == self.Target.TEAM and self.to_team is not None:
            return f"the {self.to_team.name} team at {self.to_organisation.name}"
        return self.to_organisation.name
