"""A customer sends a photo with her reply in a real browser with JavaScript switched
off (the form is a plain multipart form), sees it listed and downloads it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Browser, expect

from steward.console.tests.test_browser import SCREENSHOTS, browser
from steward.requests.models import Attachment
from steward.requests.services import request_capture
from steward.requests.tests.attachment_samples import JPEG, media
from steward.requests.tests.factories import make_world

from .conftest import as_customer

__all__ = ["browser", "media"]
pytestmark = pytest.mark.browser


def test_a_customer_sends_a_photo_without_javascript(
    live_server: Any, browser: Browser, media: Path, tmp_path: Path
) -> None:
    world = make_world("Northshire")
    req = request_capture(
        customer=world.customer, need=world.need, channel="phone", description="The boiler is broken", actor=None
    )
    session = as_customer(world.customer).cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(
        java_script_enabled=False, accept_downloads=True, viewport={"width": 420, "height": 900}
    )
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/me/requests/{req.pk}/")
    expect(page.get_by_text("No photos or documents yet.")).to_be_visible()

    photo = tmp_path / "boiler.jpg"
    photo.write_bytes(JPEG)
    page.get_by_label("Your message").fill("Here is the boiler.")
    page.get_by_label("Add a photo or document").set_input_files(photo)
    page.get_by_role("button", name="Send", exact=True).click()

    expect(page.get_by_text("will see your message and file")).to_be_visible()
    link = page.get_by_role("link", name="boiler.jpg")
    expect(link).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "portal-attachment.png"), full_page=True)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "boiler.jpg"
    assert Path(download.value.path()).read_bytes() == JPEG
    assert Attachment.objects.get().message.body == "Here is the boiler."
    context.close()
