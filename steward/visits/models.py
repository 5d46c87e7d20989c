"""The schedule: which carer visits whom, when, on a given day, and what actually happened.

A *schedule run* is one go of the scheduler for an organisation over one or more days
(a background task, with progress). It produces a draft *schedule* per day; publishing
it makes it the plan carers see (and supersedes the one published before). A *visit* is
one occurrence of a visit pattern on a day, the thing the customer waits for; its
*assignments* say which carer(s) come and when. A visit the scheduler could not place
stays on the schedule as ``unplaced`` with the reason: never silently dropped.

Carers check in and out of each assignment; a visit nobody checked in to in time is
``missed`` and raises an alert for the agreement's coordinator.
"""

from __future__ import annotations

from django.db import models


class ScheduleRun(models.Model):
    """One run of the scheduler for an organisation's days, run in the background."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Planning"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    first_day = models.DateField()
    last_day = models.DateField(help_text="Inclusive.")
    seed = models.PositiveIntegerField(default=0, help_text="The same seed and input give the same plan.")
    time_limit_seconds = models.PositiveIntegerField(default=30)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress_percent = models.PositiveSmallIntegerField(default=0)
    progress_message = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(
        "organisations.StaffMember",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when Steward started it (e.g. after a customer changed their preferred time).",
    )
    reason = models.CharField(max_length=300, blank=True, help_text="Why it was run, in plain words.")
    summary = models.JSONField(default=dict, blank=True, help_text="The run's report figures.")
    error = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "-created_at"], name="schedule_run_org_recent_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(last_day__gte=models.F("first_day")), name="run_days_ordered"),
            models.CheckConstraint(condition=models.Q(progress_percent__lte=100), name="run_progress_percent"),
        ]

    def __str__(self) -> str:
        return f"Schedule run #{self.pk} ({self.first_day}-{self.last_day})"


class Schedule(models.Model):
    """The plan for one organisation's day: a draft until published; one published at a time."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        SUPERSEDED = "superseded", "Replaced by a newer plan"

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    run = models.ForeignKey(ScheduleRun, on_delete=models.PROTECT, null=True, blank=True, related_name="schedules")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        "organisations.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    summary = models.JSONField(default=dict, blank=True, help_text="The day's report figures.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "-id"]
        indexes = [models.Index(fields=["organisation", "day", "status"], name="schedule_org_day_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "day"],
                condition=models.Q(status="published"),
                name="schedule_one_published_per_day",
            ),
        ]

    def __str__(self) -> str:
        return f"Schedule for {self.day} ({self.status})"


class Visit(models.Model):
    """One visit to a customer on a day, from a visit pattern, with its windows as instants."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        UNPLACED = "unplaced", "Could not be planned"
        IN_PROGRESS = "in_progress", "Carer there now"
        DONE = "done", "Done"
        MISSED = "missed", "Missed"
        CANCELLED = "cancelled", "Cancelled"

    class UnplacedReason(models.TextChoices):
        NO_SKILLED_CARER = "no_skilled_carer", "No carer with the skills needed works that day"
        NO_CARER_FREE = "no_carer_free", "Every carer who could go is busy in the acceptable window"
        WINDOW_TOO_TIGHT = "window_too_tight", "The acceptable window is too short for travel and the visit"
        NO_SECOND_CARER = "no_second_carer", "No second carer is free at the same time"
        ALL_CARERS_EXCLUDED = "all_carers_excluded", "Every carer who could go is one the customer excluded"
        OUTSIDE_SHIFTS = "outside_shifts", "The acceptable window falls outside every shift"

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="visits")
    pattern = models.ForeignKey("care.VisitPattern", on_delete=models.PROTECT, related_name="visits")
    care_agreement = models.ForeignKey("care.CareAgreement", on_delete=models.PROTECT, related_name="visits")
    # Denormalised: the customer's "your visits this week" and sharding by customer.
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="visits")
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    preferred_start = models.DateTimeField()
    preferred_end = models.DateTimeField()
    acceptable_start = models.DateTimeField()
    acceptable_end = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField()
    planned_start = models.DateTimeField(null=True, blank=True, help_text="Empty when unplaced.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    unplaced_reason = models.CharField(max_length=30, choices=UnplacedReason.choices, blank=True)
    unplaced_detail = models.CharField(max_length=500, blank=True)
    minutes_outside_preferred = models.PositiveIntegerField(default=0)
    with_usual_carer = models.BooleanField(null=True, blank=True, help_text="Empty when the customer has none yet.")
    missed_alert = models.ForeignKey("alerts.Alert", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["planned_start", "id"]
        indexes = [
            models.Index(fields=["customer", "day"], name="visit_customer_day_idx"),
            models.Index(fields=["schedule", "status"], name="visit_schedule_status_idx"),
            models.Index(
                fields=["status", "planned_start"],
                condition=models.Q(status="planned"),
                name="visit_planned_start_idx",
            ),
            # The missing-carer sweep starts from the few visits in progress, not from
            # every carer's part ever planned (drafts and history included).
            models.Index(
                fields=["status", "planned_start"],
                condition=models.Q(status="in_progress"),
                name="visit_in_progress_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="unplaced", planned_start__isnull=True, unplaced_reason__gt="")
                | (~models.Q(status="unplaced") & models.Q(planned_start__isnull=False))
                | models.Q(status="cancelled"),
                name="visit_unplaced_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Visit #{self.pk} on {self.day} ({self.status})"


class VisitAssignment(models.Model):
    """A carer's part in a visit (two for a double-handed one), and their check-in and out."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="assignments")
    carer = models.ForeignKey("care.Carer", on_delete=models.PROTECT, related_name="assignments")
    position = models.PositiveSmallIntegerField(default=1, help_text="1, or 2 for the second carer.")
    planned_start = models.DateTimeField()
    planned_end = models.DateTimeField()
    travel_minutes = models.PositiveIntegerField(default=0, help_text="Travel to get here from the previous place.")
    route_order = models.PositiveSmallIntegerField(help_text="Order in the carer's day, from 1.")
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    # Set when the visit began (another carer checked in) but this carer never came:
    # the alert that says so (see visits.missed).
    missed_alert = models.ForeignKey("alerts.Alert", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["planned_start", "position"]
        indexes = [models.Index(fields=["carer", "planned_start"], name="assignment_carer_start_idx")]
        constraints = [
            models.UniqueConstraint(fields=["visit", "position"], name="assignment_position_unique"),
            models.CheckConstraint(condition=models.Q(position__in=[1, 2]), name="assignment_position_valid"),
            models.CheckConstraint(
                condition=models.Q(checked_out_at__isnull=True) | models.Q(checked_in_at__isnull=False),
                name="assignment_out_after_in",
            ),
        ]

    def __str__(self) -> str:
        return f"Carer #{self.carer_id} at visit #{self.visit_id}"
