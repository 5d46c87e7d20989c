"""The catalogue of needs: what customers ask for, in their words, each routed to the
team that answers for it. Organised by the customer's need, not by product or
department ("my carer didn't come", not "Domiciliary Care Contract Management")."""

from __future__ import annotations

from django.db import models


class Need(models.Model):
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="needs")
    code = models.SlugField(max_length=80, help_text="Stable identifier, e.g. carer-did-not-come.")
    title = models.CharField(max_length=200, help_text="In the customer's words.")
    description = models.TextField(blank=True, help_text="Examples, to help people choose.")
    team = models.ForeignKey("organisations.Team", on_delete=models.PROTECT, related_name="needs")
    first_response_minutes = models.PositiveIntegerField(help_text="Time allowed until someone first replies.")
    resolution_minutes = models.PositiveIntegerField(help_text="Time allowed until the request is resolved.")
    handover_response_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="How long a receiver has to accept a handover of such a request; "
        "empty: the organisation's setting, else one working day.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organisation__name", "title"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="need_code_unique_in_organisation"),
            models.CheckConstraint(
                condition=models.Q(first_response_minutes__gt=0)
                & models.Q(resolution_minutes__gte=models.F("first_response_minutes")),
                name="need_service_levels_sane",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class NeedTeamChange(models.Model):
    """A need was routed to another team.

    Nothing already under way moves by itself: a request keeps its named owner, and
    moving it is an offer the receiving team accepts (principle 2). These rows let the
    sweep find requests still sitting in a team that stopped handling their need after
    they were placed there, and ask their owners whether to offer them on.
    """

    need = models.ForeignKey(Need, on_delete=models.PROTECT, related_name="team_changes")
    from_team = models.ForeignKey("organisations.Team", on_delete=models.PROTECT, related_name="+")
    to_team = models.ForeignKey("organisations.Team", on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        "organisations.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["from_team", "need", "changed_at"], name="need_team_change_from_idx")]

    def __str__(self) -> str:
        return f"{self.need_id}: team {self.from_team_id} → {self.to_team_id}"
