"""Mrs Khan in a real browser: she signs in, says how and when to contact her and what
matters to her, then gives a new permission and asks for a copy of her record, each with
its check page. Screenshots go to test-results/screenshots/ (git-ignored)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from steward.consent.models import Grant, PrivacyRequest
from steward.console.tests.test_browser import (
    SCREENSHOTS,
    browser,  # noqa: F401 - `browser` is a fixture
)
from steward.customers.models import ContactPreferences

from .test_browser_trusted import sign_in

pytestmark = pytest.mark.browser


def test_mrs_khan_sets_her_preferences_and_gives_a_permission(
    live_server: Any,
    demo: Any,
    browser: Browser,  # noqa: F811
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 420, "height": 900})  # a phone
    page.set_default_timeout(15_000)
    base = live_server.url
    sign_in(page, base, "amina.khan@example.org")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My contact preferences").click()
    expect(page.get_by_role("heading", name="My contact preferences", level=1)).to_be_visible()
    page.get_by_label("The best way to contact you").select_option("phone")
    page.get_by_label("If that does not work").select_option("letter")
    page.get_by_label("From").fill("21:00")
    page.get_by_label("Until").fill("08:00")
    page.get_by_label("Large print").check()
    page.get_by_label("What matters to you").fill("Staying in my own home.")
    page.get_by_role("button", name="Save my preferences").click()
    expect(page.get_by_text("We have saved your preferences")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "portal-preferences.png"), full_page=True)
    saved = ContactPreferences.objects.get(customer__given_name="Amina")
    assert saved.channels == ["phone", "letter"] and saved.access_needs == ["large_print"]

    page.get_by_role("link", name="Who can see my information").click()
    page.get_by_role("link", name="Give permission to an organisation").click()
    page.get_by_label("Northshire Council").check()
    page.get_by_label(re.compile("^Research and service improvement")).check()
    page.get_by_label("Your requests and messages").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check before you give permission")).to_be_visible()
    page.get_by_role("button", name="Yes, give permission").click()
    expect(page.get_by_role("heading", name="Your receipt")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "portal-receipt.png"), full_page=True)
    assert Grant.objects.filter(customer__given_name="Amina", purpose="research", source="customer").exists()

    page.get_by_role("link", name="Back to who can see my information").click()
    page.get_by_role("link", name="Ask for a copy or for erasure").click()
    page.get_by_label("A copy of everything they hold about me").check()
    page.get_by_label("Northshire Council").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your request")).to_be_visible()
    page.get_by_role("button", name="Yes, send my request").click()
    expect(page.get_by_text("We have sent your request to Northshire Council")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "portal-privacy-requests.png"), full_page=True)
    assert PrivacyRequest.objects.filter(customer__given_name="Amina", kind="export").exists()
