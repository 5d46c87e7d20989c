"""Care agreements and the carers who deliver them (issue 6, principle 7).

A *care agreement* is the visits part of a service agreement: where the customer lives
and the recurring visits they receive, each with the customer's **preferred** start
window (when they want the carer to come) inside a wider **acceptable** window (the
latest and earliest they will put up with). *Carers* are staff members who visit, with
skills, weekly shifts, absences and a place they start from. *Travel times* between two
places come from a documented speed model unless an imported matrix (e.g. from OSRM)
says otherwise.

Times of day (windows, shifts) are wall-clock times in the organisation's time zone
(``settings.TIME_ZONE``); the schedule turns them into instants for a given day.
"""

from __future__ import annotations

from django.db import models


class Skill(models.Model):
    """Something a visit needs and a carer can do (personal care, medication, hoist…)."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="skills")
    code = models.SlugField(max_length=60, help_text="Short stable code, e.g. 'medication'.")
    name = models.CharField(max_length=200, help_text="In plain words, e.g. 'Help with medication'.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="skill_code_unique_in_organisation"),
        ]

    def __str__(self) -> str:
        return self.name


class Carer(models.Model):
    """A staff member who visits customers at home, with what they can do and where they start."""

    class TravelMode(models.TextChoices):
        CAR = "car", "Car"
        WALK = "walk", "On foot"
        BICYCLE = "bicycle", "Bicycle"
        PUBLIC_TRANSPORT = "public_transport", "Public transport"

    staff = models.OneToOneField("organisations.StaffMember", on_delete=models.PROTECT, related_name="carer")
    # Denormalised from the staff member: schedules are built per organisation.
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="carers")
    skills = models.ManyToManyField(Skill, blank=True, related_name="carers")
    start_address = models.CharField(max_length=300, blank=True, help_text="Where their day starts and ends.")
    start_latitude = models.FloatField()
    start_longitude = models.FloatField()
    travel_mode = models.CharField(max_length=20, choices=TravelMode.choices, default=TravelMode.CAR)
    contracted_minutes_per_day = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Working minutes a day before it counts as overtime; empty: the length of the day's shift.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["staff__display_name"]
        indexes = [models.Index(fields=["organisation", "is_active"], name="carer_org_active_idx")]

    def __str__(self) -> str:
        return f"Carer #{self.pk} (staff #{self.staff_id})"


class Shift(models.Model):
    """When a carer works on one day of the week, and the break they take in it.

    A shift does not cross midnight. The break, when there is one, is ``break_minutes``
    long and starts between ``break_earliest`` and ``break_latest``.
    """

    carer = models.ForeignKey(Carer, on_delete=models.CASCADE, related_name="shifts")
    weekday = models.PositiveSmallIntegerField(help_text="0 = Monday … 6 = Sunday.")
    starts_at = models.TimeField()
    ends_at = models.TimeField()
    break_minutes = models.PositiveSmallIntegerField(default=0)
    break_earliest = models.TimeField(null=True, blank=True)
    break_latest = models.TimeField(null=True, blank=True)

    class Meta:
        ordering = ["carer_id", "weekday", "starts_at"]
        indexes = [models.Index(fields=["carer", "weekday"], name="shift_carer_weekday_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="shift_weekday_valid"),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(break_minutes=0)
                | models.Q(break_earliest__isnull=False, break_latest__isnull=False),
                name="shift_break_has_window",
            ),
        ]

    def __str__(self) -> str:
        return f"Shift on day {self.weekday}, {self.starts_at:%H:%M}-{self.ends_at:%H:%M}"


class Absence(models.Model):
    """Days a carer does not work (leave, sickness, training), inclusive of both ends."""

    carer = models.ForeignKey(Carer, on_delete=models.CASCADE, related_name="absences")
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        "organisations.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_on"]
        indexes = [models.Index(fields=["carer", "starts_on", "ends_on"], name="absence_carer_days_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="absence_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"Absence {self.starts_on}-{self.ends_on}"


class CareAgreement(models.Model):
    """The visits of one service agreement: where they happen and who should (not) come.

    One per service agreement; the agreement's coordinator answers for the visits (a
    missed visit raises an alert in their queue).
    """

    service_agreement = models.OneToOneField(
        "agreements.ServiceAgreement", on_delete=models.PROTECT, related_name="care"
    )
    # Denormalised from the service agreement: customer for sharding and the portal,
    # provider for building a schedule per organisation with one indexed query.
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="care_agreements")
    provider = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    address = models.CharField(max_length=300, help_text="Where the visits happen.")
    latitude = models.FloatField()
    longitude = models.FloatField()
    access_notes = models.TextField(blank=True, help_text="Key safe, parking, pets: what a carer needs to get in.")
    preferred_carers = models.ManyToManyField(Carer, blank=True, related_name="preferred_by")
    excluded_carers = models.ManyToManyField(
        Carer, blank=True, related_name="excluded_by", help_text="Never sent, whatever the cost."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["customer_id"]
        indexes = [models.Index(fields=["provider"], name="care_agreement_provider_idx")]

    def __str__(self) -> str:
        return f"Care for customer #{self.customer_id}"


class VisitPattern(models.Model):
    """A recurring visit: on these weekdays, this long, needing these skills and 1 or 2 carers.

    ``preferred_from``–``preferred_to`` is the window the customer wants the visit to
    *start* in; ``acceptable_from``–``acceptable_to`` the widest start window they accept.
    The scheduler never places a visit outside the acceptable window; minutes outside the
    preferred one are what it minimises first.

    A double-handed visit (``carers_needed`` = 2) is *simultaneous* (both start together,
    e.g. a hoist transfer) or *sequential* (the second starts ``gap_min``–``gap_max``
    minutes after the first, e.g. a nurse after a carer).
    """

    class Sync(models.TextChoices):
        SIMULTANEOUS = "simultaneous", "Together"
        SEQUENTIAL = "sequential", "One after the other"

    care_agreement = models.ForeignKey(CareAgreement, on_delete=models.CASCADE, related_name="patterns")
    label = models.CharField(max_length=200, help_text="In the customer's words, e.g. 'Help getting up'.")
    weekdays = models.JSONField(default=list, help_text="Days it happens: 0 = Monday … 6 = Sunday.")
    duration_minutes = models.PositiveSmallIntegerField()
    skills = models.ManyToManyField(Skill, blank=True, related_name="+")
    carers_needed = models.PositiveSmallIntegerField(default=1)
    sync = models.CharField(max_length=12, choices=Sync.choices, default=Sync.SIMULTANEOUS)
    gap_min_minutes = models.PositiveSmallIntegerField(default=0)
    gap_max_minutes = models.PositiveSmallIntegerField(default=0)
    preferred_from = models.TimeField()
    preferred_to = models.TimeField()
    acceptable_from = models.TimeField()
    acceptable_to = models.TimeField()
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True, help_text="Last day; empty: until changed.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["care_agreement_id", "preferred_from", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(duration_minutes__gte=1), name="pattern_duration_positive"),
            models.CheckConstraint(condition=models.Q(carers_needed__in=[1, 2]), name="pattern_one_or_two_carers"),
            models.CheckConstraint(
                condition=models.Q(acceptable_from__lte=models.F("preferred_from"))
                & models.Q(preferred_from__lte=models.F("preferred_to"))
                & models.Q(preferred_to__lte=models.F("acceptable_to")),
                name="pattern_preferred_inside_acceptable",
            ),
            models.CheckConstraint(
                condition=models.Q(gap_max_minutes__gte=models.F("gap_min_minutes")), name="pattern_gap_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class TravelTime(models.Model):
    """An imported travel time between two places for one way of travelling, overriding
    the speed model for carers who travel that way.

    Places are keyed by their coordinates rounded to 5 decimal places (about a metre),
    written ``"lat,lon"`` (see ``steward.care.travel.place_key``), so a matrix from any
    router can be imported without knowing our ids.
    """

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    # Times before modes were recorded were all driving times, hence the default.
    mode = models.CharField(
        max_length=20,
        choices=Carer.TravelMode.choices,
        default=Carer.TravelMode.CAR,
        help_text="The way of travelling these times are for.",
    )
    from_place = models.CharField(max_length=40)
    to_place = models.CharField(max_length=40)
    minutes = models.PositiveIntegerField()
    source = models.CharField(max_length=200, blank=True, help_text="Where it came from, e.g. 'OSRM table, 2026-11'.")
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # Also the index travel_matrix reads by: one organisation's pairs for one mode.
            models.UniqueConstraint(
                fields=["organisation", "mode", "from_place", "to_place"], name="travel_time_unique_pair_per_mode"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_place} -> {self.to_place}: {self.minutes} min ({self.get_mode_display().lower()})"
