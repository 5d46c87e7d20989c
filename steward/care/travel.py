"""How long it takes a carer to get from one place to another.

By default a **speed model**: the great-circle distance between the two places, times a
detour factor (roads and paths are not straight lines), at the average speed of the
carer's way of travelling, never less than a minimum for two different places (parking,
locking a bicycle, waiting for a bus, walking to the door). The numbers, and why:

=================  ==========  ============  ================================================
travel mode        speed km/h  minimum min   why
=================  ==========  ============  ================================================
car                30          5             urban and suburban door-to-door average:
                                             20–30 mph limits less junctions, lights and
                                             traffic; 5 minutes to park and walk to the door
walk               4.8         2             3 mph, the usual planning figure for walking
bicycle            15          3             an unhurried urban cyclist; 3 minutes to lock up
public transport   12          10            bus door-to-door including the walk to the stop
                                             and the wait (buses average ~18 km/h moving)
=================  ==========  ============  ================================================

The **detour factor is 1.3**: published studies of road "circuity" (road distance over
straight-line distance, e.g. Ballou, Rahardja and Sakai 2002) put it at about 1.2–1.4;
1.3 is the middle, erring towards a carer arriving early rather than late.

An **imported matrix** (``manage.py import_travel_times --mode …``, e.g. from OSRM's
``/table`` service with its car, foot or bicycle profile) overrides the model for the
pairs it covers, for carers who travel by the mode it was imported for. Each mode uses
its own imported table where the organisation has one, and the model elsewhere: a
driving table says nothing about how long the same walk takes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from steward.organisations.models import Organisation

from .models import Carer, TravelTime

EARTH_RADIUS_KM = 6371.0088
DETOUR_FACTOR = 1.3


@dataclass(frozen=True)
class Speed:
    km_per_hour: float
    minimum_minutes: int


SPEEDS: dict[str, Speed] = {
    Carer.TravelMode.CAR: Speed(30.0, 5),
    Carer.TravelMode.WALK: Speed(4.8, 2),
    Carer.TravelMode.BICYCLE: Speed(15.0, 3),
    Carer.TravelMode.PUBLIC_TRANSPORT: Speed(12.0, 10),
}

Place = tuple[float, float]


def place_key(lat: float, lon: float) -> str:
    """A place as ``"lat,lon"`` rounded to 5 decimal places (about a metre): how imported
    travel times name their places."""
    return f"{round(lat, 5):.5f},{round(lon, 5):.5f}"


def distance_km(a: Place, b: Place) -> float:
    """Great-circle (haversine) distance."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _speed(profile: str) -> Speed:
    speed = SPEEDS.get(profile)
    if speed is None:
        raise ValueError(f"Unknown travel mode {profile!r}; use one of {', '.join(SPEEDS)}.")
    return speed


def model_minutes(a: Place, b: Place, profile: str) -> int:
    """Whole minutes (rounded up) by the speed model; 0 for the same place."""
    if place_key(*a) == place_key(*b):
        return 0
    speed = _speed(profile)
    minutes = math.ceil(distance_km(a, b) * DETOUR_FACTOR / speed.km_per_hour * 60)
    return max(speed.minimum_minutes, minutes)


def travel_matrix(organisation: Organisation, places: Sequence[Place], profile: str) -> list[list[int]]:
    """Minutes from each place to each other place (``[i][j]``: from ``places[i]`` to
    ``places[j]``) for a carer travelling by ``profile`` (a travel mode): the times the
    organisation imported for that mode where it has them (one query), the speed model
    elsewhere."""
    _speed(profile)  # an unknown mode is refused before asking the database
    keys = [place_key(*p) for p in places]
    imported: dict[tuple[str, str], int] = {}
    if len(set(keys)) > 1:
        unique = sorted(set(keys))
        imported = {
            (f, t): m
            for f, t, m in TravelTime.objects.filter(
                organisation_id=organisation.pk, mode=profile, from_place__in=unique, to_place__in=unique
            ).values_list("from_place", "to_place", "minutes")
        }
    matrix: list[list[int]] = []
    for i, a in enumerate(places):
        row = []
        for j, b in enumerate(places):
            if keys[i] == keys[j]:
                row.append(0)
                continue
            found = imported.get((keys[i], keys[j]))
            row.append(found if found is not None else model_minutes(a, b, profile))
        matrix.append(row)
    return matrix
