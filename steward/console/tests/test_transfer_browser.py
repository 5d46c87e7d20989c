"""The transfer report in a real browser: Northshire Council's commissioner watches the
offers being made, reads who has no accepting provider, filters to the declined client,
keeps them with a reason, and completes the transfer.

Saves test-results/screenshots/console-transfer-report.png (docs/screenshots/ with
STEWARD_UPDATE_SCREENSHOTS=1), like test_browser.py."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from steward.transfers.models import Transfer
from steward.transfers.services import (
    ReceiverSpec,
    transfer_accept_clients,
    transfer_add_clients,
    transfer_create,
    transfer_decline_clients,
    transfer_make_offers,
)
from steward.transfers.tests.factories import make_transfer_world

from .test_browser import PASSWORD, SCREENSHOTS, browser, sign_in  # noqa: F401 - `browser` is a fixture

pytestmark = pytest.mark.browser


def test_commissioner_watches_the_offers_then_keeps_the_declined_client_and_completes(
    live_server: Any,
    browser: Browser,  # noqa: F811
) -> None:
    tw = make_transfer_world(clients=5, requests_each=1)
    for person in (tw.council.alice, tw.meadow.alice):
        person.user.set_password(PASSWORD)
        person.user.save()
    transfer = transfer_create(
        actor=tw.council.alice,
        from_provider=tw.old.org,
        receivers=[ReceiverSpec(tw.sunrise.org), ReceiverSpec(tw.meadow.org, 1)],
        reason="The council ended its contract with CheapCare Ltd.",
    )
    transfer_add_clients(transfer=transfer, actor=tw.council.alice, every_active_client=True)
    # Opened, with the offers not made yet: as if the worker has not reached them.
    Transfer.objects.filter(pk=transfer.pk).update(status=Transfer.Status.OFFERING)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(15_000)
    base = live_server.url
    sign_in(page, base, tw.council.alice.user.username)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Transfers").click()
    page.get_by_role("link", name=f"Transfer #{transfer.pk}: clients leaving CheapCare Ltd").click()
    expect(page.locator(".progress-panel")).to_contain_text("0 of 5")

    # The worker makes the offers; the page notices by itself and shows the report.
    transfer_make_offers(transfer_id=transfer.pk)
    expect(page.locator(".progress-panel")).to_have_count(0)
    headline = page.get_by_role("heading", name=re.compile("without an accepting provider"))
    expect(headline).to_have_text("5 clients without an accepting provider")

    # Answers arrive: Sunrise Care accepts its four, Meadow Homecare declines its one.
    transfer_accept_clients(transfer=transfer, actor=tw.sunrise.alice)
    declined = transfer.clients.select_related("customer").get(to_provider=tw.meadow.org)
    transfer_decline_clients(transfer=transfer, actor=tw.meadow.alice, client_ids=[declined.pk], reason="No carers")
    page.reload()
    expect(headline).to_have_text("1 client without an accepting provider")

    # Completing now is refused, naming who is left.
    page.get_by_role("button", name="Complete transfer").click()
    expect(page.get_by_role("alert")).to_contain_text(
        f"1 client has no accepting provider yet: {declined.customer.full_name}"
    )

    # Filter to the declined client (the table alone is swapped), and keep them.
    page.get_by_label("Status").select_option("declined")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"status=declined"))
    rows = page.locator(".report tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Declined: No carers")
    page.screenshot(path=str(SCREENSHOTS / "console-transfer-report.png"), full_page=True)
    rows.first.get_by_text("Re-offer or keep").click()
    rows.first.get_by_label("Why do they stay?").fill("Stays until the in-house team starts in January")
    rows.first.get_by_role("button", name="Keep with CheapCare Ltd").click()
    expect(page.get_by_text(f"{declined.customer.full_name} stays with CheapCare Ltd")).to_be_visible()
    expect(headline).to_have_text("0 clients without an accepting provider")

    page.get_by_role("button", name="Complete transfer").click()
    expect(page.get_by_text("The transfer is complete")).to_be_visible()
    expect(page.locator(".proof")).to_contain_text("Accepted clients still receiving a service from CheapCare Ltd: 0")
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.COMPLETE
