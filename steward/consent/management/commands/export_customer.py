"""Write everything held about one customer: the JSON export, or the readable HTML."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from steward.consent.export import customer_export, customer_export_html, export_json
from steward.customers.models import Customer


class Command(BaseCommand):
    help = "Export one customer's record (JSON following docs/schema/customer-export.schema.json, or --html)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("customer_id", type=int)
        parser.add_argument("--html", action="store_true", help="The human-readable document instead of JSON.")
        parser.add_argument("--output", "-o", help="Write to this file instead of standard output.")

    def handle(self, *args: Any, **options: Any) -> None:
        customer = Customer.objects.filter(pk=options["customer_id"]).first()
        if customer is None:
            raise CommandError(f"There is no customer #{options['customer_id']}.")
        document = customer_export(customer, exported_by="Steward (export_customer command)")
        text = customer_export_html(document) if options["html"] else export_json(document)
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as out:
                out.write(text)
            self.stderr.write(f"Wrote customer #{customer.pk}'s record to {options['output']}.")
        else:
            self.stdout.write(text, ending="")
