"""Mrs Khan's daughter in a real browser: Sara signs in with her own address, chooses to
act for her mother, asks for help ("The carer didn't come this morning"), sees who looks
after it and writes to them; Mrs Khan sees the request and Sara's message, and ends
Sara's access; Sara can no longer see it.

Saves its screenshot to test-results/screenshots/ (git-ignored); with
STEWARD_UPDATE_SCREENSHOTS=1 to docs/screenshots/portal-trusted-person.png."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from steward.console.tests.test_browser import (
    SCREENSHOTS,
    browser,  # noqa: F401 - `browser` is a fixture
)
from steward.requests.models import Request

pytestmark = pytest.mark.browser


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/me/")
    page.get_by_label("Your email address").fill(email)
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_label("The 6-digit code from the email")).to_be_visible()
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body)
    assert code and mail.outbox[-1].to == [email]
    page.get_by_label("The 6-digit code from the email").fill(code.group(1))
    page.get_by_role("button", name=re.compile("Sign in")).click()


def test_sara_acts_for_her_mother_until_her_mother_ends_it(
    live_server: Any,
    demo: Any,
    browser: Browser,  # noqa: F811
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    sara = browser.new_page(viewport={"width": 420, "height": 900})  # on her phone
    sara.set_default_timeout(15_000)

    # Sara is a customer herself and trusted by her mother: she chooses whose requests.
    sign_in(sara, base, "sara.khan@example.org")
    expect(sara.get_by_role("heading", name="Whose requests do you want to look at?")).to_be_visible()
    sara.get_by_label(re.compile("Amina Khan")).check()
    sara.get_by_role("button", name="Continue").click()
    expect(sara.get_by_text("Acting for Amina Khan")).to_be_visible()
    expect(sara.get_by_role("heading", name="Amina Khan's requests")).to_be_visible()

    # She asks for help for her mother.
    sara.get_by_role("link", name="Ask for help").first.click()
    sara.get_by_label("My carer didn't come").check()
    sara.get_by_label("Tell us about it").fill("The carer didn't come this morning")
    sara.get_by_role("button", name="Send my request").click()
    expect(sara.get_by_role("heading", name="We have got your request")).to_be_visible()
    asked = Request.objects.filter(description="The carer didn't come this morning").select_related("owner").get()
    assert asked.owner is not None
    owner = asked.owner.display_name
    expect(sara.locator(".confirmation").get_by_text(owner)).to_be_visible()
    expect(sara.get_by_text("Acting for Amina Khan")).to_be_visible()

    # And writes to the person looking after it.
    sara.get_by_label("Your message").fill("Mum waited all morning. Please ring me, not her: she is hard of hearing.")
    sara.get_by_role("button", name="Send").click()
    expect(sara.get_by_text(f"{owner} will see your message")).to_be_visible()
    expect(sara.get_by_text("Sara Khan (for Amina Khan)").first).to_be_visible()
    sara.screenshot(path=str(SCREENSHOTS / "portal-trusted-person.png"), full_page=True)

    # Mrs Khan sees the request and her daughter's message, signed as Sara's.
    amina = browser.new_context().new_page()
    amina.set_default_timeout(15_000)
    sign_in(amina, base, "amina.khan@example.org")
    expect(amina.get_by_role("heading", name="Hello Mrs Khan")).to_be_visible()
    amina.get_by_role("link", name="My carer didn't come").first.click()
    expect(amina.get_by_text("Mum waited all morning.")).to_be_visible()
    expect(amina.get_by_text("Sara Khan (for Amina Khan)").first).to_be_visible()

    # She ends Sara's access.
    amina.get_by_role("link", name="People I trust").click()
    expect(amina.get_by_role("heading", name="Sara Khan (daughter)")).to_be_visible()
    amina.get_by_role("link", name="End Sara Khan's access").click()
    amina.get_by_role("button", name="Yes, end Sara Khan's access").click()
    expect(amina.get_by_text("Sara Khan can no longer act for you")).to_be_visible()

    # Sara's next click finds the door shut.
    sara.goto(f"{base}/me/requests/{asked.pk}/")
    expect(sara.get_by_role("heading", name="Whose requests do you want to look at?")).to_be_visible()
    expect(sara.get_by_text("ended your access")).to_be_visible()
    expect(sara.get_by_text("The carer didn't come this morning")).to_have_count(0)
    expect(sara.get_by_label(re.compile("Amina Khan"))).to_have_count(0)
