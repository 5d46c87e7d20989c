"""Notifications to named staff: "this breached and you are who it escalates to"."""

from __future__ import annotations

from django.db import models


class Notification(models.Model):
    """A message to one staff member, shown in their work list and sent by email."""

    class Kind(models.TextChoices):
        BREACH_ESCALATED = "breach_escalated", "Service level breached"
        OWNER_ASSIGNED = "owner_assigned", "Request now yours"
        HANDOVER_OFFERED = "handover_offered", "Request offered to you"
        HANDOVER_EXPIRING = "handover_expiring", "Offer to you about to expire"
        HANDOVER_ANSWERED = "handover_answered", "Your handover was answered"
        HANDOVER_NOT_ACCEPTED = "handover_not_accepted", "Handover declined or expired"
        ALERT_RAISED = "alert_raised", "Alert for you"
        TRANSFER_OFFERED = "transfer_offered", "Clients offered to your organisation"
        TRANSFER_NEEDS_DECISION = "transfer_needs_decision", "Transfer clients need your decision"
        TRANSFER_ANSWERED = "transfer_answered", "Transfer clients answered"
        CUSTOMER_CHASED = "customer_chased", "The customer says it is still not fixed"
        VISIT_TIME_CHANGED = "visit_time_changed", "A customer changed when a visit should start"

    recipient = models.ForeignKey("organisations.StaffMember", on_delete=models.PROTECT, related_name="notifications")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    request = models.ForeignKey("requests.Request", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox_idx")]

    def __str__(self) -> str:
        return f"To {self.recipient}: {self.title}"
