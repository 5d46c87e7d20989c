"""Bring a customer's record (a Steward customer export) into an organisation."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from steward.consent.portability import customer_import
from steward.errors import DomainError
from steward.organisations.models import Organisation, StaffMember


class Command(BaseCommand):
    help = "Import a customer export (JSON) into an organisation, as one of its staff."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The export file ('-' for standard input).")
        parser.add_argument("--organisation", required=True, help="The importing organisation's slug.")
        parser.add_argument("--as", dest="username", required=True, help="The importing staff member's username.")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(slug=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"There is no organisation '{options['organisation']}'.")
        actor = StaffMember.objects.select_related("organisation").filter(user__username=options["username"]).first()
        if actor is None:
            raise CommandError(f"There is no staff member '{options['username']}'.")
        try:
            if options["file"] == "-":
                document = json.load(sys.stdin)
            else:
                with open(options["file"], encoding="utf-8") as f:
                    document = json.load(f)
        except (OSError, ValueError) as exc:
            raise CommandError(f"Could not read {options['file']}: {exc}")
        try:
            result = customer_import(document=document, organisation=organisation, actor=actor)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}")
        self.stdout.write(
            f"Imported customer #{result.customer.pk} into {organisation.name}: {result.events} timeline entries."
        )
        for r in result.open_requests_at_source:
            self.stdout.write(f"  still open at {r['organisation']}: {r['subject']} ({r['status']})")
