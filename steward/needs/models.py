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
