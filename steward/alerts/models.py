"""Alerts: something a named person must look at now, kept in their queue until resolved.

Safeguarding alerts (a vulnerable customer nobody has contacted), transfer clients
waiting for a commissioner's decision, and repairs the sweeps made (an owner who lost
access) all land here, each addressed to one named person, never to a team inbox.
"""

from __future__ import annotations

from django.db import models


class Alert(models.Model):
    """One thing a named person must act on.

    At most one open alert exists per (kind, subject): sweeps run again and again, and
    raising an alert that is already open changes nothing. ``subject`` says what the
    alert is about in a stable form (e.g. ``agreement:12``, ``transfer:3``).
    """

    class Kind(models.TextChoices):
        NO_CONTACT = "no_contact", "Safeguarding: no contact"
        TRANSFER_DECISION = "transfer_decision", "Transfer clients need a decision"
        OWNER_REPAIRED = "owner_repaired", "Coordinator replaced: the named person had left"
        TEAM_NO_LONGER_HANDLES = "team_no_longer_handles", "Request in a team that no longer handles its need"
        MISSED_VISIT = "missed_visit", "Safeguarding: visit missed"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    kind = models.CharField(max_length=30, choices=Kind.choices)
    subject = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    assigned_to = models.ForeignKey("organisations.StaffMember", on_delete=models.PROTECT, related_name="alerts")
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    request = models.ForeignKey("requests.Request", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    title = models.CharField(max_length=300)
    detail = models.TextField(blank=True)
    raised_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        "organisations.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(max_length=1000, blank=True, help_text="What was done, in the resolver's words.")

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["assigned_to", "status", "-raised_at"], name="alert_queue_idx"),
            models.Index(fields=["customer", "-raised_at"], name="alert_customer_idx"),
            # The continuity sweep asks when an agreement's last alert was resolved.
            models.Index(fields=["subject", "kind"], name="alert_subject_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject"], condition=models.Q(status="open"), name="one_open_alert_per_subject"
            ),
            models.CheckConstraint(
                condition=models.Q(status="open", resolved_at__isnull=True)
                | models.Q(status="resolved", resolved_at__isnull=False),
                name="alert_resolution_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"
