"""A no-contact alert in a real browser: nobody has been in touch with Mrs Khan for a
fortnight; Kim Lee, who coordinates her home care at CheapCare Ltd, finds the alert on My
work, reads it and resolves it saying what she did.

Saves test-results/screenshots/console-alert.png (docs/screenshots/ with
STEWARD_UPDATE_SCREENSHOTS=1), like test_browser.py."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from steward.alerts.continuity import continuity_sweep
from steward.alerts.models import Alert

from .test_browser import SCREENSHOTS, browser, sign_in  # noqa: F401 - `browser` is a fixture

pytestmark = pytest.mark.browser


def test_coordinator_finds_the_no_contact_alert_and_resolves_it(
    live_server: Any,
    demo: Any,
    browser: Browser,  # noqa: F811
) -> None:
    continuity_sweep(at=timezone.now() + timedelta(days=14))
    alert = Alert.objects.get(kind="no_contact", customer__given_name="Amina")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.set_default_timeout(15_000)

    sign_in(page, live_server.url, "kim.lee")
    alerts = page.get_by_role("region", name=re.compile("Alerts for you"))
    alerts.get_by_role("link", name=alert.title).click()
    expect(page.get_by_role("heading", name=alert.title, level=1)).to_be_visible()
    expect(page.get_by_text("is flagged as vulnerable and receives “Home care, 2 visits a day”")).to_be_visible()
    page.get_by_label("What was done?").fill("Visited this morning with Sara; Mrs Khan is well. Visits back on.")
    page.screenshot(path=str(SCREENSHOTS / "console-alert.png"), full_page=True)
    page.get_by_role("button", name="Resolve the alert").click()

    expect(page).to_have_url(re.compile(r"/console/$"))
    expect(page.get_by_text(f"Resolved: {alert.title}.", exact=False)).to_be_visible()
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.resolved_by.display_name == "Kim Lee"
