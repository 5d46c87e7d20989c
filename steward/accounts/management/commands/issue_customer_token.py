"""Issue a token for a customer's side of the API: `manage.py issue_customer_token <customer_id>`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from steward.accounts.services import customer_token_issue
from steward.customers.models import Customer


class Command(BaseCommand):
    help = (
        "Issue a token acting as one customer on /api/v1/customer/... (their grants, receipts and access log). "
        "The token is printed once; only its digest is stored. It opens no staff endpoint."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("customer_id", type=int)
        parser.add_argument("--label", default="issued from the command line")

    def handle(self, *args: Any, **options: Any) -> None:
        customer = Customer.objects.filter(pk=options["customer_id"]).first()
        if customer is None:
            raise CommandError(f"There is no customer #{options['customer_id']}.")
        _, raw = customer_token_issue(customer=customer, label=options["label"])
        self.stdout.write(raw)
