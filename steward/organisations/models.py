"""Organisations that serve people, the teams inside them, and their staff with a
reporting line (who each person answers to)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Organisation(models.Model):
    """A council, a care provider, a housing association, a bank…

    Organisations do not own customers: they hold a customer's record as stewards.
    """

    class Kind(models.TextChoices):
        COUNCIL = "council", "Council"
        CARE_PROVIDER = "care_provider", "Care provider"
        HOUSING = "housing", "Housing"
        BANK = "bank", "Bank"
        UTILITY = "utility", "Utility"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    handover_response_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="How long receivers have to accept handovers of this organisation's requests; "
        "empty: one working day.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A group of staff inside one organisation that needs are routed to."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80)
    lead = models.ForeignKey(
        "StaffMember",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Wins ties when routing picks the member with the least open work.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organisation__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="team_slug_unique_in_organisation"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"


class StaffMember(models.Model):
    """A person working for an organisation, in a team, answering to a supervisor.

    ``supervisor`` is null only for the head of the organisation; following supervisors
    upwards gives the person's *escalation chain*, which customers see by name.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="staff")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, null=True, blank=True, related_name="members")
    supervisor = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="direct_reports"
    )
    job_title = models.CharField(max_length=200, blank=True)
    # Denormalised from the user so lists and the timeline show names without a join.
    display_name = models.CharField(max_length=300)
    is_active = models.BooleanField(default=True)
    is_org_admin = models.BooleanField(
        default=False, help_text="May set up teams, staff and needs for this organisation."
    )
    deactivated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name"]
        indexes = [models.Index(fields=["team", "is_active"], name="staff_team_active_idx")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(supervisor=models.F("id")), name="staff_not_own_supervisor"),
        ]

    def __str__(self) -> str:
        return self.display_name
