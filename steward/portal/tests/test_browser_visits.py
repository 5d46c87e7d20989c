"""Principle 7 in a real browser: visits at the customer's time.

The demo's week is planned and published. Sara, acting for her mother, moves Mrs Khan's
bedtime visit half an hour later; Steward plans the coming days again (the test server
runs the task inline). Kim Lee, the coordinator, finds the new draft on the planning
page, reads its report and publishes tomorrow. Sara sees her mother's bedtime visit at
the new time with the carer's name, and the carer sees it on her day with how to get in.

Saves screenshots to test-results/screenshots/ (git-ignored); with
STEWARD_UPDATE_SCREENSHOTS=1 to docs/screenshots/."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from steward.console.tests.test_browser import (
    SCREENSHOTS,
    browser,  # noqa: F401 - `browser` is a fixture
)
from steward.console.tests.test_browser import sign_in as staff_sign_in
from steward.demo.plans import ensure_demo_plans
from steward.visits.models import Schedule, Visit

from .test_browser_trusted import sign_in

pytestmark = pytest.mark.browser


def test_sara_moves_her_mothers_bedtime_and_the_plan_follows(
    live_server: Any,
    demo: Any,
    browser: Browser,  # noqa: F811
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    ensure_demo_plans(today=today, days=2)

    # Sara, on her phone, acting for her mother, sees this week's visits.
    sara = browser.new_page(viewport={"width": 420, "height": 900})
    sara.set_default_timeout(60_000)  # the reschedule plans a week inline in the test server
    sign_in(sara, base, "sara.khan@example.org")
    sara.get_by_label(re.compile("Amina Khan")).check()
    sara.get_by_role("button", name="Continue").click()
    sara.get_by_role("link", name="Their visits").first.click()
    expect(sara.get_by_role("heading", name="Mrs Khan's visits", level=1)).to_be_visible()
    expect(sara.get_by_role("heading", name=f"{tomorrow:%A} {tomorrow.day} {tomorrow:%B}")).to_be_visible()

    # She moves bedtime from 21:00–21:30 to 21:30–22:00.
    sara.get_by_role("link", name=re.compile("Change the preferred time for Help into bed")).click()
    sara.get_by_label("Not before").fill("21:30")
    sara.get_by_label("Not after").fill("22:00")
    sara.get_by_role("button", name="Continue").click()
    expect(sara.get_by_role("heading", name=re.compile("Change help into bed to"))).to_be_visible()
    sara.get_by_role("button", name="Yes, change the time").click()
    expect(sara.get_by_text("21:30").first).to_be_visible()

    # Kim Lee, the coordinator, publishes tomorrow's new draft.
    kim = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    kim.set_default_timeout(30_000)
    staff_sign_in(kim, base, "kim.lee")
    kim.goto(f"{base}/console/schedule/?day={tomorrow:%Y-%m-%d}")
    draft = Schedule.objects.filter(day=tomorrow, status=Schedule.Status.DRAFT).latest("pk")
    kim.get_by_role("link", name=f"Draft plan #{draft.pk}").click()
    expect(kim.get_by_role("heading", name="Carers")).to_be_visible()
    kim.get_by_role("button", name="Publish").click()
    expect(kim.get_by_role("status")).to_contain_text("Published: this is now the plan for")

    bedtime = (
        Visit.objects.filter(schedule=draft, customer__given_name="Amina", pattern__label="Help into bed")
        .prefetch_related("assignments__carer__staff")
        .get()
    )
    start = timezone.localtime(bedtime.planned_start)
    assert "21:30" <= f"{start:%H:%M}" <= "22:00"
    carer = bedtime.assignments.get().carer

    # Sara sees the new time and who is coming.
    sara.reload()
    day = sara.locator("section", has=sara.get_by_role("heading", name=f"{tomorrow:%A} {tomorrow.day} {tomorrow:%B}"))
    expect(day.get_by_text(f"Help into bed at {start:%H:%M}")).to_be_visible()
    expect(day.get_by_text(f"Carer: {carer.staff.display_name.split()[0]}")).to_be_visible()
    sara.screenshot(path=str(SCREENSHOTS / "scenario-visits-customer-time.png"), full_page=True)

    # The carer sees it on her day, with how to get in.
    carer_page = browser.new_context(viewport={"width": 420, "height": 900}).new_page()
    carer_page.set_default_timeout(30_000)
    staff_sign_in(carer_page, base, carer.staff.user.username)
    carer_page.goto(f"{base}/console/carers/{carer.pk}/day/{tomorrow:%Y-%m-%d}/")
    stop = carer_page.locator("li.work-item", has=carer_page.get_by_text("Help into bed"))
    expect(stop.filter(has_text=f"{start:%H:%M}").first).to_be_visible()
    expect(carer_page.get_by_text("Key safe by the back door").first).to_be_visible()
    carer_page.screenshot(path=str(SCREENSHOTS / "scenario-visits-carer-day.png"), full_page=True)
