"""The bench's search and page timings keep working: run on a tiny dataset built by the
same generator `make bench` uses, with a couple of samples each."""

from __future__ import annotations

import io
import random

import pytest

from bench import pages
from bench.dataset import dataset_generate
from bench.parameters import DatasetSize
from steward.customers.models import Customer, NameWord
from steward.customers.selectors import customer_search

TINY = DatasetSize(customers=40, requests=200, events=900)


@pytest.fixture
def tiny_dataset(db: object) -> None:
    dataset_generate(TINY, seed=7, staff_count=40, progress_stream=io.StringIO())


def test_generated_customers_can_be_found_by_name(tiny_dataset: None) -> None:
    someone = Customer.objects.order_by("id").first()
    assert NameWord.objects.filter(customer=someone).exists()
    assert someone in customer_search(query=f"{someone.given_name} {someone.family_name}")[:20]


def test_every_search_kind_and_page_is_timed(tiny_dataset: None) -> None:
    rng = random.Random(3)
    search = pages.customer_search(rng, samples=2)
    assert [m.section for m in search] == ["search"] * 6
    assert all(len(m.timings_ms) == 2 and m.queries for m in search)
    timed = pages.page_timings(rng, samples=2)
    assert len(timed) == 10 and all(m.section == "pages" and len(m.timings_ms) == 2 for m in timed)
