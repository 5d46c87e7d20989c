"""The reconciliation report as rows: what the page, the CSV and the API all show.

One row per client: their status, who answers for them now and since when, and what
was said. Streams: a 10,000-client report never sits in memory as one list.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.utils import timezone

from steward.organisations.models import StaffMember

from .models import TransferClient
from .selectors import TransferView, answers_now, transfer_report_rows

CSV_HEADER = [
    "client_id",
    "customer_id",
    "customer_name",
    "status",
    "status_since",
    "receiving_provider",
    "respond_by",
    "answers_now",
    "answers_now_organisation",
    "answers_since",
    "offer_round",
    "requests_moved",
    "declined_because",
    "kept_because",
    "decided_by",
]


def _iso(moment: datetime | None) -> str:
    return timezone.localtime(moment).isoformat(timespec="minutes") if moment else ""


def report_row(client: TransferClient, view: TransferView) -> dict[str, Any]:
    who, where = answers_now(client, view.transfer)
    accepted = client.status == TransferClient.Status.ACCEPTED
    return {
        "client_id": client.pk,
        "customer_id": client.customer_id,
        "customer_name": client.customer.full_name,
        "status": client.status,
        "status_label": client.get_status_display(),
        "status_since": client.status_since,
        "receiving_provider": client.to_provider.name if client.to_provider else "",
        "receiving_provider_id": client.to_provider_id,
        "respond_by": client.respond_by if client.status == TransferClient.Status.PENDING else None,
        "answers_now": who,
        "answers_now_organisation": where,
        "answers_since": client.status_since if accepted else getattr(client, "keeper_since", None),
        "offer_round": client.offer_round,
        "requests_moved": client.requests_moved,
        "declined_because": client.answer_reason if client.status == TransferClient.Status.DECLINED else "",
        "kept_because": client.decision_reason,
        "decided_by": client.decided_by.display_name if client.decided_by else "",
    }


def _cell(value: object) -> object:
    # A spreadsheet would run a name like "=HYPERLINK(...)" as a formula: neutralise it.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def report_csv(
    *, view: TransferView, actor: StaffMember, status: str | None = None, to_provider_id: int | None = None
) -> Iterator[str]:
    """The report as CSV lines, streamed in chunks from the database."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    rows = transfer_report_rows(view=view, actor=actor, status=status, to_provider_id=to_provider_id)
    for client in rows.iterator(chunk_size=2000):
        row = report_row(client, view)
        yield writer.writerow(
            [
                _iso(row[key]) if key in ("status_since", "respond_by", "answers_since") else _cell(row[key])
                for key in CSV_HEADER
            ]
        )
