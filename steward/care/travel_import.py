"""Reading travel-time matrices into ``TravelTime`` rows (``manage.py import_travel_times``).

A matrix is imported for one travel mode (car, walk, bicycle or public transport): the
times a carer travelling that way takes. Each mode has its own table, used for the carers
who travel that way; modes with no imported table keep the speed model
(``steward.care.travel``).

Two formats:

* **CSV** with the header ``from_lat,from_lon,to_lat,to_lon,minutes`` (any column order;
  minutes may have decimals and are rounded up to whole minutes);
* an **OSRM ``/table`` response** (JSON): ``durations[i][j]`` seconds from
  ``sources[i]`` to ``destinations[j]``, each with ``location`` ``[lon, lat]`` (OSRM's
  order). A ``null`` duration (no route) is skipped and counted.

The whole file is checked before anything is written; any error (each with its line or
position) refuses the file. Importing the same file again changes nothing (rows are
upserted on organisation, mode, from, to), and importing a table for one mode leaves the
other modes' times alone.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from steward.organisations.models import Organisation

from .models import Carer, TravelTime
from .travel import place_key

CSV_COLUMNS = ("from_lat", "from_lon", "to_lat", "to_lon", "minutes")
MAX_MINUTES = 24 * 60
MAX_ERRORS_SHOWN = 20


class TravelImportError(Exception):
    """The file cannot be imported; ``errors`` says where and why, one line each."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors[:MAX_ERRORS_SHOWN]))
        self.errors = errors


@dataclass
class Parsed:
    times: dict[tuple[str, str], int] = field(default_factory=dict)
    skipped_unreachable: int = 0
    skipped_same_place: int = 0


@dataclass(frozen=True)
class ImportSummary:
    """What an import did to the organisation's times for one travel mode."""

    mode: str
    created: int
    updated: int
    unchanged: int
    skipped_unreachable: int
    skipped_same_place: int

    @property
    def mode_in_words(self) -> str:
        """The travel mode as an adjective, e.g. "on-foot" (as in "on-foot travel times")."""
        return Carer.TravelMode(self.mode).label.lower().replace(" ", "-")

    @property
    def counts(self) -> str:
        """What happened to the rows, e.g. "2 new, 0 changed, 1 already up to date"."""
        words = f"{self.created} new, {self.updated} changed, {self.unchanged} already up to date"
        skipped = []
        if self.skipped_unreachable:
            skipped.append(f"{self.skipped_unreachable} with no route")
        if self.skipped_same_place:
            skipped.append(f"{self.skipped_same_place} from a place to itself")
        return words + (f"; skipped {', '.join(skipped)}" if skipped else "")

    def __str__(self) -> str:
        return f"{self.mode_in_words} travel times: {self.counts}"


def _coordinate(value: Any, *, lat: bool) -> float:
    number = float(value)
    limit = 90 if lat else 180
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise ValueError(f"{'latitude' if lat else 'longitude'} {value!r} is out of range")
    return number


def _whole_minutes(value: float) -> int:
    if not math.isfinite(value) or value < 0 or value > MAX_MINUTES:
        raise ValueError(f"minutes {value!r} must be between 0 and {MAX_MINUTES}")
    return math.ceil(value - 1e-9)


def _add(
    parsed: Parsed, a: str, b: str, minutes: int, *, where: str, seen: dict[tuple[str, str], str], errors: list[str]
) -> None:
    if a == b:
        parsed.skipped_same_place += 1
        return
    if (a, b) in seen:
        errors.append(f"{where}: the pair {a} -> {b} is already given at {seen[(a, b)]}.")
        return
    seen[(a, b)] = where
    parsed.times[(a, b)] = minutes


def parse_csv(text: str) -> Parsed:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise TravelImportError(
            [f"line 1: the header must name the columns {','.join(CSV_COLUMNS)}; missing {', '.join(missing)}."]
        )
    reader.fieldnames = header
    parsed, errors, seen = Parsed(), [], {}  # type: ignore[var-annotated]
    for row in reader:
        where = f"line {reader.line_num}"
        try:
            a = place_key(_coordinate(row["from_lat"], lat=True), _coordinate(row["from_lon"], lat=False))
            b = place_key(_coordinate(row["to_lat"], lat=True), _coordinate(row["to_lon"], lat=False))
            minutes = _whole_minutes(float(row["minutes"]))
        except (TypeError, ValueError) as exc:
            errors.append(f"{where}: {exc}.")
            continue
        _add(parsed, a, b, minutes, where=where, seen=seen, errors=errors)
    if errors:
        raise TravelImportError(errors)
    return parsed


def _osrm_places(data: dict[str, Any], name: str, errors: list[str]) -> list[str]:
    places = []
    for n, item in enumerate(data.get(name) or []):
        try:
            lon, lat = item["location"]
            places.append(place_key(_coordinate(lat, lat=True), _coordinate(lon, lat=False)))
        except (KeyError, TypeError, ValueError) as exc:
            errors.append(f"{name}[{n}]: needs a location [lon, lat] ({exc}).")
            places.append("")
    return places


def parse_osrm(text: str) -> Parsed:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TravelImportError([f"line {exc.lineno}: not valid JSON ({exc.msg})."]) from exc
    if not isinstance(data, dict):
        raise TravelImportError(["The file must hold one OSRM /table response (a JSON object)."])
    if data.get("code", "Ok") != "Ok":
        raise TravelImportError([f"OSRM answered {data.get('code')!r}: {data.get('message', 'no table')}."])
    errors: list[str] = []
    sources = _osrm_places(data, "sources", errors)
    destinations = _osrm_places(data, "destinations", errors)
    durations = data.get("durations")
    if not isinstance(durations, list) or not sources or not destinations:
        raise TravelImportError([*errors, "An OSRM table needs 'durations', 'sources' and 'destinations'."])
    if len(durations) != len(sources):
        errors.append(f"durations has {len(durations)} rows but there are {len(sources)} sources.")
    parsed, seen = Parsed(), {}  # type: ignore[var-annotated]
    for i, row in enumerate(durations[: len(sources)]):
        if not isinstance(row, list) or len(row) != len(destinations):
            errors.append(f"durations[{i}] must have {len(destinations)} entries, one per destination.")
            continue
        for j, seconds in enumerate(row):
            where = f"durations[{i}][{j}]"
            if seconds is None:
                parsed.skipped_unreachable += 1
                continue
            try:
                minutes = _whole_minutes(float(seconds) / 60)
            except (TypeError, ValueError) as exc:
                errors.append(f"{where}: {exc}.")
                continue
            if sources[i] and destinations[j]:
                _add(parsed, sources[i], destinations[j], minutes, where=where, seen=seen, errors=errors)
    if errors:
        raise TravelImportError(errors)
    return parsed


@transaction.atomic
def travel_times_import(*, organisation: Organisation, parsed: Parsed, source: str, mode: str) -> ImportSummary:
    """Write the parsed times as the organisation's times for carers travelling by ``mode``:
    new pairs added, changed ones updated; other modes' times are not touched."""
    if mode not in Carer.TravelMode.values:
        raise ValueError(f"Unknown travel mode {mode!r}; use one of {', '.join(Carer.TravelMode.values)}.")
    now = timezone.now()
    froms = sorted({a for a, _ in parsed.times})
    tos = sorted({b for _, b in parsed.times})
    existing = {
        (row.from_place, row.to_place): row
        for row in TravelTime.objects.select_for_update().filter(
            organisation=organisation, mode=mode, from_place__in=froms, to_place__in=tos
        )
    }
    new, changed, unchanged = [], [], 0
    for (a, b), minutes in parsed.times.items():
        row = existing.get((a, b))
        if row is None:
            new.append(
                TravelTime(
                    organisation=organisation,
                    mode=mode,
                    from_place=a,
                    to_place=b,
                    minutes=minutes,
                    source=source,
                    imported_at=now,
                )
            )
        elif row.minutes != minutes or row.source != source:
            row.minutes, row.source, row.imported_at = minutes, source, now
            changed.append(row)
        else:
            unchanged += 1
    TravelTime.objects.bulk_create(new, batch_size=1000)
    TravelTime.objects.bulk_update(changed, ["minutes", "source", "imported_at"], batch_size=1000)
    return ImportSummary(
        mode=mode,
        created=len(new),
        updated=len(changed),
        unchanged=unchanged,
        skipped_unreachable=parsed.skipped_unreachable,
        skipped_same_place=parsed.skipped_same_place,
    )
