"""Service agreements: a provider organisation delivering an ongoing service to a customer.

"Active service from provider X" is what a transfer between providers moves and what
the continuity (safeguarding) checks watch. The visits issue grows this into care
agreements with recurring visits; today an agreement says who provides, who
commissioned it, and which named coordinator answers for it.
"""

from __future__ import annotations

from django.db import models


class ServiceAgreement(models.Model):
    """One provider serving one customer, usually commissioned (paid for) by someone else.

    An active agreement always has a named, active coordinator at the provider: the
    person a safeguarding alert goes to and the customer's named contact for the service.
    Agreements are never moved between providers: a transfer ends the old one and starts
    a new one, so the history shows who provided what, when.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="agreements")
    provider = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="provided_agreements"
    )
    commissioner = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commissioned_agreements",
        help_text="Who arranged and pays for the service (e.g. the council); empty when the customer arranged it.",
    )
    team = models.ForeignKey("organisations.Team", on_delete=models.PROTECT, related_name="agreements")
    coordinator = models.ForeignKey(
        "organisations.StaffMember",
        on_delete=models.PROTECT,
        related_name="coordinated_agreements",
        help_text="The named person at the provider who answers for this service.",
    )
    service = models.CharField(
        max_length=200, help_text="What is provided, in plain words (e.g. 'Home care, 2 visits a day')."
    )
    contact_interval_days = models.PositiveIntegerField(
        default=7,
        help_text="For a vulnerable customer: raise a safeguarding alert when nobody has been in contact for longer.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(
                fields=["provider", "customer"],
                condition=models.Q(status="active"),
                name="agreement_active_provider_idx",
            ),
            models.Index(fields=["customer", "status"], name="agreement_customer_idx"),
            models.Index(
                fields=["coordinator"], condition=models.Q(status="active"), name="agreement_active_coord_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="active", ended_at__isnull=True)
                | models.Q(status="ended", ended_at__isnull=False),
                name="agreement_end_consistent",
            ),
            models.CheckConstraint(
                condition=models.Q(contact_interval_days__gte=1), name="agreement_interval_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} for customer #{self.customer_id} by {self.provider_id}"
