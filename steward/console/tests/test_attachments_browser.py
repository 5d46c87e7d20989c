"""The owner adds a document on the console's request page in a real browser (the HTMX
form sends it as multipart and swaps the request's detail) and downloads it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from steward.requests.models import Attachment
from steward.requests.services import request_capture
from steward.requests.tests.attachment_samples import PDF, media
from steward.requests.tests.factories import make_world

from .test_browser import SCREENSHOTS, browser

__all__ = ["browser", "media"]
pytestmark = pytest.mark.browser


def test_the_owner_adds_a_document_and_downloads_it(
    live_server: Any, browser: Browser, media: Path, tmp_path: Path
) -> None:
    world = make_world("Northshire")
    req = request_capture(
        customer=world.customer, need=world.need, channel="phone", description="The carer did not come", actor=None
    )
    owner = req.owner
    owner.user.set_password("pw-for-the-test")
    owner.user.save()
    context = browser.new_context(accept_downloads=True, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/console/login/")
    page.get_by_label("Username").fill(owner.user.username)
    page.get_by_label("Password").fill("pw-for-the-test")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/console/requests/{req.pk}/")

    letter = tmp_path / "care plan.pdf"
    letter.write_bytes(PDF)
    page.get_by_label("Photo or document").set_input_files(letter)
    page.get_by_label("Message to the customer with it (optional)").fill("Your care plan.")
    page.get_by_role("button", name="Add the file").click()

    link = page.get_by_role("link", name="care plan.pdf")
    expect(link).to_be_visible()
    expect(page.get_by_text("“care plan.pdf” is on the request")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console-attachment.png"), full_page=True)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "care plan.pdf"
    assert Path(download.value.path()).read_bytes() == PDF
    assert Attachment.objects.get().message.body == "Your care plan."
    context.close()
