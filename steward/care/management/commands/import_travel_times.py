"""Import a travel-time matrix for an organisation and one travel mode (CSV or an OSRM
/table JSON response)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from steward.care.models import Carer
from steward.care.travel_import import TravelImportError, parse_csv, parse_osrm, travel_times_import
from steward.organisations.models import Organisation


class Command(BaseCommand):
    help = (
        "Import travel times between places for an organisation's schedule, for one travel mode (--mode, "
        "car by default), overriding the speed model for carers who travel that way; each mode uses its own "
        "imported table where there is one, the speed model elsewhere (docs/care.md). "
        "CSV: from_lat,from_lon,to_lat,to_lon,minutes. OSRM: the JSON answer of /table (durations in seconds). "
        "Safe to run again; other modes' times are left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The CSV or JSON file.")
        parser.add_argument("--organisation", required=True, help="The organisation's slug.")
        parser.add_argument(
            "--format", choices=["csv", "osrm"], help="csv or osrm; by default from the file's extension."
        )
        parser.add_argument(
            "--mode",
            choices=Carer.TravelMode.values,
            default=Carer.TravelMode.CAR.value,
            help="The way of travelling the times are for, as a carer's travel mode (an OSRM foot table is "
            "walk, its bicycle table bicycle); car by default.",
        )
        parser.add_argument("--source", default="", help="Where the times came from, e.g. 'OSRM table, 2026-11'.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        organisation = Organisation.objects.filter(slug=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"There is no organisation with the slug {options['organisation']!r}.")
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
        kind = options["format"] or ("osrm" if path.suffix.lower() == ".json" else "csv")
        try:
            parsed = parse_osrm(text) if kind == "osrm" else parse_csv(text)
        except TravelImportError as exc:
            shown = exc.errors[:20]
            more = f"\n… and {len(exc.errors) - len(shown)} more." if len(exc.errors) > len(shown) else ""
            raise CommandError(f"{path} was not imported (nothing was changed):\n" + "\n".join(shown) + more) from exc
        source = options["source"] or f"{kind.upper()} file {path.name}"
        summary = travel_times_import(
            organisation=organisation, parsed=parsed, source=source[:200], mode=options["mode"]
        )
        self.stdout.write(
            f"Imported {len(parsed.times)} {summary.mode_in_words} travel times for {organisation.name} "
            f"from {path.name}: {summary.counts}."
        )
