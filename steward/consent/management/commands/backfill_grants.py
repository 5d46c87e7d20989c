"""Give requests and active services that existed before grants did their minimal
grants (safe to run again: nothing is made twice)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from steward.consent.minimal import grants_backfill


class Command(BaseCommand):
    help = "Make the minimal grants existing requests and services need (idempotent; for databases made before grants)."

    def handle(self, *args: Any, **options: Any) -> None:
        made = grants_backfill()
        self.stdout.write(f"{made} grant{'s' if made != 1 else ''} made.")
