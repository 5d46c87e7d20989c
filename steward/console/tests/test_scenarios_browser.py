"""PRODUCT.md's scenarios walked end to end in a real browser, as the people in them
would: each step checks what the person reads there (names, messages), axe-core checks
every page they pass through, and the walk saves screenshots (scenario-*.png, in
test-results/screenshots/, or docs/screenshots/ with STEWARD_UPDATE_SCREENSHOTS=1).

- A call handler takes a request for another department, and can tell the customer
  who, by name, is looking after it.
- A receiver finds a handover offer in their work, reads the story and accepts it; the
  customer sees the new name.
- A customer withdraws her permission; the next staff read is refused, and she sees
  the refused read in her access log."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from steward.consent.services import grant_create
from steward.customers.models import Customer
from steward.organisations.models import Organisation
from steward.organisations.selectors import escalation_chain
from steward.portal.tests.test_accessibility_browser import portal_sign_in
from steward.requests.models import Request

from .axe import AxeSweep
from .test_browser import SCREENSHOTS, browser, sign_in, sign_out  # noqa: F401 - `browser` is a fixture

pytestmark = pytest.mark.browser

WIDE = {"width": 1200, "height": 900}


def shot(page: Page, name: str, *, full_page: bool = True) -> None:
    """Save what the person sees (on a phone, the screen they are looking at)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"scenario-{name}.png"), full_page=full_page)


def new_page(chromium: Browser, viewport: dict[str, int] = WIDE) -> Page:
    """A page in its own context: the customer and the staff member each have their own
    browser, signed in separately."""
    page = chromium.new_context(viewport=viewport).new_page()  # type: ignore[arg-type]
    page.set_default_timeout(15_000)
    return page


def test_the_call_handler_captures_a_request_for_housing_and_tells_mrs_khan_who_has_it(
    live_server: Any,
    demo: Any,
    browser: Browser,  # noqa: F811
) -> None:
    base = live_server.url
    sweep = AxeSweep()
    page = new_page(browser)

    # Dan Evans answers the council's phones; Mrs Khan rings about her heating.
    sign_in(page, base, "dan.evans")
    expect(page.get_by_text("Signed in as Dan Evans")).to_be_visible()
    expect(page.get_by_text("Call Handler, Northshire Council")).to_be_visible()
    sweep.check(page, "Dan's work")
    page.get_by_role("link", name="Capture a request").first.click()
    page.get_by_label("Find the customer").fill("Khan")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("link", name="Capture for Amina Khan")).to_be_visible()
    sweep.check(page, "finding Mrs Khan")
    page.get_by_role("link", name="Capture for Amina Khan").click()

    # What matters to her is in front of him while he listens.
    expect(page.get_by_role("heading", name="For Amina Khan (Mrs Khan)")).to_be_visible()
    expect(page.get_by_text("What matters to them")).to_be_visible()
    page.get_by_label("Something in my home needs repairing").check()
    page.get_by_label("How did they get in touch?").select_option("phone")
    page.get_by_label("Tell us about it").fill("The heating stopped last night and the house is freezing.")
    sweep.check(page, "the capture form, filled in")
    page.get_by_role("button", name="Capture and find who answers for it").click()

    # Housing is another department: Dan cannot work on it, but he can tell her who does.
    expect(page.get_by_role("heading", name="Request captured")).to_be_visible()
    created = Request.objects.select_related("owner__user", "team", "organisation").latest("id")
    assert created.team.name == "Housing" and created.organisation.name == "Northshire Council"
    assert created.description == "The heating stopped last night and the house is freezing."
    owner = created.owner
    supervisor = escalation_chain(owner)[0]
    assert owner.team.name == "Housing" and owner.display_name != "Dan Evans"
    expect(page.get_by_role("status")).to_contain_text(
        f"Reference #{created.pk}: “Something in my home needs repairing” for Amina Khan"
    )
    expect(page.locator(".owner-sentence")).to_have_text(
        f"{owner.display_name}, {owner.job_title}, in the Housing team at Northshire Council "
        f"is looking after it and answers to {supervisor.display_name}."
    )
    script = page.get_by_role("region", name="What to tell Mrs Khan")
    expect(script).to_contain_text(f"{owner.display_name}, {owner.job_title} in the Housing team at Northshire Council")
    expect(script).to_contain_text(f"Your reference is {created.pk}.")
    sweep.check(page, "request captured")
    shot(page, "call-handler-captured")

    # Mrs Khan's daughter looks at the portal with her: the same name is there.
    customer = new_page(browser, {"width": 412, "height": 915})
    portal_sign_in(customer, base)
    card = customer.locator(".card").filter(has_text="Something in my home needs repairing")
    expect(card).to_contain_text(f"Looking after it: {owner.display_name}, {owner.job_title} (Housing")
    expect(card).to_contain_text(f"{owner.display_name} will reply to you by")
    sweep.check(customer, "Mrs Khan's requests")
    shot(customer, "customer-sees-who-has-it", full_page=False)
    sweep.assert_clean()


def test_a_receiver_accepts_a_handover_from_her_work_and_mrs_khan_sees_the_new_name(
    live_server: Any,
    demo: Any,
    browser: Browser,  # noqa: F811
) -> None:
    base = live_server.url
    sweep = AxeSweep()
    request = Request.objects.get(customer__given_name="Amina", owner=demo.staff("priya.shah"))
    page = new_page(browser)

    # Priya Shah offers Mrs Khan's request to Sunrise Care, which runs her care now.
    sign_in(page, base, "priya.shah")
    page.get_by_role("link", name=request.subject).first.click()
    expect(page.locator(".owner")).to_have_text("Priya Shah is looking after it.")
    page.get_by_label("Offer it to").select_option(label="Anyone at Sunrise Care")
    page.get_by_label("Why are you handing it over?").fill("Sunrise Care runs her home-care package now")
    page.get_by_label("What they need to know (optional)").fill("Sara has a key; ring her first.")
    page.get_by_role("button", name="Offer it").click()
    expect(page.get_by_text("Offered to Sunrise Care.", exact=False).first).to_be_visible()
    expect(page.locator(".panel--offer")).to_contain_text("Priya Shah still looks after it")
    sweep.check(page, "the request, offered")
    shot(page, "handover-offered")
    sign_out(page)

    # Jo Patel, at Sunrise Care, finds the offer in her work.
    sign_in(page, base, "jo.patel")
    offers = page.get_by_role("region", name=re.compile("Offers waiting for you"))
    expect(offers).to_contain_text(f"{request.subject} for Amina Khan, from Priya Shah")
    sweep.check(page, "Jo's work, an offer waiting")
    shot(page, "handover-inbox")
    offers.get_by_role("link", name=request.subject).click()

    # She reads what Priya said and the story so far before deciding.
    expect(page.get_by_role("heading", name="The story so far")).to_be_visible()
    expect(page.locator(".said").first).to_contain_text("Sara has a key; ring her first.")
    expect(page.get_by_role("region", name=re.compile("The story so far"))).to_contain_text(request.description)
    sweep.check(page, "the offer")
    page.get_by_role("button", name="Accept: I will look after it").click()

    expect(page).to_have_url(re.compile(rf"/console/requests/{request.pk}/$"))
    expect(page.locator(".owner")).to_have_text("Jo Patel is looking after it.")
    sweep.check(page, "the request, accepted")
    shot(page, "handover-accepted")
    request.refresh_from_db()
    assert request.owner == demo.staff("jo.patel")

    # Mrs Khan sees who looks after it now.
    customer = new_page(browser, {"width": 412, "height": 915})
    portal_sign_in(customer, base)
    customer.get_by_role("link", name=request.subject).click()
    expect(customer.locator(".owner")).to_contain_text("Looking after it: Jo Patel")
    expect(customer.locator(".owner")).to_contain_text("Sunrise Care")
    sweep.check(customer, "Mrs Khan's request, new owner")
    sweep.assert_clean()


def test_mrs_khan_withdraws_her_permission_and_sees_the_refused_read_in_her_log(
    live_server: Any,
    demo: Any,
    browser: Browser,  # noqa: F811
) -> None:
    base = live_server.url
    sweep = AxeSweep()
    amina = Customer.objects.get(given_name="Amina", family_name="Khan")
    # Mrs Khan agreed that Sunrise Care may read her contact details and requests to
    # deliver her care (her consent, so hers to withdraw).
    grant_create(
        customer=amina,
        organisation=Organisation.objects.get(name="Sunrise Care"),
        purpose="care_delivery",
        categories=["contact_details", "messages"],
        lawful_basis="consent",
        by_customer=True,
    )

    # Jo Patel opens Mrs Khan's record, saying why: allowed.
    staff = new_page(browser)
    sign_in(staff, base, "jo.patel")
    staff.get_by_role("navigation", name="Main").get_by_role("link", name="Capture a request").click()
    staff.get_by_label("Find the customer").fill("Khan")
    staff.get_by_role("button", name="Find").click()
    staff.get_by_role("link", name="Capture for Amina Khan").click()
    staff.get_by_role("link", name="See their story so far").click()
    expect(staff.get_by_role("heading", name="Why are you opening this record?")).to_be_visible()
    sweep.check(staff, "why are you opening this record?")
    staff.get_by_label("Why are you opening this record?").select_option(label="Delivering your care")
    staff.get_by_role("button", name="Open the record").click()
    expect(staff.get_by_role("heading", name="Contact details")).to_be_visible()
    record_url = staff.url

    # Mrs Khan withdraws that permission.
    customer = new_page(browser, {"width": 412, "height": 915})
    portal_sign_in(customer, base)
    customer.get_by_role("link", name="Who can see my information").click()
    card = customer.locator(".card").filter(has=customer.get_by_role("heading", name="Sunrise Care"))
    expect(card).to_contain_text("Your consent (you can withdraw it at any time)")
    expect(customer.locator(".access-log")).to_contain_text(
        "Jo Patel, Sunrise Care, read your contact details and your requests and messages for delivering your care"
    )
    sweep.check(customer, "who can see my information")
    card.get_by_role("button", name="Withdraw").click()
    expect(customer.get_by_role("status")).to_contain_text(
        "You have withdrawn your permission. Sunrise Care can no longer use your information "
        "for delivering your care. We have kept a receipt."
    )
    expect(card).to_contain_text("Withdrawn")
    expect(card.get_by_role("button", name="Withdraw")).to_have_count(0)
    sweep.check(customer, "permission withdrawn")
    shot(customer, "privacy-withdrawn", full_page=False)

    # Jo Patel looks again: refused, and told why.
    staff.goto(record_url)
    alert = staff.get_by_role("alert")
    expect(alert).to_contain_text("Sunrise Care has no permission from this customer")
    expect(alert).to_contain_text("The refused read was recorded in the customer's access log.")
    expect(staff.get_by_role("heading", name="Contact details")).to_have_count(0)
    sweep.check(staff, "the read refused")
    shot(staff, "read-refused")

    # Mrs Khan sees the refused read in her log, newest first.
    customer.reload()
    newest = customer.locator(".access-log li").first
    expect(newest).to_contain_text(
        "Jo Patel, Sunrise Care, was refused your contact details and your requests and messages "
        "for delivering your care"
    )
    expect(newest).to_contain_text("you had not given permission for that")
    sweep.check(customer, "the refused read in her log")
    customer.get_by_role("heading", name="Who has looked at it").scroll_into_view_if_needed()
    customer.evaluate("window.scrollBy(0, -120)")
    shot(customer, "privacy-refused-read", full_page=False)
    sweep.assert_clean()
