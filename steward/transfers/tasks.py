"""Background work for transfers: making the offers, batch by batch."""

from __future__ import annotations

from django_tasks import task


@task()
def transfer_make_offers(transfer_id: int) -> int:
    """Offer the transfer's listed clients. Safe to run twice or after an interruption:
    it only picks up clients still listed (see `services.transfer_make_offers`)."""
    from .services import transfer_make_offers as make_offers

    return make_offers(transfer_id=transfer_id)
