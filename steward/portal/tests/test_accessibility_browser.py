"""The customer's pages against WCAG 2.2 AA, in a real browser: axe-core finds no
violation on any portal page (signed out, signed in, and with a form's error showing);
Mrs Khan can sign in, find her request and write to its owner with the keyboard alone;
and the pages still work with text at 200% on a 320 px wide phone (WCAG 1.4.4, 1.4.10).

Pages added to the portal belong in PORTAL_PAGES (or, for a form's error state, in
`_form_error_states`), so the sweep checks them too."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from steward.care.models import VisitPattern
from steward.console.tests.axe import AxeSweep
from steward.console.tests.keyboard import assert_focus_visible, tab_to
from steward.console.tests.layout import LAYOUTS, enlarged, layout_problems
from steward.console.tests.test_browser import browser  # noqa: F401 - `browser` is a fixture
from steward.requests.models import Request
from steward.trusted.models import TrustedPerson

pytestmark = pytest.mark.browser

AMINA_EMAIL = "amina.khan@example.org"

# Every page a signed-in customer can GET: (what it is, path). `{request}` is one of her
# requests. Pages behind a form post are in `_form_error_states` below.
PORTAL_PAGES = [
    ("my requests", "/me/"),
    ("a request", "/me/requests/{request}/"),
    ("ask for help", "/me/ask/"),
    ("who can see my information", "/me/privacy/"),
    ("my record, to read or print", "/me/privacy/my-record/"),
    ("a request that is not hers", "/me/requests/999999/"),
    ("my contact preferences", "/me/preferences/"),
    ("people I trust", "/me/trusted-people/"),
    ("ending a trusted person's access: the check", "/me/trusted-people/{trusted}/end/"),
    ("my account (password)", "/me/account/"),
    ("give permission to an organisation", "/me/privacy/give/"),
    ("ask for a copy or for erasure", "/me/privacy/ask/"),
    ("my visits", "/me/visits/"),
    ("changing when a visit starts", "/me/visits/{pattern}/time/"),
]

# The same for someone acting for her (Sara, her daughter in the demo): `{request}` is
# one of Amina's requests; the last page is one Sara may not use, refused in words.
TRUSTED_PAGES = [
    ("acting for: their requests", "/me/"),
    ("acting for: a request", "/me/requests/{request}/"),
    ("acting for: ask for help", "/me/ask/"),
    ("acting for: their visits", "/me/visits/"),
    ("acting for: changing when a visit starts", "/me/visits/{pattern}/time/"),
    ("acting for: a page only the customer may use", "/me/trusted-people/"),
]


def portal_sign_in(page: Page, base: str, email: str = AMINA_EMAIL, *, sweep: AxeSweep | None = None) -> None:
    """Sign in as a customer does: email address, then the code from the email."""
    page.goto(f"{base}/me/sign-in/")
    if sweep:
        sweep.check(page, "sign in: email address")
    page.get_by_label("Your email address").fill(email)
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    if sweep:
        sweep.check(page, "sign in: the code")
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body)
    assert code, mail.outbox[-1].body
    page.get_by_label("The 6-digit code from the email").fill(code.group(1))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as")).to_be_visible()


def _form_error_states(page: Page, base: str, sweep: AxeSweep, request_id: int) -> None:
    """Each form with its error showing (the error is what a person must be able to find)."""
    page.goto(f"{base}/me/ask/")
    page.get_by_role("button", name="Send my request").click()
    # The error is the group's description: a screen reader hears it on entering the group.
    group = page.get_by_role("group", name="What do you need help with?")
    expect(group).to_have_accessible_description(re.compile(r"Choose what you need help with\.$"))
    sweep.check(page, "ask for help, nothing chosen")

    page.goto(f"{base}/me/requests/{request_id}/")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("textbox", name="Your message")).to_have_accessible_description(
        re.compile(r"^Write your message first\.")
    )
    sweep.check(page, "a request, empty reply")

    bedtime = VisitPattern.objects.get(care_agreement__customer__given_name="Amina", label="Help into bed")
    page.goto(f"{base}/me/visits/{bedtime.pk}/time/")
    page.get_by_label("Not before").fill("21:30")
    page.get_by_label("Not after").fill("21:00")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_be_visible()
    sweep.check(page, "changing when a visit starts, times the wrong way round")
    page.get_by_label("Not before").fill("21:15")
    page.get_by_label("Not after").fill("21:45")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Yes, change the time")).to_be_visible()
    sweep.check(page, "changing when a visit starts: the check")


def test_every_portal_page_passes_axe(live_server: Any, demo: Any, browser: Browser) -> None:  # noqa: F811
    base = live_server.url
    request = Request.objects.filter(customer__given_name="Amina").latest("id")
    sweep = AxeSweep()
    page = browser.new_page(viewport={"width": 1024, "height": 800})
    page.set_default_timeout(15_000)

    # Signed out: the sign-in pages and their error states.
    page.goto(f"{base}/me/sign-in/")
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_text("Enter your email address.")).to_be_visible()
    sweep.check(page, "sign in, no email given")
    page.get_by_label("Your email address").fill(AMINA_EMAIL)
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_label("The 6-digit code from the email").fill("not-a-code")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    sweep.check(page, "sign in, wrong code")

    page.goto(f"{base}/me/sign-in/password/")
    sweep.check(page, "sign in with a password")

    portal_sign_in(page, base, sweep=sweep)
    trusted = TrustedPerson.objects.filter(customer=request.customer, revoked_at__isnull=True).first()
    bedtime = VisitPattern.objects.get(care_agreement__customer=request.customer, label="Help into bed")
    assert trusted is not None, "the demo names Sara as Amina's trusted person"
    for name, path in PORTAL_PAGES:
        page.goto(base + path.format(request=request.pk, trusted=trusted.pk, pattern=bedtime.pk))
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        sweep.check(page, name)
    _form_error_states(page, base, sweep, request.pk)

    page.goto(f"{base}/me/")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    sweep.check(page, "signed out")

    # Sara, acting for her mother: the choice of whose requests, then the pages she may use.
    page.goto(f"{base}/me/sign-in/")
    page.get_by_label("Your email address").fill(trusted.email)
    page.get_by_role("button", name="Send me a code").click()
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body)
    assert code, mail.outbox[-1].body
    page.get_by_label("The 6-digit code from the email").fill(code.group(1))
    page.get_by_role("button", name="Sign in").click()
    if page.get_by_role("heading", name="Whose requests do you want to look at?").is_visible():
        sweep.check(page, "whose requests (someone trusted by more than one person)")
        page.get_by_label(re.compile(request.customer.full_name)).check()
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text(f"Acting for {request.customer.full_name}").first).to_be_visible()
    for name, path in TRUSTED_PAGES:
        page.goto(base + path.format(request=request.pk, pattern=bedtime.pk))
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        sweep.check(page, name)
    sweep.assert_clean()


def test_mrs_khan_signs_in_and_writes_to_her_owner_with_the_keyboard_alone(
    live_server: Any,
    demo: Any,
    browser: Browser,  # noqa: F811
) -> None:
    base = live_server.url
    request = Request.objects.select_related("owner").filter(customer__given_name="Amina").latest("id")
    page = browser.new_page(viewport={"width": 1024, "height": 800})
    page.set_default_timeout(15_000)
    page.goto(f"{base}/me/sign-in/")

    # The first Tab lands on the skip link, visible, and Enter moves focus to the page's main content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    tab_to(page, "Your email address")
    assert_focus_visible(page)
    page.keyboard.type(AMINA_EMAIL)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body)
    assert code
    tab_to(page, "The 6-digit code from the email")
    page.keyboard.type(code.group(1))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Signed in as Amina Khan")).to_be_visible()

    tab_to(page, request.subject)
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=request.subject, level=1)).to_be_visible()
    tab_to(page, "Your message")
    page.keyboard.type("Thank you, the carer came this morning.")
    tab_to(page, "Send")
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator(".conversation").get_by_text("Thank you, the carer came this morning.")).to_be_visible()


def test_portal_pages_work_with_text_at_200_percent_and_on_a_320_px_screen(
    live_server: Any,
    demo: Any,
    browser: Browser,  # noqa: F811
) -> None:
    base = live_server.url
    request = Request.objects.filter(customer__given_name="Amina").latest("id")
    signed_out = browser.new_context().storage_state()
    page = browser.new_page()
    page.set_default_timeout(15_000)
    portal_sign_in(page, base)
    signed_in = page.context.storage_state()
    # (path, its main actions, signed in?)
    pages = [
        ("/me/sign-in/", ["Send me a code"], False),
        ("/me/", ["Ask for help", request.subject, "Sign out"], True),
        (f"/me/requests/{request.pk}/", ["Send"], True),
        ("/me/ask/", ["Send my request"], True),
        ("/me/privacy/", ["Read your record"], True),
    ]
    problems = []
    for layout, viewport, size in LAYOUTS:
        for signed, state in ((False, signed_out), (True, signed_in)):
            with enlarged(browser, state, viewport, size) as big:
                for path, actions, needs_sign_in in pages:
                    if needs_sign_in != signed:
                        continue
                    big.goto(base + path)
                    problems += [f"{path}, {layout}: {p}" for p in layout_problems(big, actions)]
    assert not problems, "\n".join(problems)
