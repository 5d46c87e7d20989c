"""The console in a real browser: Mrs Khan phones the council, Dan Evans captures it, and
the person routing chose sees it at the top of their work and writes back to her.

Saves screenshots to test-results/screenshots/ (git-ignored); with
STEWARD_UPDATE_SCREENSHOTS=1 it refreshes the ones in docs/screenshots/ used by the README."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from playwright.sync_api import Browser, Page, expect, sync_playwright

from steward.organisations.selectors import escalation_chain
from steward.requests.lifecycle import Status
from steward.requests.models import Request
from steward.requests.services import request_change_status

pytestmark = pytest.mark.browser

_ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = (
    _ROOT / "docs" / "screenshots"
    if os.environ.get("STEWARD_UPDATE_SCREENSHOTS") == "1"
    else _ROOT / "test-results" / "screenshots"
)
PASSWORD = "steward-demo"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture
def browser(chromium_path: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    # Playwright's sync API runs an event loop in this thread; the test's own ORM reads
    # are still plain synchronous code, so let Django allow them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
            # ORM reads made while Playwright's loop runs may get their own connection
            # (Django keeps connections per async context); close it here, in that context.
            connections.close_all()


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/console/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My work", level=1)).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to the staff console")).to_be_visible()


def test_call_handler_captures_and_the_routed_owner_answers(live_server: Any, demo: Any, browser: Browser) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.set_default_timeout(15_000)
    base = live_server.url

    # Dan Evans, call handler, takes Mrs Khan's call.
    sign_in(page, base, "dan.evans")
    expect(page.get_by_text("Signed in as Dan Evans")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Capture a request").click()
    page.get_by_label("Find the customer").fill("Khan")
    # Live results arrive over HTMX without pressing "Find".
    page.get_by_role("link", name="Capture for Amina Khan").click()
    expect(page.get_by_role("heading", name="For Amina Khan (Mrs Khan)")).to_be_visible()
    page.get_by_label("My carer didn't come").check()
    page.get_by_label("How did they get in touch?").select_option("phone")
    page.get_by_label("Tell us about it").fill("my carer didn't come last night")
    page.get_by_role("button", name="Capture and find who answers for it").click()
    expect(page.get_by_role("heading", name="Request captured")).to_be_visible()

    created = Request.objects.select_related("owner__user").latest("id")
    assert created.description == "my carer didn't come last night"
    assert created.channel == "phone" and created.customer.full_name == "Amina Khan"
    owner = created.owner
    supervisor = escalation_chain(owner)[0]
    expect(page.locator(".owner-sentence")).to_have_text(
        f"{owner.display_name}, {owner.job_title}, in the {created.team.name} team at "
        f"{created.organisation.name} is looking after it and answers to {supervisor.display_name}."
    )
    page.screenshot(path=str(SCREENSHOTS / "console-capture.png"), full_page=True)
    sign_out(page)

    # The owner routing chose signs in: the new request is at the top of their work.
    sign_in(page, base, owner.user.username)
    first = page.locator(".work-item").first
    expect(first).to_contain_text(f"#{created.pk}")
    expect(first).to_contain_text("Amina Khan")
    expect(first).to_contain_text("First reply due")
    # The notification addressed to them by name (the link; its "Mark as read" button
    # repeats the title for screen readers).
    expect(page.get_by_role("link", name=f"New request for you: {created.subject}")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "console-my-work.png"), full_page=True)

    first.get_by_role("link", name=created.subject).click()
    expect(page).to_have_url(re.compile(rf"/console/requests/{created.pk}/$"))
    expect(page.locator(".owner")).to_have_text(f"{owner.display_name} is looking after it.")
    expect(page.locator(".chain")).to_contain_text(supervisor.display_name)

    reply = "I'm sorry nobody came. Your carer will come at 9pm tonight, and I'll ring Sara to confirm."
    page.get_by_label("We wrote to the customer").check()
    page.get_by_label("Channel").select_option("phone")
    page.get_by_role("textbox", name="Message", exact=True).fill(reply)
    page.get_by_role("button", name="Add message").click()
    expect(page.get_by_text("Your message to Mrs Khan is on the timeline.")).to_be_visible()
    newest = page.locator(".timeline .event").first
    expect(newest).to_contain_text(reply)
    expect(newest).to_contain_text(f"{owner.display_name} wrote to Mrs Khan.")
    page.screenshot(path=str(SCREENSHOTS / "console-request.png"), full_page=True)

    created.refresh_from_db()
    assert created.first_responded_at is not None


def test_capture_search_works_without_javascript(live_server: Any, demo: Any, browser: Browser) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, "dan.evans")
    page.goto(f"{live_server.url}/console/capture/")
    page.get_by_label("Find the customer").fill("NS1 4AB")
    page.get_by_role("button", name="Find").click()
    expect(page).to_have_url(re.compile(r"\?q=NS1"))
    page.get_by_role("link", name="Capture for Amina Khan").click()
    expect(page.get_by_role("heading", name="For Amina Khan (Mrs Khan)")).to_be_visible()
    context.close()


def test_a_refused_change_is_explained_in_place(live_server: Any, demo: Any, browser: Browser) -> None:
    """The page went stale (someone resolved the request meanwhile): the HTMX post gets
    the service's refusal, shown where the person is looking, and nothing changes."""
    priya = demo.staff("priya.shah")
    request = Request.objects.get(customer__given_name="Amina", owner=priya)
    page = browser.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, "priya.shah")
    page.goto(f"{live_server.url}/console/requests/{request.pk}/")

    request_change_status(request=request, status=Status.RESOLVED, actor=priya, reason="Sorted on the phone.")
    page.get_by_role("button", name="Wait for the customer").click()

    expect(page.get_by_role("alert")).to_contain_text("A request that is resolved cannot become waiting on customer.")
    expect(page).to_have_url(re.compile(rf"/console/requests/{request.pk}/$"))
    expect(page.locator(".status--large")).to_have_text("Resolved")
    request.refresh_from_db()
    assert request.status == Status.RESOLVED


def test_owner_offers_to_sunrise_care_and_jo_patel_reads_the_story_and_accepts(
    live_server: Any, demo: Any, browser: Browser
) -> None:
    """Nobody missed off the list (principle 2): Priya offers Mrs Khan's request to
    Sunrise Care and still answers for it; Jo Patel reads the story, then accepts."""
    request = Request.objects.get(customer__given_name="Amina", owner=demo.staff("priya.shah"))
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.set_default_timeout(15_000)
    base = live_server.url

    sign_in(page, base, "priya.shah")
    page.goto(f"{base}/console/requests/{request.pk}/")
    page.get_by_label("Offer it to").select_option(label="Anyone at Sunrise Care")
    page.get_by_label("Why are you handing it over?").fill("Sunrise Care runs her home-care package now")
    page.get_by_label("What they need to know (optional)").fill("Sara has a key; ring her first.")
    page.get_by_role("button", name="Offer it").click()
    expect(page.get_by_text("Offered to Sunrise Care.", exact=False).first).to_be_visible()
    expect(page.locator(".panel--offer")).to_contain_text("Priya Shah still looks after it")
    expect(page.locator(".owner")).to_have_text("Priya Shah is looking after it.")
    sign_out(page)

    sign_in(page, base, "jo.patel")
    expect(page.get_by_role("heading", name=re.compile("Offers waiting for you"))).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Handovers").click()
    page.locator(".offer-item").first.get_by_role("link", name=request.subject).click()
    expect(page.get_by_role("heading", name="The story so far")).to_be_visible()
    expect(page.locator(".said").first).to_contain_text("Sara has a key; ring her first.")
    story = page.get_by_role("region", name=re.compile("The story so far"))
    expect(story.get_by_text(request.description)).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "console-handover.png"), full_page=True)
    page.get_by_role("button", name="Accept: I will look after it").click()

    expect(page).to_have_url(re.compile(rf"/console/requests/{request.pk}/$"))
    expect(page.locator(".owner")).to_have_text("Jo Patel is looking after it.")
    request.refresh_from_db()
    assert request.owner == demo.staff("jo.patel")
