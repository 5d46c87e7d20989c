"""The customer's timeline: one append-only stream of everything that happened, across
requests, channels, teams and organisations. "Tell it once" rests on it."""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models


class AppendOnlyError(Exception):
    """Raised when code tries to change or remove a timeline event (I4)."""


class TimelineEventQuerySet(models.QuerySet["TimelineEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Timeline events are never changed; record a correction instead.")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise AppendOnlyError("Timeline events are never deleted.")


class TimelineEvent(models.Model):
    """One thing that happened in a customer's story.

    Append-only (I4): the model refuses updates and deletes, and database triggers refuse
    them too. A mistake is fixed by a new event whose ``corrects`` points at the old one.
    Names are copied in (``actor_name``, ``summary``) so reading a timeline is one indexed
    query on ``(customer, occurred_at)`` with no joins, and so the story still reads
    correctly after people change teams or leave.
    """

    class Kind(models.TextChoices):
        CUSTOMER_REGISTERED = "customer_registered", "Customer registered"
        CAPTURED = "captured", "Request captured"
        ROUTED = "routed", "Routed"
        MESSAGE_IN = "message_in", "Message from the customer"
        MESSAGE_OUT = "message_out", "Message to the customer"
        NOTE = "note", "Internal note"
        CORRECTION = "correction", "Correction"
        OWNER_CHANGED = "owner_changed", "Owner changed"
        STATUS_CHANGED = "status_changed", "Status changed"
        BREACHED = "breached", "Service level breached"
        ESCALATED = "escalated", "Escalated"
        HANDOVER_OFFERED = "handover_offered", "Offered to someone else"
        HANDOVER_ACCEPTED = "handover_accepted", "Handover accepted"
        HANDOVER_DECLINED = "handover_declined", "Handover declined"
        HANDOVER_WITHDRAWN = "handover_withdrawn", "Handover withdrawn"
        HANDOVER_EXPIRED = "handover_expired", "Handover not answered in time"
        SERVICE_STARTED = "service_started", "Service started"
        SERVICE_ENDED = "service_ended", "Service ended"
        CONTACT_RECORDED = "contact_recorded", "Visit or call recorded"
        TRANSFER_OFFERED = "transfer_offered", "Offered to a new provider"
        TRANSFER_ACCEPTED = "transfer_accepted", "New provider accepted"
        TRANSFER_DECLINED = "transfer_declined", "New provider declined"
        TRANSFER_EXPIRED = "transfer_expired", "New provider did not answer in time"
        TRANSFER_KEPT = "transfer_kept", "Kept with the current provider"
        ALERT_RAISED = "alert_raised", "Safeguarding alert raised"
        ALERT_RESOLVED = "alert_resolved", "Safeguarding alert resolved"
        GRANT_GIVEN = "grant_given", "Permission given"
        GRANT_REVOKED = "grant_revoked", "Permission withdrawn"
        BREAK_GLASS = "break_glass", "Record opened in an emergency"
        TRUSTED_PERSON_ADDED = "trusted_person_added", "Trusted person named"
        TRUSTED_PERSON_CHANGED = "trusted_person_changed", "Trusted person's access changed"
        TRUSTED_PERSON_REVOKED = "trusted_person_revoked", "Trusted person's access ended"
        ATTACHMENT_ADDED = "attachment_added", "Photo or document added"
        PREFERENCES_CHANGED = "preferences_changed", "Contact preferences changed"
        CARE_VISITS_CHANGED = "care_visits_changed", "Care visits changed"
        VISIT_TIME_CHANGED = "visit_time_changed", "Preferred visit time changed"
        VISITS_PLANNED = "visits_planned", "Visits planned"
        VISIT_MOVED = "visit_moved", "Visit changed in a draft plan"
        VISIT_CHECKED_IN = "visit_checked_in", "Carer arrived"
        VISIT_CHECKED_OUT = "visit_checked_out", "Carer left"
        VISIT_MISSED = "visit_missed", "Visit missed"

    class Channel(models.TextChoices):
        WEB = "web", "Web"
        PHONE = "phone", "Phone"
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"
        IN_PERSON = "in_person", "In person"
        SYSTEM = "system", "Steward"

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="timeline")
    # The organisation whose work this event records: who may see it before the customer
    # issues grants to others (see timeline.selectors).
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        # No index of its own: reads always start from the customer. With one, SQLite's
        # planner (without statistics) preferred it and read an organisation's whole history.
        db_index=False,
    )
    request = models.ForeignKey(
        "requests.Request", on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    channel = models.CharField(max_length=12, choices=Channel.choices, default=Channel.SYSTEM)
    actor = models.ForeignKey(
        "organisations.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=300, help_text="Who did it, as the customer should read it.")
    summary = models.CharField(max_length=500, help_text="One plain sentence about what happened.")
    body = models.TextField(blank=True, help_text="What was said, for messages and notes.")
    is_internal = models.BooleanField(default=False, help_text="Staff-only note, not shown to the customer.")
    data = models.JSONField(default=dict, blank=True)
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections")
    occurred_at = models.DateTimeField(db_index=False)

    objects = TimelineEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at", "-id"], name="timeline_customer_recent_idx"),
            models.Index(fields=["request", "-occurred_at"], name="timeline_request_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.summary}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("Timeline events are never changed; record a correction instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Timeline events are never deleted.")
