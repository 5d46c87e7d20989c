"""Issue an API bearer token for a staff member: `manage.py issue_token <username>`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from steward.accounts.models import User
from steward.accounts.services import api_token_issue


class Command(BaseCommand):
    help = "Issue an API token for a user. The token is printed once; only its digest is stored."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--label", default="issued from the command line")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist as exc:
            raise CommandError(f"There is no user called {options['username']!r}.") from exc
        if not user.is_active:
            raise CommandError(f"{user.username} is deactivated; a token would not work.")
        _, raw = api_token_issue(user=user, label=options["label"])
        self.stdout.write(raw)
