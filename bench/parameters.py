"""What the bench builds and how much it measures, from BENCH_* environment variables.

No Django imports: the orchestrating process reads these before any database is chosen.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class DatasetSize:
    """Rows to generate. Every request has at least its ``captured`` and ``routed``
    events, so ``events`` must be at least twice ``requests``; what is left over goes
    first to one "registered" event per customer, then to the requests' stories."""

    customers: int
    requests: int
    events: int

    @classmethod
    def from_env(cls) -> DatasetSize:
        """BENCH_CUSTOMERS / BENCH_REQUESTS / BENCH_EVENTS (defaults: 100k / 500k / 2M)."""
        return cls(
            customers=int(os.environ.get("BENCH_CUSTOMERS", "100000")),
            requests=int(os.environ.get("BENCH_REQUESTS", "500000")),
            events=int(os.environ.get("BENCH_EVENTS", "2000000")),
        )

    def __post_init__(self) -> None:
        if self.customers < 1 or self.requests < 0:
            raise ValueError("A dataset needs at least one customer and cannot have negative requests.")
        if self.events < 2 * self.requests:
            raise ValueError(
                f"{self.events} events cannot cover {self.requests} requests: each needs at least 2 "
                "(captured, routed). Raise BENCH_EVENTS or lower BENCH_REQUESTS."
            )

    @property
    def registered_events(self) -> int:
        """Customers that get a "registered" event (all of them unless events are scarce)."""
        return min(self.customers, self.events - 2 * self.requests)

    @property
    def request_events(self) -> int:
        """Events that tell the requests' stories."""
        return self.events - self.registered_events

    def describe(self) -> str:
        return f"{self.customers:,} customers, {self.requests:,} requests, {self.events:,} timeline events"


@dataclass(frozen=True)
class BenchParameters:
    """Everything a run is told through the environment (see bench/README.md)."""

    size: DatasetSize
    seed: int  # BENCH_SEED: the same seed builds the same dataset
    staff: int  # BENCH_STAFF: staff members, about
    samples: int  # BENCH_SAMPLES: timed calls per API operation, and timed idle sweeps
    sweep_samples: int  # BENCH_SWEEP_SAMPLES: timed sweeps that each have fresh overdue work
    sweep_batch: int  # BENCH_SWEEP_BATCH: requests that become overdue before each of those
    transfer_clients: int = 10_000  # BENCH_TRANSFER_CLIENTS: clients moved in the timed transfer (0: none)

    @classmethod
    def from_env(cls) -> BenchParameters:
        env = os.environ.get
        return cls(
            size=DatasetSize.from_env(),
            seed=int(env("BENCH_SEED", "42")),
            staff=int(env("BENCH_STAFF", "300")),
            samples=int(env("BENCH_SAMPLES", "200")),
            sweep_samples=int(env("BENCH_SWEEP_SAMPLES", "20")),
            sweep_batch=int(env("BENCH_SWEEP_BATCH", "25")),
            transfer_clients=int(env("BENCH_TRANSFER_CLIENTS", "10000")),
        )
