"""In Chromium: Kim Lee, team lead at CheapCare Ltd, plans tomorrow from the Schedule page,
reads the draft's report and publishes it (the demo's carers and visits)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from steward.visits.models import Schedule

from .test_browser import SCREENSHOTS, browser, sign_in  # noqa: F401 - `browser` is a fixture

pytestmark = pytest.mark.browser


def test_kim_plans_tomorrow_and_publishes_it(live_server: Any, demo: Any, browser: Browser) -> None:  # noqa: F811
    base = live_server.url
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(30_000)
    sign_in(page, base, "kim.lee")
    tomorrow = timezone.localdate() + timedelta(days=1)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Schedule").click()
    expect(page.get_by_role("heading", name="Planning visits", level=1)).to_be_visible()
    page.get_by_label("First day").fill(str(tomorrow))
    page.get_by_label("Last day").fill(str(tomorrow))
    page.get_by_label("Why (optional)").fill("Tomorrow's visits")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console-schedule.png"), full_page=True)
    page.get_by_role("button", name="Plan").click()

    # The test server plans inline, so the run is finished when its page opens.
    expect(page.get_by_role("heading", name="Planned: check each day, then publish it")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "console-schedule-run.png"), full_page=True)
    page.get_by_role("link", name=f"{tomorrow:%A} {tomorrow.day} {tomorrow:%B}").click()
    expect(page.get_by_role("heading", name="Carers")).to_be_visible()
    expect(page.get_by_role("heading", level=2).first).to_contain_text("at the customer's preferred time")
    page.screenshot(path=str(SCREENSHOTS / "console-schedule-report.png"), full_page=True)

    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_contain_text("Published: this is now the plan for")
    assert Schedule.objects.filter(day=tomorrow, status=Schedule.Status.PUBLISHED).count() == 1


def test_a_lead_swaps_two_carers_calls_in_a_draft(live_server: Any, transactional_db: Any, browser: Browser) -> None:  # noqa: F811
    """Bob is at Amina Khan's and Alice at Grace Green's at 08:00: neither call can be moved
    to the other carer alone, but the Swap form trades them in one step."""
    from steward.care.tests.factories import make_pattern
    from steward.visits.tests.factories import make_planned_day, make_visit
    from steward.visits.tests.test_move import _far_care

    from .test_browser import PASSWORD

    pd = make_planned_day(day=timezone.localdate() + timedelta(days=1), schedule_status=Schedule.Status.DRAFT)
    grace = make_visit(
        schedule=pd.schedule, pattern=make_pattern(care=_far_care(pd), label="Breakfast"), carers=[pd.alice]
    )
    lead = pd.world.provider.lead.user
    lead.set_password(PASSWORD)
    lead.save()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(30_000)
    sign_in(page, live_server.url, lead.get_username())
    page.goto(f"{live_server.url}/console/schedule/{pd.schedule.pk}/")

    row = page.locator(f"#visit-{pd.visit.pk}")
    row.locator("summary", has_text="Swap").click()
    row.get_by_label("Swap carers with").select_option(label="08:00 Grace Green, breakfast (Alice Able)")
    row.get_by_role("button", name="Swap the carers").click()

    expect(page.get_by_role("status")).to_contain_text(
        "Swapped: Amina Khan's help getting up is now with Alice Able, and Grace Green's breakfast with Bob Baker"
    )
    expect(page.locator(f"#visit-{grace.pk}")).to_contain_text("Bob Baker")
    assert [a.carer_id for a in grace.assignments.all()] == [pd.bob.pk]
