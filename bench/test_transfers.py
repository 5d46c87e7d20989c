"""The transfer scenario of ``make bench`` keeps working: a tiny dataset, a handful of
clients moved by the same code, and nothing of the scenario left behind afterwards."""

from __future__ import annotations

import io

import pytest

from bench import transfers
from bench.dataset import dataset_generate
from bench.parameters import DatasetSize
from steward.agreements.models import ServiceAgreement
from steward.customers.models import Customer
from steward.requests.models import Request
from steward.timeline.models import TimelineEvent
from steward.transfers.models import Transfer, TransferClient

TINY = DatasetSize(customers=30, requests=120, events=500)


@pytest.fixture
def tiny_dataset(db: object) -> DatasetSize:
    dataset_generate(TINY, seed=3, staff_count=40, progress_stream=io.StringIO())
    return TINY


def test_the_transfer_is_timed_step_by_step_and_cleared_away(tiny_dataset: DatasetSize) -> None:
    requests, events = Request.objects.count(), TimelineEvent.objects.count()

    measurements = transfers.transfer_measure(clients=12, seed=5, progress_stream=io.StringIO())

    assert [len(m.timings_ms) for m in measurements] == [1, 1, 1]
    assert all(m.queries and m.queries[0] > 0 for m in measurements)
    assert "proof holds" in measurements[2].note
    assert "0 without an accepting provider" in measurements[2].note
    # Nothing of the scenario is left: the next run starts from the same dataset.
    assert Customer.objects.count() == TINY.customers
    assert (Request.objects.count(), TimelineEvent.objects.count()) == (requests, events)
    assert not ServiceAgreement.objects.exists()
    assert not Transfer.objects.exists() and not TransferClient.objects.exists()


def test_a_run_clears_what_an_interrupted_one_left(tiny_dataset: DatasetSize) -> None:
    cast = transfers.cast_ensure(seed=5)
    made = transfers.clients_add(cast, 7, seed=5, progress_stream=io.StringIO())
    assert made.customers == 7
    assert ServiceAgreement.objects.filter(provider=cast.provider, status="active").count() == 7
    assert Request.objects.filter(organisation=cast.provider, status="open").count() == made.requests
    assert 7 <= made.requests <= 21

    removed = transfers.scenario_clear()

    assert removed["customers"] == 7
    assert Customer.objects.count() == TINY.customers
    assert not Request.objects.filter(organisation=cast.provider).exists()


def test_the_rest_of_the_bench_never_routes_to_the_transfer_organisations(tiny_dataset: DatasetSize) -> None:
    from bench.world import World

    transfers.cast_ensure(seed=5)
    names = {o.name for o in World.load().organisations}
    assert transfers.PROVIDER not in names and not names & set(transfers.RECEIVERS)
    assert len(names) == 3
