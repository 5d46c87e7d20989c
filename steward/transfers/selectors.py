"""Reads about transfers: lists, one transfer, and the reconciliation report."""

from __future__ import annotations

from .models import TransferClient

UNRESOLVED = (
    TransferClient.Status.LISTED,
    TransferClient.Status.PENDING,
    TransferClient.Status.DECLINED,
    TransferClient.Status.EXPIRED,
)


def customer_in_unresolved_transfer(*, customer_id: int, from_provider_id: int | None = None) -> int | None:
    """The id of the transfer that has not settled this customer yet, if any."""
    qs = TransferClient.objects.filter(customer_id=customer_id, status__in=UNRESOLVED)
    if from_provider_id is not None:
        qs = qs.filter(transfer__from_provider_id=from_provider_id)
    return qs.values_list("transfer_id", flat=True).first()
