"""A customer's request, and the one person who answers for it."""

from __future__ import annotations

from django.db import models

from . import attachment_files
from .lifecycle import IN_PLAY, Status


class Channel(models.TextChoices):
    """How the request reached us. Any door is the right door."""

    WEB = "web", "Web"
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    IN_PERSON = "in_person", "In person"


class Request(models.Model):
    """Something a customer asked for.

    An open request always has exactly one owner: a named, active staff member, never a
    queue (I1). Only the services in ``requests.services`` set ``owner`` or ``status``;
    the database refuses an ownerless request that is not closed.

    Service clocks: ``first_response_due`` and ``resolution_due`` come from the need's
    service levels at capture; while the request waits on the customer the clocks pause
    (``paused_at``) and resume shifted by the pause. ``due_at`` is the next deadline
    that matters now, kept by the services so queues sort on one indexed column.
    """

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="requests")
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="requests")
    need = models.ForeignKey("needs.Need", on_delete=models.PROTECT, related_name="requests")
    team = models.ForeignKey("organisations.Team", on_delete=models.PROTECT, related_name="requests")
    owner = models.ForeignKey(
        "organisations.StaffMember", on_delete=models.PROTECT, null=True, related_name="owned_requests"
    )
    owner_since = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    channel = models.CharField(max_length=12, choices=Channel.choices)
    subject = models.CharField(max_length=200)
    description = models.TextField(help_text="What the customer said, in their words.")
    captured_by = models.ForeignKey(
        "organisations.StaffMember",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="captured_requests",
        help_text="The staff member who took it down; empty when the customer asked directly.",
    )

    first_response_due = models.DateTimeField()
    resolution_due = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    first_response_breached_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveIntegerField(default=0)

    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["owner", "status", "due_at"], name="request_owner_queue_idx"),
            models.Index(fields=["team", "status", "due_at"], name="request_team_queue_idx"),
            models.Index(fields=["customer", "-created_at"], name="request_customer_idx"),
            # Queues list the requests still in play, most urgent first: partial indexes
            # that hold exactly those rows in that order let a page stop after 25 rows.
            models.Index(
                fields=["team", "due_at", "id"], condition=models.Q(status__in=IN_PLAY), name="request_team_inplay_idx"
            ),
            models.Index(
                fields=["owner", "due_at", "id"],
                condition=models.Q(status__in=IN_PLAY),
                name="request_owner_inplay_idx",
            ),
            # The sweep looks only for deadlines not yet flagged; already-breached requests
            # drop out of these indexes, so a backlog of old breaches costs nothing.
            models.Index(
                fields=["first_response_due"],
                condition=models.Q(
                    status=Status.OPEN, first_responded_at__isnull=True, first_response_breached_at__isnull=True
                ),
                name="request_first_response_due_idx",
            ),
            models.Index(
                fields=["resolution_due"],
                condition=models.Q(status=Status.OPEN, resolution_breached_at__isnull=True),
                name="request_resolution_due_idx",
            ),
            models.Index(
                fields=["resolved_at"], condition=models.Q(status=Status.RESOLVED), name="request_resolved_idx"
            ),
        ]
        constraints = [
            # I1, in the database too: only a closed request may lack an owner.
            models.CheckConstraint(
                condition=models.Q(status=Status.CLOSED) | models.Q(owner__isnull=False),
                name="open_request_has_owner",
            ),
            models.CheckConstraint(condition=models.Q(status__in=Status.values), name="request_status_known"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"


class Attachment(models.Model):
    """A photo or document added to a request, by the customer or by staff working on it.

    The bytes are kept through the ``attachments`` storage under ``storage_name`` (a
    random name); what kind of file it is was decided from the bytes (``content_type``),
    never from its name. ``message`` is the timeline entry it came with, when it came
    with words. ``added_by`` says whose side added it; ``added_by_name`` is copied in, as
    on the timeline, so it reads correctly after people move on. A trusted person acting
    for the customer will be a third kind of author (``trusted_person``), named in
    ``added_by_name``.

    On erasure the file is deleted and the readable fields are blanked (``erased_at``);
    the row stays, as evidence that something was added, by which side and when.
    """

    class AddedBy(models.TextChoices):
        CUSTOMER = "customer", "The customer"
        STAFF = "staff", "Staff"
        TRUSTED_PERSON = "trusted_person", "Someone the customer trusts"

    request = models.ForeignKey(Request, on_delete=models.PROTECT, related_name="attachments")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="attachments")
    message = models.ForeignKey(
        "timeline.TimelineEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The message it came with, if any.",
    )
    added_by = models.CharField(max_length=20, choices=AddedBy.choices)
    added_by_staff = models.ForeignKey(
        "organisations.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    added_by_name = models.CharField(max_length=300)
    filename = models.CharField(max_length=255, help_text="What the person called it, made safe to show.")
    content_type = models.CharField(max_length=100, help_text="Detected from the bytes.")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=300)
    created_at = models.DateTimeField()
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["request", "created_at"], name="attachment_request_idx"),
            models.Index(fields=["customer", "created_at"], name="attachment_customer_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(added_by__in=["customer", "staff", "trusted_person"]),
                name="attachment_added_by_known",
            ),
            models.CheckConstraint(
                condition=~models.Q(added_by="staff") | models.Q(added_by_staff__isnull=False),
                name="staff_attachment_names_staff",
            ),
        ]

    def __str__(self) -> str:
        return f"Attachment #{self.pk} on request #{self.request_id}"

    @property
    def size_in_words(self) -> str:
        return attachment_files.size_in_words(self.size)
