"""Load the demo personas (safe to run again: only missing pieces are created)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from steward.demo.personas import load_demo
from steward.demo.plans import ensure_demo_plans


class Command(BaseCommand):
    help = "Load the named demo world (Northshire Council, Sunrise Care, Mrs Amina Khan…). Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        summary = load_demo()
        if summary.created:
            self.stdout.write(f"Demo data loaded ({summary.created} people, customers and needs created).")
        else:
            self.stdout.write("Demo data already present; nothing to add.")
        plans = ensure_demo_plans()
        if plans.published:
            days = ", ".join(f"{day:%a %-d %b}" for day in plans.published)
            self.stdout.write(f"CheapCare Ltd's visits planned and published for {days}.")
        if plans.lived:
            self.stdout.write(
                f"Visits already begun by now are recorded as their carers would have ({plans.lived} check-ins "
                "at the planned starts, and check-outs at the planned ends gone by); the rest are open."
            )
